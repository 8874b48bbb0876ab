-- 1.1.1 / 1.1.2: for month m, the mean of the 12 monthly national values
-- ending at m; not published while any of those 12 months is missing.
with

monthly as (
    select * from {{ ref('int_service_visits_summed') }}
),

measure_services as (
    select '1.1.1' as measure_id, 'timeavtaler' as service_code
    union all
    select '1.1.2' as measure_id, 'pa_vegne_av_andre' as service_code
),

measure_months as (
    select
        measure_services.measure_id,
        monthly.service_code,
        monthly.period,
        monthly.month_index,
        monthly.visits
    from monthly
    inner join measure_services on monthly.service_code = measure_services.service_code
),

windows as (
    select
        ending.measure_id,
        ending.period,
        count(*) as n_months,
        sum(window_month.visits) as visits_in_window,
        avg(cast(window_month.visits as double)) as mean_visits
    from measure_months as ending
    inner join measure_months as window_month
        on ending.measure_id = window_month.measure_id
        and window_month.month_index between ending.month_index - 11 and ending.month_index
    group by ending.measure_id, ending.period
),

final as (
    select
        measure_id,
        period,
        'national' as geography_level,
        '0' as geography_code,
        mean_visits as value,
        cast(visits_in_window as double) as numerator,
        cast(n_months as double) as denominator
    from windows
    where n_months = 12
)

select * from final
