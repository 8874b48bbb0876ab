-- Survey respondents per workbook: how many, and the smallest weight.
select
    survey || ' ' || file_period as row_key,
    survey,
    file_period as period,
    count(*) as n_respondents,
    min(cast(replace(vekt, ',', '.') as double)) as min_weight
from raw.survey_respondents
group by survey, file_period
order by survey, file_period
