-- Every computed measure value in one shape. A new measure model is added to
-- one of the two lists: survey models carry n, n_eff, the interval and the
-- suppression flag; the others get them empty.
{%- set measure_models = [
    'int_visit_means_rolled',
    'int_manual_values_selected',
    'int_digihelsestasjon_population_shares',
    'int_kjernejournal_adoption_shares',
    'int_pll_values_summed',
    'int_lookup_counts_summed',
    'int_roadmap_delay_shares',
    'int_portfolio_evaluation_shares',
] -%}
{%- set survey_models = ['int_survey_shares_weighted'] %}

with

{% for model in measure_models + survey_models -%}
{{ model }} as (
    select * from {{ ref(model) }}
),

{% endfor -%}

unioned as (
    {%- for model in measure_models %}
    select
        measure_id, period, geography_level, geography_code, value, numerator, denominator,
        cast(null as bigint) as n,
        cast(null as double) as n_eff,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high,
        false as is_suppressed
    from {{ model }}
    union all
    {%- endfor %}
    {%- for model in survey_models %}
    select
        measure_id, period, geography_level, geography_code, value, numerator, denominator,
        n, n_eff, ci_low, ci_high, is_suppressed
    from {{ model }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
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
        denominator,
        n,
        n_eff,
        ci_low,
        ci_high,
        is_suppressed
    from unioned
)

select * from final
