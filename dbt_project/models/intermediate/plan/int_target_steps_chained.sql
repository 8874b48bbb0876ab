-- The expected path of every measure in every plan version (indicators.md,
-- "Target steps"): one segment per target step, from the baseline to the
-- first step, then from step to step, each step at 31 December of its year.
-- A relative target ("+20 %") is resolved here, T = b * (1 + pct/100), so
-- every reader of a target sees the same number.
with

steps as (
    select * from {{ ref('measure_target_steps') }}
),

catalog as (
    select * from {{ ref('measure_catalog') }}
),

resolved as (
    select
        steps.measure_id,
        steps.plan_version,
        steps.target_year,
        steps.target_change_pct,
        catalog.baseline_value,
        catalog.baseline_date,
        coalesce(
            steps.target_value,
            catalog.baseline_value * (1 + steps.target_change_pct / 100.0)
        ) as target_value,
        cast(cast(steps.target_year as {{ dbt.type_string() }}) || '-12-31' as date) as target_date
    from steps
    inner join catalog
        on steps.measure_id = catalog.measure_id
        and steps.plan_version = catalog.plan_version
),

chained as (
    select
        measure_id,
        plan_version,
        target_year,
        target_change_pct,
        target_value,
        target_date,
        row_number() over (partition by plan_version, measure_id order by target_year) as step_no,
        count(*) over (partition by plan_version, measure_id) as n_steps,
        coalesce(
            lag(target_date) over (partition by plan_version, measure_id order by target_year),
            baseline_date
        ) as from_date,
        coalesce(
            lag(target_value) over (partition by plan_version, measure_id order by target_year),
            baseline_value
        ) as from_value
    from resolved
),

final as (
    select
        measure_id,
        plan_version,
        target_year,
        target_change_pct,
        target_value,
        target_date,
        step_no,
        n_steps,
        from_date,
        from_value,
        step_no = 1 as is_first_step,
        step_no = n_steps as is_last_step
    from chained
)

select * from final
