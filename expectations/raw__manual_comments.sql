-- The stewards' comments as loaded.
select
    id || ' ' || gjelder_fra as row_key,
    id,
    gjelder_fra as valid_from,
    nullif(trim(kommentar), '') as comment_nb
from raw.manual_comments
