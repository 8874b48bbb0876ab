-- The periods where a feed (5.2-5.4) and a steward both give a value; the row_key names the
-- measure, the period and both values, so the warning says what differs.
select
    measure_id || ' ' || period || ': feed ' || cast(round(feed_value, 1) as varchar)
        || ', steward ' || cast(round(steward_value, 1) as varchar) as row_key,
    measure_id,
    period,
    feed_value,
    steward_value,
    values_differ
from intermediate.int_steward_values_compared
where feed_value is not null and steward_value is not null
order by measure_id, period
