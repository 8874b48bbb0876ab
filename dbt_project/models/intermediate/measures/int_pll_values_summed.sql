-- 4.2.5: share of the population living in municipalities with
-- tilrettelagt = ja in the month (the plan's "andel befolkning"), with the
-- latest population figure for the month's year, on 2024 codes. 4.2.6:
-- patients with PLL, a month-end stock, nationally and per (2024)
-- municipality.
with

pll as (
    select * from {{ ref('stg_pll__municipality_months') }}
),

code_map as (
    select * from {{ ref('municipality_code_map') }}
),

populations as (
    select * from {{ ref('int_populations_mapped') }}
),

months as (
    select distinct
        period,
        {{ population_year('cast(substring(period, 1, 4) as integer)') }} as population_year
    from pll
),

arranged_municipalities as (
    select distinct
        pll.period,
        code_map.municipality_code
    from pll
    inner join code_map on pll.source_municipality_code = code_map.source_code
    where pll.is_arranged
),

covered as (
    select
        months.period,
        sum(populations.population) as population_total,
        sum(
            case when arranged_municipalities.municipality_code is not null then populations.population else 0 end
        ) as population_covered
    from months
    inner join populations on months.population_year = populations.year
    left join arranged_municipalities
        on months.period = arranged_municipalities.period
        and populations.municipality_code = arranged_municipalities.municipality_code
    where populations.municipality_code <> '9999'
    group by months.period
),

per_month as (
    select
        period,
        sum(patients_with_pll) as patients_with_pll
    from pll
    group by period
),

arranged_shares as (
    select
        '4.2.5' as measure_id,
        period,
        100.0 * population_covered / population_total as value,
        cast(population_covered as double) as numerator,
        cast(population_total as double) as denominator
    from covered
),

municipality_patients as (
    select * from {{ allocate_to_current_municipalities('pll', 'patients_with_pll', ['period']) }} as allocated
),

patient_counts as (
    select
        '4.2.6' as measure_id,
        period,
        cast(patients_with_pll as double) as value,
        cast(null as double) as numerator,
        cast(null as double) as denominator
    from per_month
),

final as (
    select measure_id, period, 'national' as geography_level, '0' as geography_code, value, numerator, denominator
    from arranged_shares
    union all
    select measure_id, period, 'national' as geography_level, '0' as geography_code, value, numerator, denominator
    from patient_counts
    union all
    select
        '4.2.6' as measure_id,
        period,
        'municipality' as geography_level,
        municipality_code as geography_code,
        cast(patients_with_pll as double) as value,
        cast(null as double) as numerator,
        cast(null as double) as denominator
    from municipality_patients
)

select * from final
