{{ config(materialized='table') }}
-- A table, not a view: its readers (the measures' union, its tests and GX suite) would
-- each sum the daily lookups again, and those grow with the history (issue 26).
-- 4.2.2: lookups per week on average over the period (indicators.md): the
-- period's lookup events (numerator) over its weeks (days / 7, denominator),
-- per month, per year once the year's 31 December is in the data (a partial
-- year would read as a fall in use), and per month by the (2024)
-- municipality of the organisation that looked up. oppslag_id is unique
-- across files (tested on the staging model), so events are distinct lookups.
with

daily as (
    select * from {{ ref('int_lookups_aggregated') }}
),

monthly_by_source_code as (
    select
        {{ month_period('lookup_date') }} as period,
        source_municipality_code,
        sum(n_lookups) as n_lookups
    from daily
    group by {{ month_period('lookup_date') }}, source_municipality_code
),

monthly as (
    select
        period,
        sum(n_lookups) as n_lookups
    from monthly_by_source_code
    group by period
),

monthly_by_municipality as (
    select * from {{ allocate_to_current_municipalities('monthly_by_source_code', 'n_lookups', ['period']) }}
        as allocated
),

yearly as (
    select
        substring(cast(lookup_date as {{ dbt.type_string() }}), 1, 4) as period,
        sum(n_lookups) as n_lookups,
        max(lookup_date) as last_day
    from daily
    group by substring(cast(lookup_date as {{ dbt.type_string() }}), 1, 4)
),

unioned as (
    select period, 'national' as geography_level, '0' as geography_code, n_lookups from monthly
    union all
    select period, 'national' as geography_level, '0' as geography_code, n_lookups
    from yearly
    where substring(cast(last_day as {{ dbt.type_string() }}), 6, 5) = '12-31'
    union all
    select period, 'municipality' as geography_level, municipality_code as geography_code, n_lookups
    from monthly_by_municipality
),

with_weeks as (
    select
        period,
        geography_level,
        geography_code,
        n_lookups,
        -- The period's days (28-31 for a month, 365/366 for a year) in weeks.
        cast(
            {{ dbt.datediff(period_start_date('period'), period_end_date('period'), 'day') }} + 1 as double  -- noqa: LT05
        ) / 7 as n_weeks
    from unioned
),

final as (
    select
        '4.2.2' as measure_id,
        period,
        geography_level,
        geography_code,
        n_lookups / n_weeks as value,
        cast(n_lookups as double) as numerator,
        n_weeks as denominator
    from with_weeks
)

select * from final
