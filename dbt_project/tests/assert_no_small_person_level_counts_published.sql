{{ config(meta={'dagster': {'ref': {'name': 'fct_measure_value'}}}) }}
-- outputs.md: no published breakdown (below national level) of a
-- person-level count may lie in 1 .. min_cell_count - 1.
select
    fct.measure_id,
    fct.period,
    fct.geography_level,
    fct.geography_code,
    fct.value
from {{ ref('fct_measure_value') }} as fct
inner join {{ ref('dim_measure') }} as measures on fct.measure_id = measures.measure_id
where
    measures.is_person_level_count
    and fct.geography_level <> 'national'
    and fct.value >= 1
    and fct.value < {{ var('min_cell_count') | int }}
