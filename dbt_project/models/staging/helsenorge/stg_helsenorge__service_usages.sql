with

source as (
    {{ current_rows('helsenorge_usage') }}
),

renamed as (
    select
        load_id,
        source_line,
        maaned as period,
        kommunenummer as source_municipality_code,
        tjeneste as service_code,
        cast(antall_besok as bigint) as visits,
        cast(antall_unike_brukere as bigint) as unique_users
    from source
)

select * from renamed
