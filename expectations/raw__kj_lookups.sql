-- Kjernejournal lookups per day against the median of the 28 days before: a collapse and a
-- spike (issue 22) alike.
-- Counted from the ledger (rows loaded by each current file, written in the
-- same transaction as the rows): the same figure as a count over
-- raw.kj_lookups, without scanning 73 million rows a year on every run.
with daily as (
    select cast(period as date) as period, rows_loaded as n_lookups
    from raw.load_ledger
    where source_family = 'kj_lookups' and is_current
)
select
    period as row_key,
    period,
    n_lookups,
    n_lookups / nullif(
        quantile_cont(n_lookups, 0.5) over (order by period rows between 28 preceding and 1 preceding), 0
    ) as ratio_to_trailing_median,
    -- A spike is judged once a week of history exists: the first days' median is one or two
    -- days (a weekend day is half a weekday).
    case
        when count(*) over (order by period rows between 28 preceding and 1 preceding) >= 7
            then n_lookups / nullif(
                quantile_cont(n_lookups, 0.5) over (order by period rows between 28 preceding and 1 preceding), 0
            )
    end as ratio_to_trailing_median_after_a_week
from daily
order by period
