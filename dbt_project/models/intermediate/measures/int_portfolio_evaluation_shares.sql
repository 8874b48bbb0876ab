-- 5.4: tiltak of the year's portfolio with money for evaluation or planned follow-up
-- research, in percent of all tiltak in the year's file.
with

tiltak as (
    select * from {{ ref('stg_portefolje__tiltak') }}
),

counted as (
    select
        period,
        sum(case when has_evaluation_funds or has_follow_up_research then 1 else 0 end) as n_evaluated,
        count(*) as n_tiltak
    from tiltak
    group by period
),

final as (
    select
        '5.4' as measure_id,
        period,
        'national' as geography_level,
        '0' as geography_code,
        100.0 * n_evaluated / n_tiltak as value,
        cast(n_evaluated as double) as numerator,
        cast(n_tiltak as double) as denominator
    from counted
)

select * from final
