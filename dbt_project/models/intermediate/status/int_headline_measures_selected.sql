-- The measures of the headline indicators the council's count is made of ("N av M ... er
-- gule"), per plan version: the one place meeting_status and the indicator statuses take
-- the headline set from (a version's headline flag, dim_measure_version).
with

measure_versions as (
    select * from {{ ref('dim_measure_version') }}
),

final as (
    select
        plan_version,
        measure_id,
        indicator_id,
        goal_id
    from measure_versions
    where is_headline
)

select * from final
