-- PLL per month: national stock of patients and its change from the neighbouring months.
with monthly as (
    select maaned as period, sum(cast(antall_pasienter_med_pll as bigint)) as patients, count(*) as n_rows
    from raw.pll_monthly
    group by maaned
),
neighbours as (
    select
        period,
        patients,
        n_rows,
        patients / nullif(lag(patients) over (order by period), 0) as ratio_to_previous_month,
        patients / nullif(
            median(patients) over (order by period rows between 2 preceding and 2 following exclude current row), 0
        ) as ratio_to_neighbours
    from monthly
)

-- Judged against the months on both sides (issue 22): the median of up to two before and two
-- after, the month itself left out, so the bad month is the one flagged, not the month after it.
select
    period as row_key,
    period,
    patients,
    n_rows,
    ratio_to_previous_month,
    ratio_to_neighbours
from neighbours
order by period
