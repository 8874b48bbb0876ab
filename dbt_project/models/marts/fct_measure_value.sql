with

measure_values as (
    select * from {{ ref('int_measure_values_unioned') }}
),

final as (
    select
        measure_id,
        period,
        period_end_date,
        geography_level,
        geography_code,
        value,
        numerator,
        denominator,
        n,
        n_eff,
        ci_low,
        ci_high,
        is_suppressed
    from measure_values
)

select * from final
