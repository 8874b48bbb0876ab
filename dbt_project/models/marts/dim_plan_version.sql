-- The plan versions (indicators.md, "The plan over time"), one row each, with
-- the owner in force on the publication's as-of date (plan_owners: the 2023
-- version passed from Direktoratet for e-helse to Helsedirektoratet on
-- 2024-01-01 without changing).
with

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

plan_owners as (
    select * from {{ ref('plan_owners') }}
),

owners_ranked as (
    -- The owner in force on the as-of date; before the first owner's date, the first owner.
    select
        plan_version,
        owner,
        row_number() over (
            partition by plan_version
            order by
                case when valid_from <= {{ as_of_date() }} then valid_from end desc nulls last,
                valid_from asc
        ) as owner_rank
    from plan_owners
),

final as (
    select
        plan_versions.plan_version,
        plan_versions.title,
        plan_versions.strategy,
        owners_ranked.owner,
        plan_versions.decided_by,
        plan_versions.decided_on,
        -- dbt-spark loads a blank text cell of a seed as the text 'None': empty on both engines.
        nullif(plan_versions.decided_in, 'None') as decided_in,
        plan_versions.valid_from,
        plan_versions.valid_to
    from plan_versions
    left join owners_ranked
        on plan_versions.plan_version = owners_ranked.plan_version
        and owners_ranked.owner_rank = 1
)

select * from final
