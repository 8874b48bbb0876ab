-- 4.2.2: lookups per month, and per year once the year's last day is in the
-- data (a partial year would read as a fall in use).
with

lookups as (
    select * from {{ ref('int_lookups_deduplicated') }}
),

daily as (
    select
        lookup_date,
        count(*) as n_lookups
    from lookups
    group by lookup_date
),

monthly as (
    select
        substring(cast(lookup_date as varchar), 1, 7) as period,
        sum(n_lookups) as n_lookups
    from daily
    group by substring(cast(lookup_date as varchar), 1, 7)
),

yearly as (
    select
        substring(cast(lookup_date as varchar), 1, 4) as period,
        sum(n_lookups) as n_lookups,
        max(lookup_date) as last_day
    from daily
    group by substring(cast(lookup_date as varchar), 1, 4)
),

final as (
    select '4.2.2' as measure_id, period, cast(n_lookups as double) as value from monthly
    union all
    select '4.2.2' as measure_id, period, cast(n_lookups as double) as value
    from yearly
    where substring(cast(last_day as varchar), 6, 5) = '12-31'
)

select
    measure_id,
    period,
    'national' as geography_level,
    '0' as geography_code,
    value,
    cast(null as double) as numerator,
    cast(null as double) as denominator
from final
