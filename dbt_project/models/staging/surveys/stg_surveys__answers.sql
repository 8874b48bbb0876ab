with

source as (
    select * from {{ source('surveys', 'answers') }}
),

renamed as (
    select
        load_id,
        survey,
        cast(file_period as integer) as survey_year,
        respondent_id,
        question_code,
        cast(answer_code as integer) as answer_code
    from source
)

select * from renamed
