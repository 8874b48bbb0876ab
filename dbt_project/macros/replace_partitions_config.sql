{#- The config of an incremental model that rebuilds whole partitions of `key`
    (a restated day or month replaces its rows): delete+insert on DuckDB;
    on Spark insert_overwrite of the table partitioned by the key (merge
    needs Delta, Iceberg or Hudi). Use: config(materialized='incremental',
    **replace_partitions_config('lookup_date')). -#}
{% macro replace_partitions_config(key) -%}
    {{ return(adapter.dispatch('replace_partitions_config')(key)) }}
{%- endmacro %}

{% macro default__replace_partitions_config(key) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': key}) }}
{%- endmacro %}

{% macro spark__replace_partitions_config(key) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [key], 'file_format': 'parquet'}) }}
{%- endmacro %}
