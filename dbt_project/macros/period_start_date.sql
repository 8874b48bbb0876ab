{#- First day of a period string 'YYYY' or 'YYYY-MM': the counterpart of period_end_date. -#}
{% macro period_start_date(period) -%}
    case
        when length({{ period }}) = 4 then cast({{ period }} || '-01-01' as date)
        else cast({{ period }} || '-01' as date)
    end
{%- endmacro %}
