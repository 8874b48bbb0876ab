-- The catalog as published.
select
    measure_id as row_key,
    measure_id,
    direction,
    value_kind,
    green_min,
    yellow_min,
    baseline_value,
    target_value,
    target_value is not null and baseline_value is null as target_without_baseline
from marts.dim_measure
