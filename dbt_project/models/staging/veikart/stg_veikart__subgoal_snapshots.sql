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
        prioritert_av_radsmodellen = 'ja' as is_council_prioritised
    from source
)

select * from renamed
