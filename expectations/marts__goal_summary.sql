-- Goal summary with the counts added up.
select
    cast(goal_id as varchar) as row_key,
    goal_id,
    n_indicators,
    n_green + n_yellow + n_red + n_no_target + n_no_data as n_counted
from marts.goal_summary
