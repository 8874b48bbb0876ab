-- The catalog as every plan version defines it (outputs.md), one row per
-- (measure_id, plan_version): a reused id is a new definition. target_value
-- and target_year are the step judged on the publication's as-of date: the
-- first step whose 31 December is on or after it, else the last step.
with

catalog as (
    select * from {{ ref('measure_catalog') }}
),

goals as (
    select * from {{ ref('goals') }}
),

indicators as (
    select * from {{ ref('indicators') }}
),

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

steps as (
    select * from {{ ref('int_target_steps_chained') }}
),

steps_ranked as (
    select
        measure_id,
        plan_version,
        target_value,
        target_change_pct,
        target_year,
        row_number() over (
            partition by plan_version, measure_id
            order by
                case when target_date >= {{ as_of_date() }} then target_date end asc nulls last,
                target_date desc
        ) as step_rank
    from steps
),

final as (
    select
        catalog.measure_id,
        catalog.plan_version,
        catalog.indicator_id,
        indicators.indicator_name_nb,
        catalog.goal_id,
        goals.goal_name_nb,
        catalog.name_nb,
        catalog.unit,
        catalog.value_kind,
        catalog.indicator_type,
        catalog.source,
        catalog.direction,
        catalog.status_grain,
        catalog.baseline_value,
        catalog.baseline_period,
        catalog.baseline_date,
        catalog.baseline_note,
        steps_ranked.target_value,
        steps_ranked.target_change_pct,
        steps_ranked.target_year,
        catalog.target_note,
        coalesce(catalog.green_min, 0.9) as green_min,
        coalesce(catalog.yellow_min, 0.5) as yellow_min,
        catalog.is_headline,
        catalog.is_person_level_count,
        catalog.status_method,
        plan_versions.valid_from,
        plan_versions.valid_to
    from catalog
    inner join plan_versions on catalog.plan_version = plan_versions.plan_version
    inner join goals
        on catalog.goal_id = goals.goal_id
        and catalog.plan_version = goals.plan_version
    inner join indicators
        on catalog.indicator_id = indicators.indicator_id
        and catalog.plan_version = indicators.plan_version
    left join steps_ranked
        on catalog.measure_id = steps_ranked.measure_id
        and catalog.plan_version = steps_ranked.plan_version
        and steps_ranked.step_rank = 1
)

select * from final
