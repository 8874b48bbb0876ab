with

source as (
    {{ current_rows('manual_observations') }}
),

renamed as (
    select
        load_id,
        source_line,
        measure_id,
        periode as period,
        cast(replace(verdi, ',', '.') as double) as value,
        kilde as reported_by,
        nullif(kommentar, '') as comment
    from source
)

select * from renamed
