{#- What the warehouse knew on a date: with var known_on (YYYY-MM-DD), true only for ledger
    entries that finished on or before that day (UTC; the ledger's clock, warehouse/clock.py),
    so the ledger rule "current" picks the file versions current then; without it, every
    entry. Used by stg_ingestion__file_loads only: everything downstream follows. -#}
{% macro loaded_by_known_on(finished_at) -%}
    {%- if var('known_on', '') -%}
        {%- set next_day = modules.datetime.date.fromisoformat(var('known_on')) + modules.datetime.timedelta(days=1) -%}
        {{ finished_at }} < cast('{{ next_day.isoformat() }} 00:00:00+00:00' as {{ type_timestamp_tz() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
