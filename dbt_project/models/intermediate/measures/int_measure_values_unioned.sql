-- Every computed measure value, one shape. A new measure model is added here.
with

visit_means as (
    select * from {{ ref('int_visit_means_rolled') }}
),

manual_values as (
    select * from {{ ref('int_manual_values_selected') }}
),

unioned as (
    select measure_id, period, geography_level, geography_code, value, numerator, denominator from visit_means
    union all
    select measure_id, period, geography_level, geography_code, value, numerator, denominator from manual_values
),

final as (
    select
        measure_id,
        period,
        {{ period_end_date('period') }} as period_end_date,
        geography_level,
        geography_code,
        value,
        numerator,
        denominator
    from unioned
)

select * from final
