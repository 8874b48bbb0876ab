{{
    config(
        materialized='incremental',
        **replace_partitions_config('period'),
    )
}}
-- Distinct patients (pseudonyms) per month. A distinct count cannot be summed
-- from days, so a run recomputes whole months, but only months with a newer load.
-- The join is on the day itself (not on an expression of it), so the engine
-- can skip the history outside the days it needs (DuckDB: join filter pushdown
-- onto the table's min/max statistics).
with

lookups as (
    select * from {{ ref('stg_kjernejournal__lookups') }}
),

file_loads as (
    select * from {{ ref('stg_ingestion__file_loads') }}
),

current_days as (
    select
        cast(period as date) as lookup_date,
        substring(period, 1, 7) as period,
        finished_at as loaded_at
    from file_loads
    where
        source_family = 'kj_lookups'
        and is_current
),

months_to_build as (
    select
        period,
        max(loaded_at) as loaded_at
    from current_days
    group by period
    {% if is_incremental() -%}
    having max(loaded_at) > (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {%- endif %}
),

days_to_scan as (
    select
        current_days.lookup_date,
        months_to_build.period,
        months_to_build.loaded_at
    from current_days
    inner join months_to_build on current_days.period = months_to_build.period
),

final as (
    select
        days_to_scan.period,
        count(distinct lookups.patient_pseudonym) as n_distinct_patients,
        max(days_to_scan.loaded_at) as loaded_at
    from lookups
    inner join days_to_scan on lookups.lookup_date = days_to_scan.lookup_date
    group by days_to_scan.period
)

select * from final
