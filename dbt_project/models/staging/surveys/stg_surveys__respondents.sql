with

source as (
    {{ current_rows('survey_respondents') }}
),

renamed as (
    select
        load_id,
        survey,
        cast(period as integer) as survey_year,
        source_row,
        respondent_id,
        cast(replace(vekt, ',', '.') as double) as weight,
        fylkesnummer as county_code,
        aldersgruppe as age_group,
        kjonn as gender
    from source
)

select * from renamed
