-- Cross-check: national monthly lookup events (the numerator of lookups per week) equal the
-- sum over municipalities (before suppression).
select
    period as row_key,
    period,
    sum(case when geography_level = 'national' then numerator end) as national,
    sum(case when geography_level = 'municipality' then numerator end) as sum_of_municipalities
from intermediate.int_lookup_counts_summed
where length(period) = 7
group by period
order by period
