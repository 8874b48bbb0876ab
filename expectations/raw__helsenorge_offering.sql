-- Digihelsestasjon/Digihelse offerings per snapshot: how many municipalities offer each service.
select
    file_period || ' ' || tjeneste as row_key,
    file_period as period,
    tjeneste,
    count(*) as n_municipalities
from raw.helsenorge_offering
group by file_period, tjeneste
order by file_period, tjeneste
