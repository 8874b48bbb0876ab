{#- The raw zone as tables raw.<table> for engines that cannot read files in a
    query (Spark): run by on-run-start; likewise the meetings' "as known" statuses,
    known.indicator_statuses over <warehouse>/known_status (warehouse/known_status.py). Each table of the source `raw`
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
        {%- do run_query('create database if not exists known') -%}
        {%- for source in graph.sources.values() if source.source_name in ('raw', 'known') -%}
            {%- set is_ledger = source.name == 'load_ledger' -%}
            {%- set is_known = source.source_name == 'known' -%}
            {%- set columns = [] -%}
            {%- for column in source.columns.values() -%}
                {%- do columns.append(column.name ~ ' ' ~ spark__raw_column_type(column.data_type)) -%}
            {%- endfor -%}
            {%- set location = var('warehouse_dir') ~ '/known_status' if is_known
                else var('raw_zone') ~ '/' ~ ('_ledger' if is_ledger else source.name) -%}
            {%- do run_query('drop table if exists ' ~ source.source_name ~ '.' ~ source.name) -%}
            {%- do run_query(
                'create table ' ~ source.source_name ~ '.' ~ source.name
                ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                ~ ('' if is_ledger or is_known else ' partitioned by (period, load_id)')
                ~ " location '" ~ location ~ "'"
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
