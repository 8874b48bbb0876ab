-- The latest load of every file name: how much of it went to quarantine.
with latest as (
    select
        *,
        row_number() over (partition by source_family, file_name order by finished_at desc) as recency_rank
    from staging.stg_ingestion__file_loads
    where status <> 'rejected'
)
select
    latest.file_name as row_key,
    latest.source_family,
    latest.period,
    latest.rows_read,
    latest.rows_quarantined,
    case when latest.rows_read > 0 then latest.rows_quarantined * 1.0 / latest.rows_read else 0 end as quarantine_rate,
    -- A restatement against the version it replaced (issue 22): the share of that version's rows it kept.
    replaced.rows_read as replaced_rows_read,
    latest.rows_read * 1.0 / nullif(replaced.rows_read, 0) as share_of_replaced_rows,
    case
        when replaced.rows_read is not null then
            latest.period || ' erstattet ' || strftime(latest.finished_at, '%Y-%m-%d %H:%M') || ': '
            || latest.rows_read || ' av ' || replaced.rows_read || ' rader'
    end as restatement
from latest
left join staging.stg_ingestion__file_loads as replaced
    on latest.status = 'restated' and replaced.superseded_by = latest.load_id
where latest.recency_rank = 1 and latest.is_current
