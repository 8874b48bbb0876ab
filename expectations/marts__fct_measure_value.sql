-- Every published value with its measure's unit kind.
select
    f.measure_id || ' ' || f.period || ' ' || f.geography_level || ' ' || f.geography_code as row_key,
    f.measure_id,
    f.period,
    f.geography_level,
    f.geography_code,
    f.is_suppressed,
    case when d.value_kind = 'percent' then f.value end as percent_value,
    f.ci_low is null or f.value is null or (f.ci_low <= f.value and f.value <= f.ci_high) as value_within_interval,
    f.n_eff is null or f.n_eff <= f.n + 0.000001 as n_eff_within_n
from marts.fct_measure_value as f
inner join marts.dim_measure as d on f.measure_id = d.measure_id
