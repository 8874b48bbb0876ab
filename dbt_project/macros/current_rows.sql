{#-
    The rows of a raw-zone table that belong to the current version of each period:
    the raw zone keeps every file version (superseded ones until retention removes
    them); the ledger says which one is current (stg_ingestion__file_loads).
    `period` and `load_id` come from the Hive layout of the Parquet files.
-#}
{% macro current_rows(table_name) -%}
    select raw_rows.*
    from {{ source('raw', table_name) }} as raw_rows
    inner join {{ ref('stg_ingestion__file_loads') }} as current_loads
        on raw_rows.load_id = current_loads.load_id
    where current_loads.is_current
{%- endmacro %}
