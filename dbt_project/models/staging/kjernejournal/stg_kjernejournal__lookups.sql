with

source as (
    {{ current_rows('kj_lookups') }}
),

renamed as (
    select
        load_id,
        cast(period as date) as lookup_date,
        cast(tidspunkt as {{ type_timestamp_tz() }}) as looked_up_at,
        oppslag_id as lookup_id,
        hpr_pseudonym as personnel_pseudonym,
        patient_pseudonym,
        virksomhet_orgnr as organisation_number,
        kommunenummer as source_municipality_code,
        virksomhetstype as organisation_type,
        handling as action
    from source
)

select * from renamed
