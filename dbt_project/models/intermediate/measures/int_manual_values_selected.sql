-- Manual measures: the steward file is re-delivered in full, so raw holds
-- exactly the current truth and (measure_id, period) is unique in it.
with

observations as (
    select * from {{ ref('stg_manual__observations') }}
),

final as (
    select
        measure_id,
        period,
        'national' as geography_level,
        '0' as geography_code,
        value,
        cast(null as double) as numerator,
        cast(null as double) as denominator
    from observations
)

select * from final
