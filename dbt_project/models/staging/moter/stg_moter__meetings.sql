-- The meeting register (moter.csv, the whole file is the truth): one row per meeting
-- that treats the strategy's status.
with

source as (
    {{ current_rows('meetings') }}
),

renamed as (
    select
        load_id,
        source_line,
        organ as body,
        cast(dato as date) as meeting_date,
        nullif(motenummer, '') as meeting_number,
        nullif(saksnummer, '') as case_number,
        tittel as title,
        etikett as label,
        cast(statusdato as date) as status_date
    from source
)

select * from renamed
