-- Adoption per municipality on a given date: the month that contains it
-- (here 15 December 2022 -> 2022-12), on today's municipality structure.
-- Empty (NULL) flags mean the feed had no data for that month.
select
    municipality_code,
    municipality_name,
    county_code,
    population,
    kjernejournal_adopted,
    pll_arranged,
    digihelsestasjon_offered
from marts.municipality_adoption
where period = '2022-12'
order by municipality_code;
