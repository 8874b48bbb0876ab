-- Survey answers per workbook and question: how many, and how many off the question's scale
-- (1-5 and 9 = vet ikke; HP_IKT_OPPLAERING is 1 ja, 2 nei, 9). Ingestion quarantines these,
-- so any here means a rule was bypassed.
select
    survey || ' ' || file_period || ' ' || question_code as row_key,
    survey,
    file_period as period,
    question_code,
    count(*) as n_answers,
    count(*) filter (
        where answer_code not in ('1', '2', '3', '4', '5', '9')
        or (question_code = 'HP_IKT_OPPLAERING' and answer_code not in ('1', '2', '9'))
    ) as n_off_scale
from raw.survey_answers
group by survey, file_period, question_code
