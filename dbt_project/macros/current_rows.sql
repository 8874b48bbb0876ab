{#-
    The rows of a raw-zone table that belong to the current version of each period:
    the raw zone keeps every file version (superseded ones until retention removes
    them); the ledger says which one is current (stg_ingestion__file_loads).
    `period` and `load_id` come from the Hive layout of the Parquet files; `loaded_at`
    is when the version was committed. `only_loads` (a list of load ids) restricts the
    read to those versions, named as constants so the engine opens only their folders
    (an incremental model's new versions: new_current_loads below).
-#}
{% macro current_rows(table_name, only_loads=none) -%}
    select
        raw_rows.*,
        current_loads.finished_at as loaded_at
    from {{ source('raw', table_name) }} as raw_rows
    inner join {{ ref('stg_ingestion__file_loads') }} as current_loads
        on raw_rows.load_id = current_loads.load_id
    where
        current_loads.is_current
        {%- if only_loads is not none %}
        and raw_rows.load_id in ('{{ only_loads | join("', '") if only_loads else "none" }}')
        {%- endif %}
{%- endmacro %}

{#- The current versions of a feed committed after the newest `loaded_at` of the incremental
    model `this`: the only files an incremental run of it reads. -#}
{% macro new_current_loads(source_family) -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- set newer = run_query(
            "select load_id from " ~ ref('stg_ingestion__file_loads')
            ~ " where source_family = '" ~ source_family ~ "' and is_current and finished_at > "
            ~ "(select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from " ~ this ~ ")"
        ) -%}
        {%- for row in newer.rows %}{% do found.append(row[0]) %}{% endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}
