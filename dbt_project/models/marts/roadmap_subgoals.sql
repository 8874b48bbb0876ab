-- The latest roadmap snapshot, one row per sub-goal (outputs.md): the council's "delmål som
-- peker mot rødt" are those with points_to_red. Column names are the contract's.
with

delays as (
    select * from {{ ref('int_subgoal_delays_measured') }}
),

latest_snapshot as (
    select max(snapshot_date) as snapshot_date
    from delays
),

final as (
    select
        delays.subgoal_id as delmaal_id,
        delays.solution as losning,
        delays.title as tittel,
        delays.phase as fase,
        delays.goal_id as strategisk_mal,
        delays.planned_on as planlagt_dato,
        delays.forecast_on as prognose_dato,
        delays.completed_on as fullfort_dato,
        delays.status,
        delays.is_council_prioritised as prioritert_av_radsmodellen,
        delays.snapshot_date,
        -- datediff is a bigint on DuckDB, an int on Spark: the contract says bigint.
        cast(delays.delay_days as bigint) as delay_days,
        delays.is_significantly_delayed,
        delays.points_to_red
    from delays
    inner join latest_snapshot on delays.snapshot_date = latest_snapshot.snapshot_date
)

select * from final
