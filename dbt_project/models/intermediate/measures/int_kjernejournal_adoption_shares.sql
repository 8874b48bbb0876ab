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

month_snapshots as (
    select * from {{ last_snapshot_of_each_month('adoptions') }} as last_snapshots
),

final as (
    select
        '4.2.1' as measure_id,
        month_snapshots.period,
        'national' as geography_level,
        '0' as geography_code,
        100.0 * per_snapshot.n_adopted / in_force.n_municipalities as value,
        cast(per_snapshot.n_adopted as double) as numerator,
        cast(in_force.n_municipalities as double) as denominator
    from month_snapshots
    inner join per_snapshot on month_snapshots.snapshot_date = per_snapshot.snapshot_date
    inner join in_force on month_snapshots.snapshot_date = in_force.day
)

select * from final
