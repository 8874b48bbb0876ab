-- Kjernejournal adoption per snapshot, and the change from the snapshot before.
with snapshots as (
    select file_period as period, count(*) as n_adopted
    from raw.kj_adoption
    group by file_period
)
select
    period as row_key,
    period,
    n_adopted,
    n_adopted - lag(n_adopted) over (order by period) as change_from_previous
from snapshots
order by period
