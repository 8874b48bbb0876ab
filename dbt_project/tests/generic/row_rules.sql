{#- A model's row rules in one query: its key is unique (`key`) and its required columns hold
    no null (`not_null`). Each failing row names its rule and what failed: a repeated key's
    values, or a row's null columns. One test node per model instead of one per rule and column:
    a node costs a dbt build about 35 ms of work whatever it checks, Dagster three events and the
    Spark cluster a job. -#}
{% test row_rules(model, key=[], not_null=[]) %}
{%- if not (key or not_null) -%}
    {{ exceptions.raise_compiler_error("row_rules on " ~ model ~ ": neither key nor not_null listed") }}
{%- endif -%}
{%- set key_values = [] -%}
{%- for column in key -%}
    {%- if not loop.first -%}{%- do key_values.append("', '") -%}{%- endif -%}
    {%- do key_values.append("'" ~ column ~ "='") -%}
    {%- do key_values.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
{%- endfor -%}
{%- set null_columns = [] -%}
{%- for column in not_null -%}
    {%- do null_columns.append("case when " ~ column ~ " is null then '" ~ column ~ " ' else '' end") -%}
{%- endfor %}
with

{% if key -%}
repeated_keys as (
    select
        'unique' as rule,
        {{ dbt.concat(key_values) }} as failing
    from {{ model }}
    group by {{ key | join(', ') }}
    having count(*) > 1
),
{%- endif %}

{% if not_null -%}
null_columns as (
    select
        'not_null' as rule,
        trim({{ dbt.concat(null_columns) }}) as failing
    from {{ model }}
    where {% for column in not_null %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
),
{%- endif %}

final as (
    {% if key -%}
    select rule, failing from repeated_keys
    {%- endif %}
    {% if key and not_null %}union all{% endif %}
    {% if not_null -%}
    select rule, failing from null_columns
    {%- endif %}
)

select * from final
{% endtest %}
