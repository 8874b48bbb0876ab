{{ config(meta={'dagster': {'ref': {'name': 'fct_measure_value'}}}) }}
-- outputs.md, "Across every output": every published cell of a decided
-- quantity is withheld exactly where int_disclosure_cells_decided says, in
-- fct_measure_value and in pll_usage_monthly (4.2.6's patients), so no table
-- publishes what another withholds.
with

decided as (
    select * from {{ ref('int_disclosure_cells_decided') }}
),

values_published as (
    select * from {{ ref('fct_measure_value') }}
),

pll as (
    select * from {{ ref('pll_usage_monthly') }}
),

published as (
    select measure_id, period, geography_level, geography_code, is_suppressed, 'fct_measure_value' as table_name
    from values_published
    union all
    select
        '4.2.6' as measure_id, period, geography_level, geography_code, is_suppressed,
        'pll_usage_monthly' as table_name
    from pll
),

final as (
    select
        published.table_name,
        published.measure_id,
        published.period,
        published.geography_level,
        published.geography_code,
        published.is_suppressed,
        decided.is_withheld
    from published
    inner join decided
        on published.measure_id = decided.measure_id
        and published.period = decided.period
        and published.geography_level = decided.geography_level
        and published.geography_code = decided.geography_code
    where published.is_suppressed <> decided.is_withheld
)

select * from final
