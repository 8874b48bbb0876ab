-- 5.2 (development) and 5.3 (rollout): of the sub-goals due by the last snapshot of the year
-- (planned in the year, on or before the snapshot date, not cancelled), the percent with a
-- significant delay. Nothing is published for a year with nothing due.
with

delays as (
    select * from {{ ref('int_subgoal_delays_measured') }}
),

dated as (
    select
        delays.*,
        cast(extract(year from snapshot_date) as {{ dbt.type_string() }}) as snapshot_year,
        cast(extract(year from planned_on) as {{ dbt.type_string() }}) as planned_year
    from delays
),

year_snapshots as (
    select
        snapshot_year,
        max(snapshot_date) as snapshot_date
    from dated
    group by snapshot_year
),

due as (
    select dated.*
    from dated
    inner join year_snapshots on dated.snapshot_date = year_snapshots.snapshot_date
    where
        dated.status <> 'avbrutt'
        and dated.planned_year = dated.snapshot_year
        and dated.planned_on <= dated.snapshot_date
),

counted as (
    select
        measure_id,
        snapshot_year as period,
        sum(case when is_significantly_delayed then 1 else 0 end) as n_delayed,
        count(*) as n_due
    from due
    group by measure_id, snapshot_year
),

final as (
    select
        measure_id,
        period,
        'national' as geography_level,
        '0' as geography_code,
        100.0 * n_delayed / n_due as value,
        cast(n_delayed as double) as numerator,
        cast(n_due as double) as denominator
    from counted
)

select * from final
