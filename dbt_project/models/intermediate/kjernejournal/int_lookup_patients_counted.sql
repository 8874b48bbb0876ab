{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period',
    )
}}
-- Distinct patients (pseudonyms) per month. A distinct count cannot be summed
-- from days, so a run recomputes whole months, but only months with a newer load.
with

lookups as (
    select * from {{ ref('stg_kjernejournal__lookups') }}
),

file_loads as (
    select * from {{ ref('stg_ingestion__file_loads') }}
),

months_to_build as (
    select
        substring(period, 1, 7) as period,
        max(finished_at) as loaded_at
    from file_loads
    where
        source_family = 'kj_lookups'
        and is_current
    group by substring(period, 1, 7)
    {% if is_incremental() -%}
    having max(finished_at) > (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {%- endif %}
),

final as (
    select
        months_to_build.period,
        count(distinct lookups.patient_pseudonym) as n_distinct_patients,
        max(months_to_build.loaded_at) as loaded_at
    from lookups
    inner join months_to_build on substring(cast(lookups.lookup_date as varchar), 1, 7) = months_to_build.period
    group by months_to_build.period
)

select * from final
