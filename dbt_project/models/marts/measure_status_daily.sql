-- The status of every measure as of every day from the earliest baseline to
-- the publication's as-of date (indicators.md, "Status as of a date"): for
-- as-of date d, only the national values whose period ends on or before d
-- count (the latest is v, its period end t), freshness counts back from d,
-- and the comment is the one in force on d. This is the only model that
-- computes a status; measure_status and measure_status_history are rows of
-- it, and `ehelse status|report --as-of d` reads it, so a status as of any
-- day is the same wherever it is shown.
with

measures as (
    select * from {{ ref('dim_measure') }}
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
    inner join measures on measure_values.measure_id = measures.measure_id
    where
        measure_values.geography_level = 'national'
        and measure_values.value is not null
        and (
            (measures.status_grain = 'month' and length(measure_values.period) = 7)
            or (measures.status_grain = 'year' and length(measure_values.period) = 4)
        )
),

latest_values as (
    select
        as_of_dates.as_of_date,
        status_values.measure_id,
        status_values.period,
        status_values.period_end_date,
        status_values.value,
        status_values.ci_low,
        status_values.ci_high
    from as_of_dates
    inner join status_values
        on status_values.period_end_date <= as_of_dates.as_of_date
        and (
            status_values.next_period_end_date is null
            or as_of_dates.as_of_date < status_values.next_period_end_date
        )
),

comment_spans as (
    -- A comment applies from gjelder_fra until the next comment for the same id.
    select
        catalog_id,
        valid_from,
        lead(valid_from) over (partition by catalog_id order by valid_from) as valid_until,
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
        measures.indicator_id,
        measures.goal_id,
        measures.direction,
        measures.status_grain,
        measures.baseline_value,
        measures.baseline_date,
        measures.target_value,
        cast(cast(measures.target_year as {{ dbt.type_string() }}) || '-12-31' as date) as target_date,
        measures.green_min,
        measures.yellow_min,
        as_of_dates.as_of_date,
        latest_values.period as latest_period,
        latest_values.period_end_date as latest_period_end_date,
        latest_values.value as latest_value,
        latest_values.ci_low as latest_ci_low,
        latest_values.ci_high as latest_ci_high,
        -- A measure without its own comment shows its indicator's.
        coalesce(own_comments.comment_nb, indicator_comments.comment_nb) as comment_nb,
        case
            when own_comments.comment_nb is not null then own_comments.comment_author
            else indicator_comments.comment_author
        end as comment_author
    from measures
    cross join as_of_dates
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

progressed as (
    select
        *,
        case
            when latest_period_end_date is null or baseline_date is null then null
            when latest_period_end_date <= baseline_date then 0.0
            when latest_period_end_date >= target_date then 1.0
            else
                cast({{ dbt.datediff('baseline_date', 'latest_period_end_date', 'day') }} as double)
                / {{ dbt.datediff('baseline_date', 'target_date', 'day') }}
        end as time_progress,
        -- no_data: no value in the 13 months (monthly) or 2 years (yearly) before the as-of date.
        case
            when latest_period_end_date is null then false
            when status_grain = 'month'
                then latest_period_end_date > {{ dbt.dateadd('month', -13, 'as_of_date') }}
            else latest_period_end_date > {{ dbt.dateadd('year', -2, 'as_of_date') }}
        end as is_fresh
    from joined
),

expected as (
    select
        *,
        baseline_value + (target_value - baseline_value) * time_progress as expected_value,
        -- e(t) = b: no progress is expected yet (t <= t0) or the target is the baseline.
        (time_progress = 0 or target_value = baseline_value) as expects_no_change
    from progressed
),

graded as (
    select
        *,
        {{ achieved_fraction('latest_value') }} as achieved_fraction,
        {{ traffic_light('latest_value') }} as status,
        {{ traffic_light('latest_ci_low') }} as status_at_ci_low,
        {{ traffic_light('latest_ci_high') }} as status_at_ci_high
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
            latest_ci_low is not null
            and status in ('green', 'yellow', 'red')
            and (status_at_ci_low <> status or status_at_ci_high <> status),
            false
        ) as status_is_uncertain,
        latest_ci_low,
        latest_ci_high,
        comment_nb,
        comment_author
    from graded
)

select * from final
