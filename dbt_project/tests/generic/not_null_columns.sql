{#- Rows with a null in any of `columns`, each naming its null columns: the not_null rule of a
    model's columns in one query. One test node per model instead of one per column: a node
    costs a dbt build about 35 ms of work whatever it checks, and the Spark cluster a job. -#}
{% test not_null_columns(model, columns) %}
{%- if not columns -%}
    {{ exceptions.raise_compiler_error("not_null_columns on " ~ model ~ ": no columns listed") }}
{%- endif -%}
{%- set named = [] -%}
{%- for column in columns -%}
    {%- do named.append("case when " ~ column ~ " is null then '" ~ column ~ " ' else '' end") -%}
{%- endfor %}
select trim({{ dbt.concat(named) }}) as null_columns
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
