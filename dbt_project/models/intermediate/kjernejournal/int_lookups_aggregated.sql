{{
    config(
        materialized='incremental',
        **replace_partitions_config('lookup_date'),
    )
}}
-- The big fact: lookups per day, municipality (as delivered), organisation
-- type and action. Incremental: a run recomputes only the days whose current
-- file load is newer than anything in the table, so its cost follows the new
-- partitions, not the history; a restated day is deleted and inserted whole.
with

lookups as (
    select * from {{ ref('stg_kjernejournal__lookups') }}
),

file_loads as (
    select * from {{ ref('stg_ingestion__file_loads') }}
),

days_to_build as (
    select
        cast(period as date) as lookup_date,
        finished_at as loaded_at
    from file_loads
    where
        source_family = 'kj_lookups'
        and is_current
        {% if is_incremental() -%}
        and finished_at > (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
        {%- endif %}
),

final as (
    select
        lookups.lookup_date,
        lookups.source_municipality_code,
        lookups.organisation_type,
        lookups.action,
        count(*) as n_lookups,
        max(days_to_build.loaded_at) as loaded_at
    from lookups
    inner join days_to_build on lookups.lookup_date = days_to_build.lookup_date
    group by lookups.lookup_date, lookups.source_municipality_code, lookups.organisation_type, lookups.action
)

select * from final
