-- The status of every measure as of every day from the first plan version's
-- valid_from to the publication's as-of date (indicators.md, "Status as of a
-- date", "The plan over time"): for as-of date d, the plan version in force on
-- d defines the measures, their targets and method; only the national values
-- whose period ends on or before d count (the latest is v, its period end t),
-- freshness counts back from d, and the comment is the one in force on d. This is the only model that
-- computes a status; measure_status and measure_status_history are rows of
-- it, and `ehelse status|report --as-of d` reads it, so a status as of any
-- day is the same wherever it is shown.
with

measures as (
    select * from {{ ref('dim_measure_version') }}
),

measures_latest as (
    select * from {{ ref('int_measure_versions_latest') }}
),

target_steps as (
    select * from {{ ref('int_target_steps_chained') }}
),

trend_measures as (
    select distinct measure_id from {{ ref('measure_catalog') }} where status_method = 'trend'
),

measure_values as (
    select * from {{ ref('fct_measure_value') }}
),

comments as (
    select * from {{ ref('stg_manual__comments') }}
),

as_of_dates as (
    select * from {{ ref('int_status_as_of_dates') }}
),

status_values as (
    -- Judge on the catalog's grain: 4.2.2 is judged on the year, not the month.
    -- Each value is the latest from its period end until the next period ends.
    select
        measure_values.measure_id,
        measure_values.period,
        measure_values.period_end_date,
        measure_values.value,
        measure_values.ci_low,
        measure_values.ci_high,
        lead(measure_values.period_end_date) over (
            partition by measure_values.measure_id order by measure_values.period_end_date
        ) as next_period_end_date
    from measure_values
    inner join measures_latest as measures on measure_values.measure_id = measures.measure_id
    where
        measure_values.geography_level = 'national'
        and measure_values.value is not null
        and (
            (measures.status_grain = 'month' and length(measure_values.period) = 7)
            or (measures.status_grain = 'year' and length(measure_values.period) = 4)
        )
),

trend_points as (
    -- status_method trend: for each value's period end t, the national values whose
    -- periods end in the three years up to t; x = days from t (so the line's value at t
    -- is its intercept).
    select
        anchors.measure_id,
        anchors.period_end_date,
        cast(
            {{ dbt.datediff('anchors.period_end_date', 'recent.period_end_date', 'day') }} as double
        ) as x,
        recent.value as y
    from status_values as anchors
    inner join trend_measures on anchors.measure_id = trend_measures.measure_id
    inner join status_values as recent
        on anchors.measure_id = recent.measure_id
        and recent.period_end_date <= anchors.period_end_date
        and recent.period_end_date > {{ dbt.dateadd('year', -3, 'anchors.period_end_date') }}
),

trend_values as (
    -- Least squares: slope = (mean(xy) - mean(x) mean(y)) / (mean(x^2) - mean(x)^2),
    -- value at t = mean(y) - slope * mean(x); only with at least three values.
    select
        measure_id,
        period_end_date,
        avg(y) - (avg(x * y) - avg(x) * avg(y)) / (avg(x * x) - avg(x) * avg(x)) * avg(x) as trend_value
    from trend_points
    group by measure_id, period_end_date
    having count(*) >= 3
),

latest_values as (
    select
        as_of_dates.as_of_date,
        status_values.measure_id,
        status_values.period,
        status_values.period_end_date,
        status_values.value,
        status_values.ci_low,
        status_values.ci_high,
        trend_values.trend_value
    from as_of_dates
    inner join status_values
        on status_values.period_end_date <= as_of_dates.as_of_date
        and (
            status_values.next_period_end_date is null
            or as_of_dates.as_of_date < status_values.next_period_end_date
        )
    left join trend_values
        on status_values.measure_id = trend_values.measure_id
        and status_values.period_end_date = trend_values.period_end_date
),

comment_spans as (
    -- A comment applies from gjelder_fra until the next comment for the same id.
    select
        catalog_id,
        valid_from,
        lead(valid_from) over (
            partition by catalog_id, coalesce(comment_category, '') order by valid_from
        ) as valid_until,
        comment_nb,
        comment_author
    from comments
),

comments_in_force as (
    select
        as_of_dates.as_of_date,
        comment_spans.catalog_id,
        comment_spans.comment_nb,
        comment_spans.comment_author
    from as_of_dates
    inner join comment_spans
        on comment_spans.valid_from <= as_of_dates.as_of_date
        and (comment_spans.valid_until is null or as_of_dates.as_of_date < comment_spans.valid_until)
),

