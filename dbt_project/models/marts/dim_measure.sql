-- The catalog of the plan version in force on the publication's as-of date
-- (outputs.md: dim_measure stays one row per measure); before the first
-- version's valid_from, the first version.
with

measure_versions as (
    select * from {{ ref('dim_measure_version') }}
),

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

version_ranked as (
    select
        plan_version,
        row_number() over (
            order by
                case when valid_from <= {{ as_of_date() }} then valid_from end desc nulls last,
                valid_from asc
        ) as version_rank
    from plan_versions
),

final as (
    select
        measure_versions.measure_id,
        measure_versions.indicator_id,
        measure_versions.indicator_name_nb,
        measure_versions.goal_id,
        measure_versions.goal_name_nb,
        measure_versions.name_nb,
        measure_versions.unit,
        measure_versions.value_kind,
        measure_versions.indicator_type,
        measure_versions.source,
        measure_versions.direction,
        measure_versions.status_grain,
        measure_versions.baseline_value,
        measure_versions.baseline_period,
        measure_versions.baseline_date,
        measure_versions.baseline_note,
        measure_versions.target_value,
        measure_versions.target_change_pct,
        measure_versions.target_year,
        measure_versions.target_note,
        measure_versions.green_min,
        measure_versions.yellow_min,
        measure_versions.is_headline,
        measure_versions.is_person_level_count
    from measure_versions
    inner join version_ranked
        on measure_versions.plan_version = version_ranked.plan_version
        and version_ranked.version_rank = 1
)

select * from final
