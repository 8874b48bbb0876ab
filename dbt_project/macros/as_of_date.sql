{#- The date a status is judged on: var as_of_date, or today. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', '') -%}cast('{{ var("as_of_date") }}' as date){%- else -%}current_date{%- endif -%}
{%- endmacro %}
