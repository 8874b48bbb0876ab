-- Valid answers (codes on the scale; 9 = vet ikke is not valid) with the
-- respondent's weight and county, and whether the answer is positive.
with

answers as (
    select * from {{ ref('stg_surveys__answers') }}
),

respondents as (
    select * from {{ ref('stg_surveys__respondents') }}
),

questions as (
    select * from {{ ref('survey_questions') }}
),

answer_codes as (
    select * from {{ ref('survey_answer_codes') }}
),

final as (
    select
        questions.measure_id,
        answers.survey_year,
        answers.respondent_id,
        respondents.county_code,
        respondents.weight,
        answer_codes.is_positive
    from answers
    inner join respondents
        on answers.survey = respondents.survey
        and answers.survey_year = respondents.survey_year
        and answers.respondent_id = respondents.respondent_id
    inner join questions on answers.question_code = questions.question_code
    inner join answer_codes
        on answers.question_code = answer_codes.question_code
        and answers.answer_code = answer_codes.answer_code
    where answer_codes.is_valid_answer
)

select * from final
