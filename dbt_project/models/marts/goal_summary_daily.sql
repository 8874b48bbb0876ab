-- The council's summary as of every day of measure_status_daily: per goal of
-- the plan version in force that day, its headline indicators (16 in 2023), each taking
-- the worst status of its measures (int_indicator_statuses_summarised), so "N/16 er gule"
-- reads straight off the goal_id = 0 row. goal_summary and goal_summary_history are rows of it.
with

indicator_status as (
    -- Each headline indicator's worst status per day: the rule's one home.
    select * from {{ ref('int_indicator_statuses_summarised') }}
),

goals as (
    select * from {{ ref('goals') }}
),

as_of_dates as (
    select * from {{ ref('int_status_as_of_dates') }}
),

goal_days as (
    select
        as_of_dates.as_of_date,
        goals.goal_id,
        goals.goal_name_nb
    from goals
    inner join as_of_dates on goals.plan_version = as_of_dates.plan_version
),

per_goal as (
    select
        goal_days.as_of_date,
        goal_days.goal_id,
        goal_days.goal_name_nb,
        count(indicator_status.indicator_id) as n_indicators,
        sum(case when indicator_status.status = 'green' then 1 else 0 end) as n_green,
        sum(case when indicator_status.status = 'yellow' then 1 else 0 end) as n_yellow,
        sum(case when indicator_status.status = 'red' then 1 else 0 end) as n_red,
        sum(case when indicator_status.status = 'no_target' then 1 else 0 end) as n_no_target,
        sum(case when indicator_status.status = 'no_data' then 1 else 0 end) as n_no_data
    from goal_days
    left join indicator_status
        on goal_days.goal_id = indicator_status.goal_id
        and goal_days.as_of_date = indicator_status.as_of_date
    group by goal_days.as_of_date, goal_days.goal_id, goal_days.goal_name_nb
),

all_goals as (
    select
        as_of_date,
        0 as goal_id,
        'Alle mål' as goal_name_nb,
        sum(n_indicators) as n_indicators,
        sum(n_green) as n_green,
        sum(n_yellow) as n_yellow,
        sum(n_red) as n_red,
        sum(n_no_target) as n_no_target,
        sum(n_no_data) as n_no_data
    from per_goal
    group by as_of_date
),

unioned as (
    select
        as_of_date, goal_id, goal_name_nb, n_indicators, n_green, n_yellow, n_red, n_no_target, n_no_data
    from per_goal
    union all
    select
        as_of_date, goal_id, goal_name_nb, n_indicators, n_green, n_yellow, n_red, n_no_target, n_no_data
    from all_goals
),

final as (
    select
        cast(goal_id as integer) as goal_id,
        goal_name_nb,
        cast(n_indicators as integer) as n_indicators,
        cast(n_green as integer) as n_green,
        cast(n_yellow as integer) as n_yellow,
        cast(n_red as integer) as n_red,
        cast(n_no_target as integer) as n_no_target,
        cast(n_no_data as integer) as n_no_data,
        as_of_date
    from unioned
)

select * from final
