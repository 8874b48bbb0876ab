-- PLL per month: national stock of patients and its change from the previous month.
with monthly as (
    select maaned as period, sum(cast(antall_pasienter_med_pll as bigint)) as patients, count(*) as n_rows
    from raw.pll_monthly
    group by maaned
)
select
    period as row_key,
    period,
    patients,
    n_rows,
    patients / nullif(lag(patients) over (order by period), 0) as ratio_to_previous_month
from monthly
order by period
