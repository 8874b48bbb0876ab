-- 1.2: share of the population living in municipalities that offer
-- digihelsestasjon on the last snapshot of the month (tilbys_fra <= that
-- day), with the latest population figure for that year, all on 2024 codes.
with

offerings as (
    select * from {{ ref('stg_helsenorge__service_offerings') }}
),

code_map as (
    select * from {{ ref('municipality_code_map') }}
),

populations as (
    select * from {{ ref('int_populations_mapped') }}
),

snapshots as (
    select * from {{ last_snapshot_of_each_month('offerings') }} as last_snapshots
),

month_snapshots as (
    select
        snapshot_date,
        -- The latest population year not after the snapshot's year, else the earliest we have.
        {{ population_year('extract(year from snapshots.snapshot_date)') }} as population_year
    from snapshots
),

offering_municipalities as (
    select distinct
        offerings.snapshot_date,
        code_map.municipality_code
    from offerings
    inner join code_map on offerings.source_municipality_code = code_map.source_code
    where offerings.service_code = 'digihelsestasjon' and offerings.offered_from <= offerings.snapshot_date
),

covered as (
    select
        month_snapshots.snapshot_date,
        sum(populations.population) as population_total,
        sum(
            case when offering_municipalities.municipality_code is not null then populations.population else 0 end
        ) as population_covered
    from month_snapshots
    inner join populations on month_snapshots.population_year = populations.year
    left join offering_municipalities
        on month_snapshots.snapshot_date = offering_municipalities.snapshot_date
        and populations.municipality_code = offering_municipalities.municipality_code
    where populations.municipality_code <> '9999'
    group by month_snapshots.snapshot_date
),

final as (
    select
        '1.2' as measure_id,
        {{ month_period('snapshot_date') }} as period,
        'national' as geography_level,
        '0' as geography_code,
        100.0 * population_covered / population_total as value,
        population_covered as numerator,
        population_total as denominator
    from covered
)

select * from final
