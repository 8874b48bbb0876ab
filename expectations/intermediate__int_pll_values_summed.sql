-- Cross-check: the national PLL stock equals the sum over municipalities (before suppression).
select
    period as row_key,
    period,
    sum(case when geography_level = 'national' then value end) as national,
    sum(case when geography_level = 'municipality' then value end) as sum_of_municipalities
from intermediate.int_pll_values_summed
where measure_id = '4.2.6'
group by period
order by period
