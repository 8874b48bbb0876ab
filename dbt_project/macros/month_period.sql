{#- The period string 'YYYY-MM' of a date: the inverse of period_end_date. -#}
{% macro month_period(date_column) -%}
    substring(cast({{ date_column }} as {{ dbt.type_string() }}), 1, 7)
{%- endmacro %}
