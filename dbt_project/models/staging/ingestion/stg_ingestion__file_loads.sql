-- The ledger is append-only: what is current is derived here, by the rule of
-- dagster_project/warehouse/ledger.py (LEDGER_VIEW): a load that loaded rows and
-- that no later entry supersedes. A table: the ledger's files are read once per run.
with

ledger_files as (
    -- With var known_on: the ledger as it stood at the end of that day (macros/known_on.sql).
    select * from {{ source('raw', 'load_ledger') }}
    where {{ loaded_by_known_on('finished_at') }}
),

-- Each entry once: for a moment a compaction may hold an entry in two files
-- (dagster_project/warehouse/compaction.py).
numbered as (
    select
        ledger_files.*,
        row_number() over (partition by load_id order by finished_at) as copy_number
    from ledger_files
),

source as (
    select * from numbered
    where copy_number = 1
),

superseding as (
    select
        supersedes as load_id,
        min(load_id) as superseded_by
    from source
    where supersedes is not null
    group by supersedes
),

renamed as (
    select
        source.load_id,
        source.file_name,
        source.source_family,
        source.period,
        source.sha256,
        source.size_bytes,
        source.rows_read,
        source.rows_loaded,
        source.rows_quarantined,
        source.status,
        source.reason,
        source.status in ('loaded', 'restated') and superseding.superseded_by is null as is_current,
        superseding.superseded_by,
        source.started_at,
        source.finished_at
    from source
    left join superseding on source.load_id = superseding.load_id
)

select * from renamed
