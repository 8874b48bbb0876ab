-- The portfolio per yearly count: initiatives, the share with evaluation money or follow-up
-- research, and the change in size from the year before.
with yearly as (
    select
        aar as period,
        count(*) as n_initiatives,
        100.0 * sum(case when midler_til_evaluering = 'ja' or planlagt_folgeforskning = 'ja' then 1 else 0 end)
            / count(*) as evaluated_percent
    from raw.portfolio_initiatives
    group by aar
)
select
    period as row_key,
    period,
    n_initiatives,
    evaluated_percent,
    n_initiatives / nullif(lag(n_initiatives) over (order by period), 0) as ratio_to_previous_year
from yearly
order by period
