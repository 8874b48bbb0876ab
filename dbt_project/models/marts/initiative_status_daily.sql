-- The status of each strategic initiative of the plan version in force, as of every day from
-- the first version's valid_from to the publication's as-of date (indicators.md, "Strategic
-- initiatives"); initiative_status and initiative_status_history are rows of it: judged on the last roadmap snapshot dated on or
-- before the as-of date, at that snapshot's date s. Of the initiative's sub-goals not
-- cancelled: due when planned on or before s; late by the one delay rule
-- (int_subgoal_delays_measured, coarse precision included); pointing to red when not done
-- and significantly late. red when any points to red, yellow when a due one is not done
-- and late, green otherwise; no_data when no snapshot names the initiative.
with

as_of_dates as (
    select * from {{ ref('int_status_as_of_dates') }}
),

initiatives as (
    select * from {{ ref('initiatives') }}
),

subgoals as (
    select * from {{ ref('int_subgoal_delays_measured') }}
),

snapshots as (
    select distinct snapshot_date from subgoals
),

snapshot_in_force as (
    select
        as_of_dates.as_of_date,
        as_of_dates.plan_version,
        max(snapshots.snapshot_date) as snapshot_date
    from as_of_dates
    left join snapshots on snapshots.snapshot_date <= as_of_dates.as_of_date
    group by as_of_dates.as_of_date, as_of_dates.plan_version
),

counted as (
    select
        snapshot_in_force.as_of_date,
        initiatives.plan_version,
        initiatives.initiative_id,
        initiatives.goal_id,
        initiatives.name_nb,
        initiatives.owner,
        count(subgoals.subgoal_id) as n_named,
        sum(case when subgoals.status <> 'avbrutt' then 1 else 0 end) as n_subgoals,
        sum(case when subgoals.status <> 'avbrutt' and subgoals.planned_on <= subgoals.snapshot_date then 1 else 0 end)
            as n_due,
        sum(
            case
                when subgoals.status = 'fullfort' and subgoals.planned_on <= subgoals.snapshot_date then 1 else 0
            end
        ) as n_done,
        sum(
            case
                when subgoals.status <> 'avbrutt' and subgoals.planned_on <= subgoals.snapshot_date and subgoals.is_late
                    then 1
                else 0
            end
        ) as n_late,
        sum(case when subgoals.status <> 'avbrutt' and subgoals.points_to_red then 1 else 0 end) as n_pointing_to_red,
        sum(
            case
                when
                    subgoals.status not in ('avbrutt', 'fullfort')
                    and subgoals.planned_on <= subgoals.snapshot_date
                    and subgoals.is_late
                    then 1
                else 0
            end
        ) as n_due_open_late
    from snapshot_in_force
    inner join initiatives on snapshot_in_force.plan_version = initiatives.plan_version
    left join subgoals
        on snapshot_in_force.snapshot_date = subgoals.snapshot_date
        and initiatives.initiative_id = subgoals.initiative_id
    group by
        snapshot_in_force.as_of_date,
        initiatives.plan_version,
        initiatives.initiative_id,
        initiatives.goal_id,
        initiatives.name_nb,
        initiatives.owner
),

final as (
    select
        initiative_id,
        plan_version,
        goal_id,
        name_nb,
        owner,
        case
            when n_named = 0 then 'no_data'
            when n_pointing_to_red > 0 then 'red'
            when n_due_open_late > 0 then 'yellow'
            else 'green'
        end as status,
        cast(coalesce(n_subgoals, 0) as integer) as n_subgoals,
        cast(coalesce(n_due, 0) as integer) as n_due,
        cast(coalesce(n_done, 0) as integer) as n_done,
        cast(coalesce(n_late, 0) as integer) as n_late,
        cast(coalesce(n_pointing_to_red, 0) as integer) as n_pointing_to_red,
        as_of_date
    from counted
)

select * from final
