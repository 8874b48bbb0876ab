with

measure_values as (
    select * from {{ ref('int_measure_values_unioned') }}
),

measures as (
    select * from {{ ref('dim_measure') }}
),

flagged as (
    -- Small cells (outputs.md): a person-level count below national level that
    -- is at least 1 and below the threshold is withheld.
    select
        measure_values.*,
        measures.is_person_level_count
        and measure_values.geography_level <> 'national'
        and measure_values.value >= 1
        and measure_values.value < {{ var('min_cell_count') | int }} as is_small_cell
    from measure_values
    inner join measures on measure_values.measure_id = measures.measure_id
),

final as (
    select
        measure_id,
        period,
        period_end_date,
        geography_level,
        geography_code,
        case when is_small_cell then null else value end as value,
        case when is_small_cell then null else numerator end as numerator,
        case when is_small_cell then null else denominator end as denominator,
        n,
        n_eff,
        ci_low,
        ci_high,
        is_suppressed or is_small_cell as is_suppressed
    from flagged
)

select * from final
