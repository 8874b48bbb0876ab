-- One row per measure_id: its definition in the newest plan version that
-- defines it. How a value is computed (source, plausible range, small cells,
-- significant delay, steward fallback) does not depend on the version that
-- judges it, and a measure a later version retires keeps its values for the
-- dates an earlier version judges.
with

catalog as (
    select * from {{ ref('measure_catalog') }}
),

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

ranked as (
    select
        catalog.*,
        row_number() over (
            partition by catalog.measure_id order by plan_versions.valid_from desc
        ) as version_rank
    from catalog
    inner join plan_versions on catalog.plan_version = plan_versions.plan_version
),

final as (
    select
        plan_version,
        goal_id,
        indicator_id,
        measure_id,
        name_nb,
        unit,
        value_kind,
        indicator_type,
        source,
        direction,
        status_grain,
        baseline_value,
        baseline_period,
        baseline_date,
        status_method,
        is_headline,
        is_person_level_count,
        significant_delay_days,
        steward_fallback,
        plausible_min,
        plausible_max
    from ranked
    where version_rank = 1
)

select * from final
