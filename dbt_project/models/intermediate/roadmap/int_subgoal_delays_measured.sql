-- Every sub-goal of every roadmap snapshot with its delay (indicators.md, 5.2 / 5.3): the
-- completion date, or if not completed the forecast, or the snapshot date when the forecast
-- is blank or earlier, against the planned date. The threshold of a significant delay is the
-- catalog's, of the measure of the sub-goal's phase (5.2 development, 5.3 rollout).
-- A sub-goal planned to a quarter or a year (planned_precision) is late by whole periods, from
-- the planned quarter (year) to the quarter (year) of the judged date: k quarters are 3k
-- months, k years 12k, significant when more than the significant delay in months (90 days
-- are 3). So a one-quarter slip is late, never significant (Q2 -> Q3 is 92 days, Q4 -> Q1
-- 90), and a year slip is always significant (inputs.md, "Delay with a coarse plan"). This is
-- the one home of the delay rule: 5.2/5.3, roadmap_subgoals and initiative_status read it.
with

subgoals as (
    select * from {{ ref('stg_veikart__subgoal_snapshots') }}
),

catalog as (
    select * from {{ ref('int_measure_versions_latest') }}
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
        {{ dbt.datediff('referenced.planned_on', 'referenced.judged_on', 'day') }} as delay_days,
        case referenced.planned_precision
            when 'kvartal' then 3 * (
                4 * (extract(year from referenced.judged_on) - extract(year from referenced.planned_on))
                + extract(quarter from referenced.judged_on)
                - extract(quarter from referenced.planned_on)
            )
            when 'aar' then 12 * (
                extract(year from referenced.judged_on) - extract(year from referenced.planned_on)
            )
        end as delay_months
    from referenced
    inner join catalog on referenced.measure_id = catalog.measure_id
),

judged as (
    select
        *,
        case
            when planned_precision = 'dag' then delay_days > 0
            else delay_months > 0
        end as is_late,
        case
            when planned_precision = 'dag' then delay_days > significant_delay_days
            else delay_months > significant_delay_days / 30.0
        end as is_significant
    from measured
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
        initiative_id,
        planned_precision,
        delay_months,
        coalesce(is_late, false) as is_late,
        coalesce(is_significant, false) as is_significantly_delayed,
        coalesce(is_significant and status <> 'fullfort', false) as points_to_red
    from judged
)

select * from final
