-- Cross-check: national monthly lookups equal the sum over municipalities (before suppression).
select
    period as row_key,
    period,
    sum(case when geography_level = 'national' then value end) as national,
    sum(case when geography_level = 'municipality' then value end) as sum_of_municipalities
from intermediate.int_lookup_counts_summed
where length(period) = 7
group by period
order by period
