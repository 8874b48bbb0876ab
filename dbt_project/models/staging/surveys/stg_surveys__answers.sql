with

source as (
    {{ current_rows('survey_answers') }}
),

renamed as (
    select
        load_id,
        survey,
        cast(period as integer) as survey_year,
        respondent_id,
        question_code,
        cast(answer_code as integer) as answer_code
    from source
)

select * from renamed
