-- The measures of the headline indicators the council's count is made of ("N/16 ... er
-- gule"). The one place meeting_status takes the headline set from: today the catalog's
-- is_headline; with plan versions, the set of the version in force.
with

measures as (
    select * from {{ ref('dim_measure') }}
),

final as (
    select
        measure_id,
        indicator_id,
        goal_id
    from measures
    where is_headline
)

select * from final
