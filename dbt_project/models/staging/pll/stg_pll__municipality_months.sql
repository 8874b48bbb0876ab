with

source as (
    {{ current_rows('pll_monthly') }}
),

renamed as (
    select
        load_id,
        source_line,
        maaned as period,
        kommunenummer as source_municipality_code,
        tilrettelagt = 'ja' as is_arranged,
        cast(antall_pasienter_med_pll as bigint) as patients_with_pll,
        cast(antall_oppslag as bigint) as lookups,
        cast(antall_virksomheter_som_oppdaterer as bigint) as updating_organisations
    from source
)

select * from renamed
