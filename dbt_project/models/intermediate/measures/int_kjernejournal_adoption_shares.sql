-- 4.2.1: municipalities with innfort_dato <= the snapshot date, divided by
-- the municipalities in force on that date; a month's value is its latest snapshot.
with

adoptions as (
    select * from {{ ref('stg_kjernejournal__adoptions') }}
),

in_force as (
    select * from {{ ref('int_municipalities_counted') }}
),

per_snapshot as (
    select
        snapshot_date,
        count(distinct source_municipality_code) as n_adopted
    from adoptions
    where adopted_on <= snapshot_date
    group by snapshot_date
),

latest_in_month as (
    select
        snapshot_date,
        n_adopted,
        {{ dbt.date_trunc('month', 'snapshot_date') }} as month_start,
        row_number() over (
            partition by {{ dbt.date_trunc('month', 'snapshot_date') }} order by snapshot_date desc
        ) as recency_rank
    from per_snapshot
),

final as (
    select
        '4.2.1' as measure_id,
        substring(cast(latest_in_month.snapshot_date as varchar), 1, 7) as period,
        'national' as geography_level,
        '0' as geography_code,
        100.0 * latest_in_month.n_adopted / in_force.n_municipalities as value,
        cast(latest_in_month.n_adopted as double) as numerator,
        cast(in_force.n_municipalities as double) as denominator
    from latest_in_month
    inner join in_force on latest_in_month.snapshot_date = in_force.day
    where latest_in_month.recency_rank = 1
)

select * from final
