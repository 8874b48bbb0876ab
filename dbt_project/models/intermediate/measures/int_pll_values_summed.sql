-- 4.2.5: share of municipalities with tilrettelagt = ja in the month (of
-- those in force at month end). 4.2.6: patients with PLL, a month-end stock,
-- nationally and per (2024) municipality.
with

pll as (
    select * from {{ ref('stg_pll__municipality_months') }}
),

in_force as (
    select * from {{ ref('int_municipalities_counted') }}
),

per_month as (
    select
        period,
        {{ period_end_date('period') }} as month_end,
        sum(case when is_arranged then 1 else 0 end) as n_arranged,
        sum(patients_with_pll) as patients_with_pll
    from pll
    group by period
),

arranged_shares as (
    select
        '4.2.5' as measure_id,
        per_month.period,
        100.0 * per_month.n_arranged / in_force.n_municipalities as value,
        cast(per_month.n_arranged as double) as numerator,
        cast(in_force.n_municipalities as double) as denominator
    from per_month
    inner join in_force on per_month.month_end = in_force.day
),

municipality_patients as (
    select * from {{ allocate_to_current_municipalities('pll', 'patients_with_pll', ['period']) }} as allocated
),

patient_counts as (
    select
        '4.2.6' as measure_id,
        period,
        cast(patients_with_pll as double) as value,
        cast(null as double) as numerator,
        cast(null as double) as denominator
    from per_month
),

final as (
    select measure_id, period, 'national' as geography_level, '0' as geography_code, value, numerator, denominator
    from arranged_shares
    union all
    select measure_id, period, 'national' as geography_level, '0' as geography_code, value, numerator, denominator
    from patient_counts
    union all
    select
        '4.2.6' as measure_id,
        period,
        'municipality' as geography_level,
        municipality_code as geography_code,
        cast(patients_with_pll as double) as value,
        cast(null as double) as numerator,
        cast(null as double) as denominator
    from municipality_patients
)

select * from final
