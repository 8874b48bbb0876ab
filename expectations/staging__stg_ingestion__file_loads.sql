-- The latest load of every file name: how much of it went to quarantine.
with latest as (
    select
        *,
        row_number() over (partition by source_family, file_name order by finished_at desc) as recency_rank
    from staging.stg_ingestion__file_loads
    where status <> 'rejected'
)
select
    file_name as row_key,
    source_family,
    period,
    rows_read,
    rows_quarantined,
    case when rows_read > 0 then rows_quarantined * 1.0 / rows_read else 0 end as quarantine_rate
from latest
where recency_rank = 1 and is_current
