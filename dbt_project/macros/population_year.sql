{#- The population year used for a date's year: the latest SSB figure not
    after that year, else the earliest we have (1.2, 4.2.5, municipality_adoption). -#}
{% macro population_year(year_expression) -%}
    coalesce(
        (select max(year) from {{ ref('int_populations_mapped') }} where year <= {{ year_expression }}),
        (select min(year) from {{ ref('int_populations_mapped') }})
    )
{%- endmacro %}
