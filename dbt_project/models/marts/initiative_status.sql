-- The status of each strategic initiative as of the publication's as-of date: rows of
-- initiative_status_daily, where the rule lives.
with

daily as (
    select * from {{ ref('initiative_status_daily') }}
),

final as (
    select
        initiative_id,
        plan_version,
        goal_id,
        name_nb,
        owner,
        status,
        n_subgoals,
        n_due,
        n_done,
        n_late,
        n_pointing_to_red,
        as_of_date
    from daily
    where as_of_date = {{ as_of_date() }}
)

select * from final
