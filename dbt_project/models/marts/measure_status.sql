-- Status per measure as of the publication's as-of date (var as_of_date,
-- default today): a row of measure_status_daily, where the rule lives.
with

daily as (
    select * from {{ ref('measure_status_daily') }}
),

final as (
    select
        measure_id,
        indicator_id,
        goal_id,
        latest_period,
        latest_value,
        baseline_value,
        target_value,
        expected_value,
        achieved_fraction,
        status,
        as_of_date,
        status_is_uncertain,
        latest_ci_low,
        latest_ci_high,
        comment_nb,
        comment_author,
        plan_version,
        target_year,
        target_expired,
        target_reached,
        moving_away,
        status_method_used
    from daily
    where as_of_date = {{ as_of_date() }}
)

select * from final
