{{
    config(
        materialized='incremental',
        **replace_partitions_config('lookup_date'),
    )
}}
-- The current lookups, as a table the models and tests downstream read instead of the
-- raw zone's Parquet (issue 26). Incremental: a run reads only the file versions
-- committed since the table's newest (macros/current_rows.sql); a restated day
-- replaces its rows whole.
with

source as (
    {{ current_rows('kj_lookups', only_loads=new_current_loads('kj_lookups') if is_incremental() else none) }}
),

renamed as (
    select
        load_id,
        loaded_at,
        cast(period as date) as lookup_date,
        cast(tidspunkt as {{ type_timestamp_tz() }}) as looked_up_at,
        cast(oppslag_id as {{ type_uuid() }}) as lookup_id,
        -- Stored as text; a UUID is 16 bytes to the 36 characters' heap string, in this table and
        -- in the month's distinct-patient count over it (int_lookup_patients_counted).
        cast(hpr_pseudonym as {{ type_uuid() }}) as personnel_pseudonym,
        cast(patient_pseudonym as {{ type_uuid() }}) as patient_pseudonym,
        virksomhet_orgnr as organisation_number,
        kommunenummer as source_municipality_code,
        virksomhetstype as organisation_type,
        handling as action
    from source
)

select * from renamed
