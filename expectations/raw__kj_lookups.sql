-- Kjernejournal lookups per day against the median of the 28 days before.
with daily as (
    select file_period as period, count(*) as n_lookups
    from raw.kj_lookups
    group by file_period
)
select
    period as row_key,
    period,
    n_lookups,
    n_lookups / nullif(
        quantile_cont(n_lookups, 0.5) over (order by period rows between 28 preceding and 1 preceding), 0
    ) as ratio_to_trailing_median
from daily
order by period
