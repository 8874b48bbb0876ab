with

catalog as (
    select * from {{ ref('measure_catalog') }}
),

goals as (
    select * from {{ ref('goals') }}
),

indicators as (
    select * from {{ ref('indicators') }}
),

final as (
    select
        catalog.measure_id,
        catalog.indicator_id,
        indicators.indicator_name_nb,
        catalog.goal_id,
        goals.goal_name_nb,
        catalog.name_nb,
        catalog.unit,
        catalog.value_kind,
        catalog.indicator_type,
        catalog.source,
        catalog.direction,
        catalog.status_grain,
        catalog.baseline_value,
        catalog.baseline_period,
        catalog.baseline_date,
        catalog.baseline_note,
        -- A relative target ("+20 %") is T = b * 1.20 (indicators.md).
        coalesce(
            catalog.target_value,
            catalog.baseline_value * (1 + catalog.target_change_pct / 100.0)
        ) as target_value,
        catalog.target_change_pct,
        catalog.target_year,
        catalog.target_note,
        coalesce(catalog.green_min, 0.9) as green_min,
        coalesce(catalog.yellow_min, 0.5) as yellow_min,
        catalog.is_headline,
        catalog.is_person_level_count
    from catalog
    inner join goals on catalog.goal_id = goals.goal_id
    inner join indicators on catalog.indicator_id = indicators.indicator_id
)

select * from final
