-- Every sub-goal of every roadmap snapshot with its delay (indicators.md, 5.2 / 5.3): the
-- completion date, or if not completed the forecast, or the snapshot date when the forecast
-- is blank or earlier, against the planned date. The threshold of a significant delay is the
-- catalog's, of the measure of the sub-goal's phase (5.2 development, 5.3 rollout).
with

subgoals as (
    select * from {{ ref('stg_veikart__subgoal_snapshots') }}
),

catalog as (
    select * from {{ ref('measure_catalog') }}
),

phased as (
    select
        subgoals.*,
        case subgoals.phase when 'utvikling' then '5.2' else '5.3' end as measure_id
    from subgoals
),

referenced as (
    select
        phased.*,
        case
            when phased.status = 'avbrutt' then null
            when phased.completed_on is not null then phased.completed_on
            when phased.forecast_on is null or phased.forecast_on < phased.snapshot_date then phased.snapshot_date
            else phased.forecast_on
        end as judged_on
    from phased
),

measured as (
    select
        referenced.*,
        catalog.significant_delay_days,
        {{ dbt.datediff('referenced.planned_on', 'referenced.judged_on', 'day') }} as delay_days
    from referenced
    inner join catalog on referenced.measure_id = catalog.measure_id
),

final as (
    select
        snapshot_date,
        subgoal_id,
        solution,
        title,
        phase,
        measure_id,
        goal_id,
        planned_on,
        forecast_on,
        completed_on,
        status,
        is_council_prioritised,
        judged_on,
        delay_days,
        significant_delay_days,
        coalesce(delay_days > significant_delay_days, false) as is_significantly_delayed,
        coalesce(delay_days > significant_delay_days and status <> 'fullfort', false) as points_to_red
    from measured
)

select * from final
