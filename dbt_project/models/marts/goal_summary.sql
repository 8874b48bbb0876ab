-- The council's summary as of the publication's as-of date: a row set of
-- goal_summary_daily (the worst-measure rule lives there).
with

daily as (
    select * from {{ ref('goal_summary_daily') }}
),

final as (
    select
        goal_id,
        goal_name_nb,
        n_indicators,
        n_green,
        n_yellow,
        n_red,
        n_no_target,
        n_no_data
    from daily
    where as_of_date = {{ as_of_date() }}
)

select * from final
