{#- The raw zone as tables raw.<table> for engines that cannot read files in a
    query (Spark): run by on-run-start. Each table of the source `raw`
    (models/staging/_raw__sources.yml, generated from the feed registry) is an
    external Parquet table over <raw_zone>/<table>, partitioned by the Hive
    folders period and load_id; the ledger is the flat folder _ledger. The
    spark target lists the folders at query time (manageFilesourcePartitions
    off in profiles.yml) and the tables are created anew on every run, so a
    new file version is always seen. DuckDB reads the same files through the
    sources' meta.external_location and needs nothing here. -#}
{% macro register_raw_zone() -%}
    {{ return(adapter.dispatch('register_raw_zone')()) }}
{%- endmacro %}

{% macro default__register_raw_zone() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_zone() -%}
    {%- if execute -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- set is_ledger = source.name == 'load_ledger' -%}
            {%- set columns = [] -%}
            {%- for column in source.columns.values() -%}
                {%- do columns.append(column.name ~ ' ' ~ spark__raw_column_type(column.data_type)) -%}
            {%- endfor -%}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query(
                'create table raw.' ~ source.name ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                ~ ('' if is_ledger else ' partitioned by (period, load_id)')
                ~ " location '" ~ var('raw_zone') ~ '/' ~ ('_ledger' if is_ledger else source.name) ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- A raw-zone column type (DuckDB's names, as the registry declares them) in Spark's. -#}
{% macro spark__raw_column_type(data_type) -%}
    {%- set types = {'varchar': 'string', 'timestamp with time zone': 'timestamp'} -%}
    {{- types.get(data_type | lower, data_type) -}}
{%- endmacro %}
