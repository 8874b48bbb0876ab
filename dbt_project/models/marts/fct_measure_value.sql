-- Every published value. Small cells (outputs.md): a person-level count
-- below national level that is at least 1 and below the threshold is
-- withheld, and so is a second cell wherever one withheld cell could be
-- recovered by subtraction (complementary suppression). The count judged is
-- the numerator where there is one (4.2.2's lookup events) and the value
-- otherwise (4.2.6's patients). A steward's kommentar is published beside
-- the manual value it explains.
with

measure_values as (
    select * from {{ ref('int_measure_values_unioned') }}
),

measures as (
    select * from {{ ref('int_measure_versions_latest') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

observations as (
    select * from {{ ref('stg_manual__observations') }}
),

current_counties as (
    select municipality_code, county_code
    from municipalities
    where valid_to is null
),

flagged as (
    select
        measure_values.*,
        measures.is_person_level_count,
        current_counties.county_code,
        coalesce(measure_values.numerator, measure_values.value) as cell_count,
        measures.is_person_level_count
        and measure_values.geography_level <> 'national'
        and coalesce(measure_values.numerator, measure_values.value) >= 1
        and coalesce(measure_values.numerator, measure_values.value) < {{ var('min_cell_count') | int }}
            as is_small_cell
    from measure_values
    inner join measures on measure_values.measure_id = measures.measure_id
    left join current_counties
        on measure_values.geography_level = 'municipality'
        and measure_values.geography_code = current_counties.municipality_code
),

person_level_cells as (
    select
        measure_id,
        period,
        geography_level,
        geography_code,
        county_code,
        cell_count,
        is_small_cell as is_withheld
    from flagged
    where is_person_level_count
),

protected as (
    select * from {{ complementary_suppression('person_level_cells', ['measure_id', 'period']) }} as protected_cells
),

withheld as (
    select
        flagged.*,
        coalesce(protected.is_withheld, false) as is_withheld
    from flagged
    left join protected
        on flagged.measure_id = protected.measure_id
        and flagged.period = protected.period
        and flagged.geography_level = protected.geography_level
        and flagged.geography_code = protected.geography_code
),

final as (
    select
        withheld.measure_id,
        withheld.period,
        withheld.period_end_date,
        withheld.geography_level,
        withheld.geography_code,
        case when withheld.is_withheld then null else withheld.value end as value,
        case when withheld.is_withheld then null else withheld.numerator end as numerator,
        case when withheld.is_withheld then null else withheld.denominator end as denominator,
        withheld.n,
        withheld.n_eff,
        withheld.ci_low,
        withheld.ci_high,
        withheld.is_suppressed or withheld.is_withheld as is_suppressed,
        observations.comment as comment_nb
    from withheld
    left join observations
        on withheld.measure_id = observations.measure_id
        and withheld.period = observations.period
        and withheld.geography_level = 'national'
)

select * from final
