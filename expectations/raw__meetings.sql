-- The meeting register as loaded.
select
    organ || ' ' || dato || ' ' || coalesce(saksnummer, '') as row_key,
    organ,
    dato,
    coalesce(saksnummer, '') as saksnummer,
    etikett,
    statusdato
from raw.meetings
