-- One disclosure decision per quantity, period and geography (outputs.md,
-- privacy rule, "Across every output"): every person-level count and every
-- survey breakdown that any mart publishes is withheld here or nowhere.
-- fct_measure_value and pll_usage_monthly (and so the Parquet copies, the
-- archive, PostgreSQL and the open exports, which copy the marts) read it.
-- Primary: a person-level count below national level that is at least 1 and
-- below var('min_cell_count') (the count judged is the numerator where there
-- is one: 4.2.2's lookup events; the value otherwise: 4.2.6's patients), or a
-- survey county with too few answers (int_survey_shares_weighted's flag).
-- Complementary: the macro's pick wherever a published total would give a
-- single withheld part back. County totals of the counts are decided too
-- (pll_usage_monthly publishes them), so the one decision covers the union of
-- the cells any table publishes.
with

measure_values as (
    select * from {{ ref('int_measure_values_unioned') }}
),

catalog as (
    select * from {{ ref('int_measure_versions_latest') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

current_counties as (
    select municipality_code, county_code
    from municipalities
    where valid_to is null
),

count_cells as (
    select
        measure_values.measure_id,
        measure_values.period,
        measure_values.geography_level,
        measure_values.geography_code,
        current_counties.county_code,
        coalesce(measure_values.numerator, measure_values.value) as cell_count
    from measure_values
    inner join catalog on measure_values.measure_id = catalog.measure_id
    left join current_counties
        on measure_values.geography_level = 'municipality'
        and measure_values.geography_code = current_counties.municipality_code
    where catalog.is_person_level_count
),

county_count_cells as (
    select
        measure_id,
        period,
        'county' as geography_level,
        county_code as geography_code,
        cast(null as {{ dbt.type_string() }}) as county_code,
        sum(cell_count) as cell_count
    from count_cells
    where geography_level = 'municipality' and county_code is not null
    group by measure_id, period, county_code
),

survey_cells as (
    -- A survey breakdown is judged on its answers (n), withheld with its share.
    select
        measure_id,
        period,
        geography_level,
        geography_code,
        cast(null as {{ dbt.type_string() }}) as county_code,
        cast(n as double) as cell_count,
        is_suppressed
    from measure_values
    where n is not null
),

primary_decided as (
    select
        measure_id, period, geography_level, geography_code, county_code, cell_count,
        geography_level <> 'national'
        and cell_count >= 1
        and cell_count < {{ var('min_cell_count') | int }} as is_withheld
    from count_cells
    union all
    select
        measure_id, period, geography_level, geography_code, county_code, cell_count,
        cell_count >= 1 and cell_count < {{ var('min_cell_count') | int }} as is_withheld
    from county_count_cells
    union all
    select measure_id, period, geography_level, geography_code, county_code, cell_count, is_suppressed as is_withheld
    from survey_cells
),

complemented as (
    select * from {{ complementary_suppression('primary_decided', ['measure_id', 'period']) }} as protected_cells
),

final as (
    select
        complemented.measure_id,
        complemented.period,
        complemented.geography_level,
        complemented.geography_code,
        complemented.is_withheld,
        case
            when primary_decided.is_withheld then 'primary'
            when complemented.is_withheld then 'complementary'
        end as withheld_as
    from complemented
    inner join primary_decided
        on complemented.measure_id = primary_decided.measure_id
        and complemented.period = primary_decided.period
        and complemented.geography_level = primary_decided.geography_level
        and complemented.geography_code = primary_decided.geography_code
)

select * from final
