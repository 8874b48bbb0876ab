{#- The raw zone as tables raw.<table> for engines that cannot read files in a
    query (Spark): run by on-run-start; likewise the meetings' "as known" statuses,
    known.indicator_statuses over <warehouse>/known_status (warehouse/known_status.py). Each table of the source `raw`
    (models/staging/_raw__sources.yml, generated from the feed registry) is a
    view over external Parquet tables: <raw_zone>/<table>, partitioned by the Hive
    folders period and load_id, and the closed months' folded files with their
    fold map (spark__register_raw_table); the ledger is the flat folder _ledger. The
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
        {%- set views = run_query('show views in raw').columns[1].values() | list -%}
        {%- for source in graph.sources.values() if source.source_name in ('raw', 'known') -%}
            {%- set is_ledger = source.name == 'load_ledger' -%}
            {%- set is_known = source.source_name == 'known' -%}
            {%- set columns = [] -%}
            {%- set names = [] -%}
            {%- for column in source.columns.values() -%}
                {%- do columns.append(column.name ~ ' ' ~ spark__raw_column_type(column.data_type)) -%}
                {%- do names.append(column.name) -%}
            {%- endfor -%}
            {%- set name = source.source_name ~ '.' ~ source.name -%}
            {%- if source.name in views -%}
                {%- do run_query('drop view if exists ' ~ name) -%}
            {%- else -%}
                {%- do run_query('drop table if exists ' ~ name) -%}
            {%- endif -%}
            {%- if is_ledger or is_known -%}
                {%- set location = var('warehouse_dir') ~ '/known_status' if is_known else var('raw_zone') ~ '/_ledger' -%}
                {%- do run_query(
                    'create table ' ~ name ~ ' (' ~ columns | join(', ') ~ ") using parquet location '" ~ location ~ "'"
                ) -%}
            {%- else -%}
                {%- do spark__register_raw_table(name, columns, names, var('raw_zone') ~ '/' ~ source.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- A raw table as DuckDB reads it (warehouse/raw_zone.py, table_rows_sql): the versions in
    Hive folders the fold map does not name, and the folded files' rows of the versions it
    names; three external tables and the view `name` over them. Spark skips the folders
    _folded and _folded_map when it lists the Hive partitions (a name starting with _). -#}
{% macro spark__register_raw_table(name, columns, names, location) -%}
    {%- set parts = {
        name ~ '__files': (columns | join(', ')) ~ ') using parquet partitioned by (period, load_id)'
            ~ " location '" ~ location ~ "'",
        name ~ '__folded': (columns | join(', ')) ~ ", fold_id string) using parquet location '"
            ~ location ~ "/_folded'",
        name ~ '__fold_map': "load_id string, period string, fold_id string) using parquet location '"
            ~ location ~ "/_folded_map'",
    } -%}
    {%- for table, definition in parts.items() -%}
        {%- do run_query('drop table if exists ' ~ table) -%}
        {%- do run_query('create table ' ~ table ~ ' (' ~ definition) -%}
    {%- endfor -%}
    {%- set selected = names | join(', ') -%}
    {%- do run_query(
        'create view ' ~ name ~ ' as'
        ~ ' select ' ~ selected ~ ' from ' ~ name ~ '__files'
        ~ ' where load_id not in (select load_id from ' ~ name ~ '__fold_map)'
        ~ ' union all'
        ~ ' select ' ~ selected ~ ' from ' ~ name ~ '__folded'
        ~ ' where fold_id in (select fold_id from ' ~ name ~ '__fold_map)'
    ) -%}
{%- endmacro %}

{#- A raw-zone column type (DuckDB's names, as the registry declares them) in Spark's. -#}
{% macro spark__raw_column_type(data_type) -%}
    {%- set types = {'varchar': 'string', 'timestamp with time zone': 'timestamp'} -%}
    {{- types.get(data_type | lower, data_type) -}}
{%- endmacro %}
