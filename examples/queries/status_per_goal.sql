-- Status per goal, as the council sees it: headline indicators by status,
-- and "N/16 er gule" on the all-goals row (goal_id 0).
select
    goal_id,
    goal_name_nb,
    n_indicators,
    n_green,
    n_yellow,
    n_red,
    n_no_target,
    n_no_data,
    cast(n_yellow as varchar) || '/' || cast(n_indicators as varchar) || ' er gule' as summary_nb
from marts.goal_summary
order by case when goal_id = 0 then 1 else 0 end, goal_id;
