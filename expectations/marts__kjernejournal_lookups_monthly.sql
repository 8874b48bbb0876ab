-- Every split of a month adds up to the month's total.
select
    period || ' ' || breakdown as row_key,
    period,
    breakdown,
    sum(n_lookups) as n_lookups,
    max(sum(case when breakdown = 'total' then n_lookups end)) over (partition by period) as month_total
from marts.kjernejournal_lookups_monthly
group by period, breakdown
