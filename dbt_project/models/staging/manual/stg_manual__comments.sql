with

source as (
    {{ current_rows('manual_comments') }}
),

renamed as (
    select
        load_id,
        source_line,
        id as catalog_id,
        cast(gjelder_fra as date) as valid_from,
        kommentar as comment_nb,
        forfatter as comment_author,
        -- hoydepunkt, positiv_bevegelse, laeringspunkt, innspill, grep; empty when blank.
        nullif(kategori, '') as comment_category
    from source
)

select * from renamed
