{{ config(meta={'dagster': {'ref': {'name': 'fct_measure_value'}}}) }}
-- outputs.md: no published breakdown (below national level) of a
-- person-level count may lie in 1 .. min_cell_count - 1 (the count is the
-- numerator where there is one: 4.2.2's lookup events).
select
    fct.measure_id,
    fct.period,
    fct.geography_level,
    fct.geography_code,
    coalesce(fct.numerator, fct.value) as cell_count
from {{ ref('fct_measure_value') }} as fct
inner join {{ ref('dim_measure') }} as measures on fct.measure_id = measures.measure_id
where
    measures.is_person_level_count
    and fct.geography_level <> 'national'
    and coalesce(fct.numerator, fct.value) >= 1
    and coalesce(fct.numerator, fct.value) < {{ var('min_cell_count') | int }}
