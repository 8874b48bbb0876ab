-- Every day a status is computed as of: from the earliest baseline date of
-- the catalog to the publication's as-of date (var as_of_date, default today).
with

days as (
    {{ dbt.date_spine(
        'day',
        '(select min(baseline_date) from ' ~ ref('dim_measure') ~ ')',
        dbt.dateadd('day', 1, as_of_date()),
    ) }}
),

final as (
    select cast(date_day as date) as as_of_date
    from days
)

select * from final
