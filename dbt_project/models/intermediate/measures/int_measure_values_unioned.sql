-- Every computed measure value, one shape. A new measure model is added here.
with

visit_means as (
    select * from {{ ref('int_visit_means_rolled') }}
),

manual_values as (
    select * from {{ ref('int_manual_values_selected') }}
),

digihelsestasjon_shares as (
    select * from {{ ref('int_digihelsestasjon_population_shares') }}
),

kjernejournal_shares as (
    select * from {{ ref('int_kjernejournal_adoption_shares') }}
),

pll_values as (
    select * from {{ ref('int_pll_values_summed') }}
),

lookup_counts as (
    select * from {{ ref('int_lookup_counts_summed') }}
),

unioned as (
    select measure_id, period, geography_level, geography_code, value, numerator, denominator from visit_means
    union all
    select measure_id, period, geography_level, geography_code, value, numerator, denominator from manual_values
    union all
    select measure_id, period, geography_level, geography_code, value, numerator, denominator
    from digihelsestasjon_shares
    union all
    select measure_id, period, geography_level, geography_code, value, numerator, denominator
    from kjernejournal_shares
    union all
    select measure_id, period, geography_level, geography_code, value, numerator, denominator from pll_values
    union all
    select measure_id, period, geography_level, geography_code, value, numerator, denominator from lookup_counts
),

final as (
    select
        measure_id,
        period,
        {{ period_end_date('period') }} as period_end_date,
        geography_level,
        geography_code,
        value,
        numerator,
        denominator
    from unioned
)

select * from final