joined as (
    select
        measures.measure_id,
        measures.plan_version,
        measures.indicator_id,
        measures.goal_id,
        measures.direction,
        measures.status_grain,
        measures.baseline_value,
        measures.baseline_date,
        measures.green_min,
        measures.yellow_min,
        as_of_dates.as_of_date,
        latest_values.period as latest_period,
        latest_values.period_end_date as latest_period_end_date,
        latest_values.value as latest_value,
        latest_values.ci_low as latest_ci_low,
        latest_values.ci_high as latest_ci_high,
        -- trend only where the version says so and three values allow it (else latest).
        case
            when measures.status_method = 'trend' and latest_values.trend_value is not null then 'trend'
            else 'latest'
        end as status_method_used,
        case
            when measures.status_method = 'trend' and latest_values.trend_value is not null
                then latest_values.trend_value
            else latest_values.value
        end as judged_value,
        -- A measure without its own comment shows its indicator's.
        coalesce(own_comments.comment_nb, indicator_comments.comment_nb) as comment_nb,
        case
            when own_comments.comment_nb is not null then own_comments.comment_author
            else indicator_comments.comment_author
        end as comment_author
    from as_of_dates
    inner join measures on as_of_dates.plan_version = measures.plan_version
    left join latest_values
        on measures.measure_id = latest_values.measure_id
        and as_of_dates.as_of_date = latest_values.as_of_date
    left join comments_in_force as own_comments
        on measures.measure_id = own_comments.catalog_id
        and as_of_dates.as_of_date = own_comments.as_of_date
    left join comments_in_force as indicator_comments
        on measures.indicator_id = indicator_comments.catalog_id
        and as_of_dates.as_of_date = indicator_comments.as_of_date
),

stepped as (
    -- The step judged on d: the first whose 31 December is on or after d, else the last
    -- (target_expired). The segment of the expected path that holds t: baseline -> step 1
    -- -> step 2 ..., flat after the last step.
    select
        joined.*,
        judged_steps.target_value,
        judged_steps.target_year,
        judged_steps.target_date,
        coalesce(joined.as_of_date > judged_steps.target_date, false) as target_expired,
        path_steps.from_date as segment_from_date,
        path_steps.from_value as segment_from_value,
        path_steps.target_date as segment_to_date,
        path_steps.target_value as segment_to_value,
        path_steps.is_first_step as segment_is_first
    from joined
    left join target_steps as judged_steps
        on joined.measure_id = judged_steps.measure_id
        and joined.plan_version = judged_steps.plan_version
        and (judged_steps.is_first_step or joined.as_of_date > judged_steps.from_date)
        and (joined.as_of_date <= judged_steps.target_date or judged_steps.is_last_step)
    left join target_steps as path_steps
        on joined.measure_id = path_steps.measure_id
        and joined.plan_version = path_steps.plan_version
        and (path_steps.is_first_step or joined.latest_period_end_date > path_steps.from_date)
        and (joined.latest_period_end_date <= path_steps.target_date or path_steps.is_last_step)
),

progressed as (
    select
        *,
        case
            when latest_period_end_date is null or baseline_date is null then null
            when latest_period_end_date <= segment_from_date then 0.0
            when latest_period_end_date >= segment_to_date then 1.0
            else
                cast({{ dbt.datediff('segment_from_date', 'latest_period_end_date', 'day') }} as double)
                / {{ dbt.datediff('segment_from_date', 'segment_to_date', 'day') }}
        end as time_progress,
        -- no_data: no value in the 13 months (monthly) or 2 years (yearly) before the as-of date.
        case
            when latest_period_end_date is null then false
            when status_grain = 'month'
                then latest_period_end_date > {{ dbt.dateadd('month', -13, 'as_of_date') }}
            else latest_period_end_date > {{ dbt.dateadd('year', -2, 'as_of_date') }}
        end as is_fresh
    from stepped
),

expected as (
    select
        *,
        segment_from_value + (segment_to_value - segment_from_value) * time_progress as expected_value,
        -- e(t) = b: no progress is expected yet (t <= t0) or the path is flat at the baseline.
        (
            (segment_is_first and time_progress = 0)
            or segment_from_value + (segment_to_value - segment_from_value) * time_progress = baseline_value
        ) as expects_no_change
    from progressed
),

graded as (
    select
        *,
        {{ achieved_fraction('judged_value') }} as achieved_fraction,
        {{ traffic_light('judged_value') }} as status,
        {{ traffic_light('latest_ci_low') }} as status_at_ci_low,
        {{ traffic_light('latest_ci_high') }} as status_at_ci_high,
        -- Flags beside the colour (indicators.md, "Beside the colour").
        coalesce(
            (direction = 'up' and judged_value >= target_value)
            or (direction = 'down' and judged_value <= target_value),
            false
        ) as target_reached,
        coalesce(
            (direction = 'up' and judged_value < baseline_value)
            or (direction = 'down' and judged_value > baseline_value),
            false
        ) as moving_away
    from expected
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
        -- Survey measures: flagged (never changed) when an end of the 95 % interval
        -- would give another colour than the value.
        coalesce(
            status_method_used = 'latest'
            and latest_ci_low is not null
            and status in ('green', 'yellow', 'red')
            and (status_at_ci_low <> status or status_at_ci_high <> status),
            false
        ) as status_is_uncertain,
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
    from graded
)

select * from final
