{{ config(meta={'dagster': {'ref': {'name': 'fct_measure_value'}}}) }}
-- A published value outside its measure's plausible range (measure_catalog.plausible_min /
-- plausible_max) fails the build, and a failed test refuses the publication (issue 17:
-- a manual 999999999 or a PLL stock of 10^12 must never reach the council's status).
-- Infinities fail the range comparison on DuckDB and Spark alike (no isinf on Spark).
select
    v.measure_id, v.period, v.geography_level, v.geography_code, v.value,
    c.plausible_min, c.plausible_max
from {{ ref('fct_measure_value') }} as v
join {{ ref('int_measure_versions_latest') }} as c on c.measure_id = v.measure_id
where v.value is not null
  and (v.value < c.plausible_min or v.value > c.plausible_max or isnan(v.value))
