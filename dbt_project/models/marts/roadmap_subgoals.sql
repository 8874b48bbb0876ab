-- The latest roadmap snapshot, one row per sub-goal (outputs.md): the council's "delmål som
-- peker mot rødt" are those with points_to_red. Column names are the contract's; the rows
-- are roadmap_subgoals_history's latest snapshot.
with

history as (
    select * from {{ ref('roadmap_subgoals_history') }}
),

latest_snapshot as (
    select max(snapshot_date) as snapshot_date
    from history
),

final as (
    select
        history.delmaal_id,
        history.losning,
        history.tittel,
        history.fase,
        history.strategisk_mal,
        history.planlagt_dato,
        history.prognose_dato,
        history.fullfort_dato,
        history.status,
        history.prioritert_av_radsmodellen,
        history.snapshot_date,
        history.delay_days,
        history.is_significantly_delayed,
        history.points_to_red
    from history
    inner join latest_snapshot on history.snapshot_date = latest_snapshot.snapshot_date
)

select * from final
