-- How many municipalities were in force on each day that a snapshot or a
-- month end names: the denominator of 4.2.1 and 4.2.5 (9999 is not one).
with

municipalities as (
    select * from {{ ref('municipalities') }}
),

snapshot_days as (
    select distinct snapshot_date as day from {{ ref('stg_kjernejournal__adoptions') }}
    union
    select distinct {{ period_end_date('period') }} as day from {{ ref('stg_pll__municipality_months') }}
),

final as (
    select
        snapshot_days.day,
        count(*) as n_municipalities
    from snapshot_days
    inner join municipalities
        on municipalities.valid_from <= snapshot_days.day
        and (municipalities.valid_to is null or municipalities.valid_to >= snapshot_days.day)
    where municipalities.municipality_code <> '9999'
    group by snapshot_days.day
)

select * from final
