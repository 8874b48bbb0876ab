-- goal_summary as of every month end (and the publication's as-of date):
-- what a BI chart of "gule indikatorer over tid" reads.
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
        n_no_data,
        as_of_date
    from daily
    where
        as_of_date = cast({{ dbt.last_day('as_of_date', 'month') }} as date)
        or as_of_date = {{ as_of_date() }}
)

select * from final
