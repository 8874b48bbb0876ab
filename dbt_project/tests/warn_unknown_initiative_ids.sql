{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_veikart__subgoal_snapshots'}}}) }}
-- A roadmap sub-goal naming an initiative no plan version knows (inputs.md: a warning naming
-- the line, never a quarantine): the snapshot, the file's line and the id as written.
select
    subgoals.snapshot_date,
    subgoals.source_line,
    subgoals.subgoal_id,
    subgoals.initiative_id
from {{ ref('stg_veikart__subgoal_snapshots') }} as subgoals
left join {{ ref('initiatives') }} as initiatives
    on subgoals.initiative_id = initiatives.initiative_id
where subgoals.initiative_id is not null and initiatives.initiative_id is null
