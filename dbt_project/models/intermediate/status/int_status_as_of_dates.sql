-- Every day a status is computed as of, and the plan version in force on it
-- (indicators.md, "Which version judges a date"): from the first plan
-- version's valid_from (no status before any plan existed) to the
-- publication's as-of date (var as_of_date, default today). The spine starts
-- at a fixed early date so that compiling it needs no table (dbt counts the
-- spine's days at compile time); the plan versions trim it.
with

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

days as (
    {{ dbt.date_spine(
        'day',
        "cast('2015-01-01' as date)",
        dbt.dateadd('day', 1, as_of_date()),
    ) }}
),

final as (
    select
        cast(days.date_day as date) as as_of_date,
        plan_versions.plan_version
    from days
    inner join plan_versions
        on days.date_day >= plan_versions.valid_from
        and (plan_versions.valid_to is null or days.date_day <= plan_versions.valid_to)
)

select * from final
