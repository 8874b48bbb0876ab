-- The status of each measure as of every month end from its baseline date
-- to the publication's as-of date, and as of that date itself (the last
-- point of a "gule indikatorer over tid" chart is today's status).
with

daily as (
    select * from {{ ref('measure_status_daily') }}
),

measures as (
    select * from {{ ref('dim_measure_version') }}
),

final as (
    select
        daily.measure_id,
        daily.indicator_id,
        daily.goal_id,
        daily.latest_period,
        daily.latest_value,
        daily.baseline_value,
        daily.target_value,
        daily.expected_value,
        daily.achieved_fraction,
        daily.status,
        daily.as_of_date,
        daily.status_is_uncertain,
        daily.latest_ci_low,
        daily.latest_ci_high,
        daily.comment_nb,
        daily.comment_author,
        daily.plan_version,
        daily.target_year,
        daily.target_expired,
        daily.target_reached,
        daily.moving_away,
        daily.status_method_used
    from daily
    inner join measures
        on daily.measure_id = measures.measure_id
        and daily.plan_version = measures.plan_version
    where
        daily.as_of_date >= measures.baseline_date
        and (
            daily.as_of_date = cast({{ dbt.last_day('daily.as_of_date', 'month') }} as date)
            or daily.as_of_date = {{ as_of_date() }}
        )
)

select * from final
