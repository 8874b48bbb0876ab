-- 5.4: initiatives of the year's portfolio with money for evaluation or planned follow-up
-- research, in percent of all initiatives in the year's file.
with

initiatives as (
    select * from {{ ref('stg_portefolje__initiatives') }}
),

counted as (
    select
        period,
        sum(case when has_evaluation_funds or has_follow_up_research then 1 else 0 end) as n_evaluated,
        count(*) as n_initiatives
    from initiatives
    group by period
),

final as (
    select
        '5.4' as measure_id,
        period,
        'national' as geography_level,
        '0' as geography_code,
        100.0 * n_evaluated / n_initiatives as value,
        cast(n_evaluated as double) as numerator,
        cast(n_initiatives as double) as denominator
    from counted
)

select * from final
