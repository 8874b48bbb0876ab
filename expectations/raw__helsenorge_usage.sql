-- National Helsenorge visits per month (all services), with the change from the previous month.
with monthly as (
    select maaned as period, sum(cast(antall_besok as bigint)) as visits, count(*) as n_rows
    from raw.helsenorge_usage
    group by maaned
)
select
    period as row_key,
    period,
    visits,
    n_rows,
    visits / nullif(lag(visits) over (order by period), 0) as ratio_to_previous_month
from monthly
order by period
