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
        cast(null as bigint) as n,
        cast(null as double) as n_eff,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high,
        false as is_suppressed
    from measure_values
)

select * from final
