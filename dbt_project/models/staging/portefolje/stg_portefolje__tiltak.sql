with

source as (
    {{ current_rows('portfolio_initiatives') }}
),

renamed as (
    select
        load_id,
        source_line,
        aar as period,
        tiltak_id,
        navn as tiltak_name,
        ansvarlig_virksomhet as responsible_organisation,
        cast(strategisk_mal as integer) as goal_id,
        midler_til_evaluering = 'ja' as has_evaluation_funds,
        planlagt_folgeforskning = 'ja' as has_follow_up_research
    from source
)

select * from renamed
