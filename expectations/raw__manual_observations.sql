-- The stewards' observations as loaded.
select
    measure_id || ' ' || periode as row_key,
    measure_id,
    periode as period,
    cast(replace(verdi, ',', '.') as double) as value
from raw.manual_observations
