-- Every sub-goal of every roadmap snapshot beside its planned date in the snapshot before.
-- planlagt_dato never changes across snapshots (inputs.md): a change is reported, naming the
-- sub-goal, the snapshot and both dates, in the row_key.
with subgoals as (
    select
        delmaal_id,
        cast(file_period as date) as snapshot_date,
        planlagt_dato,
        lag(planlagt_dato) over (partition by delmaal_id order by file_period) as previous_planlagt_dato
    from raw.veikart_subgoals
)
select
    case
        when planlagt_dato <> previous_planlagt_dato
            then delmaal_id || ' (' || snapshot_date || '): planlagt_dato ' || previous_planlagt_dato
                || ' -> ' || planlagt_dato
        else delmaal_id || ' (' || snapshot_date || ')'
    end as row_key,
    delmaal_id,
    snapshot_date,
    planlagt_dato,
    previous_planlagt_dato,
    coalesce(planlagt_dato <> previous_planlagt_dato, false) as planned_date_changed
from subgoals
order by delmaal_id, snapshot_date
