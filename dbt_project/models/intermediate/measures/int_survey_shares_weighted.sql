-- Survey measures (1.3, 1.4, 2.1.x, 2.2.x, 2.3.x, 4.1): weighted share of
-- positive answers among valid answers, with the unweighted n, Kish's
-- effective sample size n_eff = (sum w)^2 / sum w^2 and a 95 % interval
-- p +- 1.96 sqrt(p (1 - p) / n_eff), nationally and by county. A county
-- with fewer valid answers than var('min_survey_answers') is suppressed.
with

scored as (
    select * from {{ ref('int_survey_answers_scored') }}
),

by_geography as (
    select measure_id, survey_year, 'national' as geography_level, '0' as geography_code, weight, is_positive
    from scored
    union all
    select measure_id, survey_year, 'county' as geography_level, county_code as geography_code, weight, is_positive
    from scored
),

summed as (
    select
        measure_id,
        cast(survey_year as {{ dbt.type_string() }}) as period,
        geography_level,
        geography_code,
        count(*) as n,
        sum(weight) as weight_sum,
        sum(weight * weight) as weight_square_sum,
        sum(case when is_positive then weight else 0 end) as positive_weight_sum
    from by_geography
    group by measure_id, survey_year, geography_level, geography_code
),

estimated as (
    select
        *,
        positive_weight_sum / weight_sum as share,
        weight_sum * weight_sum / weight_square_sum as n_eff
    from summed
),

intervals as (
    select
        *,
        1.96 * sqrt(share * (1 - share) / n_eff) as margin,
        geography_level <> 'national' and n < {{ var('min_survey_answers') }} as is_suppressed
    from estimated
),

final as (
    select
        measure_id,
        period,
        geography_level,
        geography_code,
        case when not is_suppressed then 100 * share end as value,
        case when not is_suppressed then positive_weight_sum end as numerator,
        case when not is_suppressed then weight_sum end as denominator,
        n,
        case when not is_suppressed then n_eff end as n_eff,
        case when not is_suppressed then 100 * (share - margin) end as ci_low,
        case when not is_suppressed then 100 * (share + margin) end as ci_high,
        is_suppressed
    from intervals
)

select * from final
