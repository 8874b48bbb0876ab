-- Every day a status is computed as of: from the earliest baseline date of
-- the catalog to the publication's as-of date (var as_of_date, default today).
-- The spine starts at a fixed early date so that compiling it needs no table
-- (dbt counts the spine's days at compile time); the catalog trims it.
with

catalog as (
    select min(baseline_date) as first_baseline_date from {{ ref('dim_measure') }}
),

days as (
    {{ dbt.date_spine(
        'day',
        "cast('2015-01-01' as date)",
        dbt.dateadd('day', 1, as_of_date()),
    ) }}
),

final as (
    select cast(days.date_day as date) as as_of_date
    from days
    inner join catalog on days.date_day >= catalog.first_baseline_date
)

select * from final
