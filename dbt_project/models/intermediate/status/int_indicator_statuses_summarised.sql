-- The status of each headline indicator (of the plan version in force) as of every day of
-- measure_status_daily: the worst status of its measures, worst first red, yellow, no_data,
-- green, no_target (a measure without a target never hides a yellow sibling; missing data
-- ranks below yellow because it is a reason to follow up too). The rule's one home:
-- goal_summary_daily and meeting_status read it, and so does the "as known" build of each
-- meeting (dagster_project/warehouse/known_status.py).
with

measure_status as (
    select * from {{ ref('measure_status_daily') }}
),

headline_measures as (
    select * from {{ ref('int_headline_measures_selected') }}
),

ranked as (
    select
        measure_status.as_of_date,
        headline_measures.goal_id,
        headline_measures.indicator_id,
        case measure_status.status
            when 'red' then 1
            when 'yellow' then 2
            when 'no_data' then 3
            when 'green' then 4
            else 5
        end as severity
    from measure_status
    inner join headline_measures
        on measure_status.measure_id = headline_measures.measure_id
        and measure_status.plan_version = headline_measures.plan_version
),

final as (
    select
        as_of_date,
        goal_id,
        indicator_id,
        case min(severity)
            when 1 then 'red'
            when 2 then 'yellow'
            when 3 then 'no_data'
            when 4 then 'green'
            else 'no_target'
        end as status
    from ranked
    group by as_of_date, goal_id, indicator_id
)

select * from final
