-- The stewards' comments on a goal (mal-N) or on the report as a whole (rapport),
-- each with the span it is in force (inputs.md: from gjelder_fra until the next
-- comment for the same id and kategori). The report shows those in force on its
-- as-of date, under seed 001's headings.
with

comments as (
    select * from {{ ref('stg_manual__comments') }}
),

report_level as (
    select
        catalog_id as comment_id,
        case
            when catalog_id like 'mal-%'
                then cast(substring(catalog_id, 5) as integer)
        end as goal_id,
        comment_category,
        valid_from,
        comment_nb,
        comment_author
    from comments
    where catalog_id like 'mal-%' or catalog_id = 'rapport'
),

final as (
    select
        comment_id,
        goal_id,
        comment_category,
        valid_from,
        lead(valid_from) over (
            partition by comment_id, coalesce(comment_category, '') order by valid_from
        ) as valid_until,
        comment_nb,
        comment_author
    from report_level
)

select * from final
