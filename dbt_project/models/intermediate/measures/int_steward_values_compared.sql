-- Feeds replacing steward values (indicators.md): for a measure with steward_fallback, each
-- period that has a feed value, a steward value or both. Where the feed has a value it is
-- published (int_manual_values_selected drops the steward's); where both differ the GX suite
-- intermediate__int_steward_values_compared warns, naming measure, period and both values.
with

roadmap_values as (
    select * from {{ ref('int_roadmap_delay_shares') }}
),

portfolio_values as (
    select * from {{ ref('int_portfolio_evaluation_shares') }}
),

observations as (
    select * from {{ ref('stg_manual__observations') }}
),

catalog as (
    select * from {{ ref('int_measure_versions_latest') }}
),

feed_values as (
    select measure_id, period, value from roadmap_values
    union all
    select measure_id, period, value from portfolio_values
),

steward_values as (
    select observations.measure_id, observations.period, observations.value
    from observations
    inner join catalog on observations.measure_id = catalog.measure_id
    where catalog.steward_fallback
),

compared as (
    select
        coalesce(feed_values.measure_id, steward_values.measure_id) as measure_id,
        coalesce(feed_values.period, steward_values.period) as period,
        feed_values.value as feed_value,
        steward_values.value as steward_value
    from feed_values
    full outer join steward_values
        on feed_values.measure_id = steward_values.measure_id
        and feed_values.period = steward_values.period
),

final as (
    select
        measure_id,
        period,
        feed_value,
        steward_value,
        feed_value is not null as is_covered_by_feed,
        -- stewards type one decimal: a difference below it is rounding, not disagreement
        coalesce(round(feed_value, 1) <> round(steward_value, 1), false) as values_differ
    from compared
)

select * from final
