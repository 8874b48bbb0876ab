with

source as (
    select * from {{ source('ingestion', 'load_ledger') }}
),

renamed as (
    select
        load_id,
        file_name,
        source_family,
        period,
        sha256,
        size_bytes,
        rows_read,
        rows_loaded,
        rows_quarantined,
        status,
        reason,
        is_current,
        superseded_by,
        started_at,
        finished_at
    from source
)

select * from renamed
