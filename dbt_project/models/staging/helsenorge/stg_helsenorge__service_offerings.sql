with

source as (
    {{ current_rows('helsenorge_offering') }}
),

renamed as (
    select
        load_id,
        source_line,
        cast(period as date) as snapshot_date,
        kommunenummer as source_municipality_code,
        tjeneste as service_code,
        cast(tilbys_fra as date) as offered_from
    from source
)

select * from renamed
