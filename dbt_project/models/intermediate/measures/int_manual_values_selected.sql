-- Manual measures: the steward file is re-delivered in full, so raw holds
-- exactly the current truth and (measure_id, period) is unique in it. A
-- period a feed covers (5.2-5.4) publishes the feed's value, not the steward's.
with

observations as (
    select * from {{ ref('stg_manual__observations') }}
),

covered_by_feed as (
    select measure_id, period
    from {{ ref('int_steward_values_compared') }}
    where is_covered_by_feed
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
    where not exists (
        select 1
        from covered_by_feed
        where
            covered_by_feed.measure_id = observations.measure_id
            and covered_by_feed.period = observations.period
    )
)

select * from final
