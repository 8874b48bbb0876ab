-- Municipality adoption per month: municipalities and people counted.
select
    period as row_key,
    period,
    count(*) as n_municipalities,
    min(population) as min_population
from marts.municipality_adoption
group by period
order by period
