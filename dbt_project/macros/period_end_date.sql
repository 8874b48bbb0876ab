{#- Last day of a period string 'YYYY' or 'YYYY-MM', with dbt's cross-database macros. -#}
{% macro period_end_date(period) -%}
    case
        when length({{ period }}) = 4 then cast({{ period }} || '-12-31' as date)
        else cast({{ dbt.last_day("cast(" ~ period ~ " || '-01' as date)", "month") }} as date)
    end
{%- endmacro %}
