with

source as (
    {{ current_rows('veikart_subgoals') }}
),

renamed as (
    select
        load_id,
        source_line,
        cast(period as date) as snapshot_date,
        delmaal_id as subgoal_id,
        losning as solution,
        tittel as title,
        fase as phase,
        cast(strategisk_mal as integer) as goal_id,
        cast(planlagt_dato as date) as planned_on,
        cast(nullif(prognose_dato, '') as date) as forecast_on,
        cast(nullif(fullfort_dato, '') as date) as completed_on,
        status,
        prioritert_av_radsmodellen = 'ja' as is_council_prioritised,
        -- The plan's initiative, in its published form: 1A is 1.A (indicators.md).
        case
            when initiativ_id is null or trim(initiativ_id) = '' then null
            when trim(initiativ_id) like '%.%' then upper(trim(initiativ_id))
            else upper(substring(trim(initiativ_id), 1, 1)) || '.' || upper(substring(trim(initiativ_id), 2))
        end as initiative_id,
        coalesce(nullif(planlagt_presisjon, ''), 'dag') as planned_precision
    from source
)

select * from renamed
