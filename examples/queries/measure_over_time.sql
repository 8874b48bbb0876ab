-- One measure over time (here 1.1.1, Helsenorge timeavtaler, a 12-month mean),
-- with its baseline and target for a reference line.
select
    values_.period,
    values_.period_end_date,
    values_.value,
    measures.baseline_value,
    measures.target_value,
    measures.unit
from marts.fct_measure_value as values_
inner join marts.dim_measure as measures on values_.measure_id = measures.measure_id
where values_.measure_id = '1.1.1'
  and values_.geography_level = 'national'
order by values_.period_end_date;
