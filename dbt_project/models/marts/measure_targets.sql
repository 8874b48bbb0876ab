-- The targets (trappetrinn) of every measure in every plan version, resolved
-- to numbers (outputs.md, measure_targets).
with

steps as (
    select * from {{ ref('int_target_steps_chained') }}
),

final as (
    select
        measure_id,
        plan_version,
        target_year,
        target_value,
        target_change_pct,
        target_date
    from steps
)

select * from final
