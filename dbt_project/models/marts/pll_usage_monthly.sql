-- 4.2.6 in detail (indicators.md, outputs.md): per month, nationally, per
-- county and per (2024) municipality, the patients with PLL (month-end
-- stock), the month's PLL lookups and the organisations updating PLL, and
-- (nationally) the municipalities that have arranged for PLL. Patient counts
-- are withheld where the one disclosure decision withholds 4.2.6
-- (int_disclosure_cells_decided), the same cells as in fct_measure_value.
with

pll as (
    select * from {{ ref('stg_pll__municipality_months') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

disclosure as (
    select * from {{ ref('int_disclosure_cells_decided') }}
    where measure_id = '4.2.6'
),

patients as (
    select * from {{ allocate_to_current_municipalities('pll', 'patients_with_pll', ['period']) }} as allocated
),

lookups as (
    select * from {{ allocate_to_current_municipalities('pll', 'lookups', ['period']) }} as allocated
),

organisations as (
    select * from {{ allocate_to_current_municipalities('pll', 'updating_organisations', ['period']) }} as allocated
),

arranged as (
    select
        period,
        sum(case when is_arranged then 1 else 0 end) as n_municipalities_arranged
    from pll
    group by period
),

per_municipality as (
    select
        patients.period,
        patients.municipality_code,
        current_municipalities.county_code,
        patients.patients_with_pll,
        lookups.lookups,
        organisations.updating_organisations
    from patients
    inner join lookups
        on patients.period = lookups.period and patients.municipality_code = lookups.municipality_code
    inner join organisations
        on patients.period = organisations.period and patients.municipality_code = organisations.municipality_code
    left join municipalities as current_municipalities
        on patients.municipality_code = current_municipalities.municipality_code
        and current_municipalities.valid_to is null
),

per_county as (
    select
        period,
        county_code,
        sum(patients_with_pll) as patients_with_pll,
        sum(lookups) as lookups,
        sum(updating_organisations) as updating_organisations
    from per_municipality
    group by period, county_code
),

per_nation as (
    select
        period,
        sum(patients_with_pll) as patients_with_pll,
        sum(lookups) as lookups,
        sum(updating_organisations) as updating_organisations
    from per_municipality
    group by period
),

cells as (
    select
        period, 'municipality' as geography_level, municipality_code as geography_code, county_code,
        patients_with_pll, lookups, updating_organisations
    from per_municipality
    union all
    select
        period, 'county' as geography_level, county_code as geography_code, cast(null as {{ dbt.type_string() }}),
        patients_with_pll, lookups, updating_organisations
    from per_county
    union all
    select
        period, 'national' as geography_level, '0' as geography_code, cast(null as {{ dbt.type_string() }}),
        patients_with_pll, lookups, updating_organisations
    from per_nation
),

final as (
    select
        cells.period,
        cells.geography_level,
        cells.geography_code,
        case when coalesce(disclosure.is_withheld, false) then null else cast(cells.patients_with_pll as bigint) end
            as patients_with_pll,
        cast(cells.lookups as bigint) as n_lookups,
        cast(cells.updating_organisations as bigint) as n_organisations_updating,
        case when cells.geography_level = 'national' then cast(arranged.n_municipalities_arranged as bigint) end
            as n_municipalities_arranged,
        coalesce(disclosure.is_withheld, false) as is_suppressed
    from cells
    left join disclosure
        on cells.period = disclosure.period
        and cells.geography_level = disclosure.geography_level
        and cells.geography_code = disclosure.geography_code
    left join arranged on cells.period = arranged.period
)

select * from final
