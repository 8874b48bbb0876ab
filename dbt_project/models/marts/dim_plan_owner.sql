-- Who owned each plan version when (plan_owners): the report of a status as of 2023 names
-- Direktoratet for e-helse, one as of 2024 or later Helsedirektoratet.
with

plan_owners as (
    select * from {{ ref('plan_owners') }}
),

final as (
    select
        plan_version,
        owner,
        valid_from,
        valid_to
    from plan_owners
)

select * from final
