{#- Use the configured schema name as is (raw, staging, intermediate, marts,
    seeds) instead of dbt's default "<target>_<schema>": the published file
    promises a schema called marts. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
