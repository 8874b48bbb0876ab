with

source as (
    {{ current_rows('kj_adoption') }}
),

renamed as (
    select
        load_id,
        source_line,
        cast(period as date) as snapshot_date,
        kommunenummer as source_municipality_code,
        cast(innfort_dato as date) as adopted_on
    from source
)

select * from renamed
