-- Every roadmap snapshot, one row per snapshot and sub-goal, in the columns of
-- roadmap_subgoals (its latest snapshot): `ehelse report --as-of d` shows the snapshot in
-- force on d, the latest on or before it.
with

delays as (
    select * from {{ ref('int_subgoal_delays_measured') }}
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
)

select * from final
