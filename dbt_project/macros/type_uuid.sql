{#- A UUID already checked at ingestion (kj_lookups' `invalid_uuid` rule): DuckDB's `uuid`,
    16 bytes, so the `unique` test over a national year's 73 million ids hashes fixed-width
    keys (as text they need more than the 1 GB memory limit); Spark has no UUID type. -#}
{% macro type_uuid() -%}
    {{ return(adapter.dispatch('type_uuid')()) }}
{%- endmacro %}

{% macro default__type_uuid() -%}
    uuid
{%- endmacro %}

{% macro spark__type_uuid() -%}
    {{ dbt.type_string() }}
{%- endmacro %}
