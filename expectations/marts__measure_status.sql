-- Status as published, beside the status recomputed here from indicators.md.
with status as (
    select
        s.*,
        d.direction,
        d.status_grain,
        d.green_min,
        d.yellow_min,
        case
            when length(s.latest_period) = 4 then cast(s.latest_period || '-12-31' as date)
            else last_day(cast(s.latest_period || '-01' as date))
        end as latest_end
    from marts.measure_status as s
    inner join marts.dim_measure as d on s.measure_id = d.measure_id
)
select
    measure_id as row_key,
    measure_id,
    status,
    case
        when latest_value is null then 'no_data'
        when status_grain = 'month' and latest_end <= as_of_date - interval 13 month then 'no_data'
        when status_grain = 'year' and latest_end <= as_of_date - interval 2 year then 'no_data'
        when baseline_value is null or target_value is null then 'no_target'
        when achieved_fraction is null then
            case
                when (direction = 'up' and latest_value >= baseline_value)
                    or (direction = 'down' and latest_value <= baseline_value) then 'green'
                else 'red'
            end
        when achieved_fraction >= green_min then 'green'
        when achieved_fraction >= yellow_min then 'yellow'
        else 'red'
    end as formula_status,
    expected_value is null
        or expected_value between least(baseline_value, target_value) and greatest(baseline_value, target_value)
        as expected_between_baseline_and_target
from status
