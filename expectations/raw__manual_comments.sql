-- The stewards' comments as loaded; the key is (id, gjelder_fra, kategori) (inputs.md).
select
    id || ' ' || gjelder_fra || coalesce(' ' || nullif(kategori, ''), '') as row_key,
    id,
    gjelder_fra as valid_from,
    coalesce(kategori, '') as category,
    nullif(trim(kommentar), '') as comment_nb
from raw.manual_comments
