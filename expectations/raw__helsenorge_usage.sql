-- National Helsenorge visits per month (all services), judged against the months on BOTH sides
-- (the median of up to two before and two after, the month itself left out) and against the
-- version a restatement replaced (issue 22): a bad month is the one flagged, not the correct
-- month after it, whose median still comes from good months.
with monthly as (
    select maaned as period, sum(cast(antall_besok as bigint)) as visits, count(*) as n_rows
    from raw.helsenorge_usage
    group by maaned
),

neighbours as (
    select
        period,
        visits,
        n_rows,
        visits / nullif(lag(visits) over (order by period), 0) as ratio_to_previous_month,
        visits / nullif(
            median(visits) over (order by period rows between 2 preceding and 2 following exclude current row), 0
        ) as ratio_to_neighbours
    from monthly
),

-- The version each current restatement replaced, with when it was replaced.
replaced as (
    select
        l.period,
        l.finished_at as restated_at,
        sum(cast(v.antall_besok as bigint)) as replaced_visits
    from raw.load_ledger as l
    inner join raw.helsenorge_usage__versions as v on l.supersedes = v.load_id
    where l.source_family = 'helsenorge_usage' and l.is_current and l.status = 'restated'
    group by l.period, l.finished_at
)

select
    n.period as row_key,
    n.period,
    n.visits,
    n.n_rows,
    n.ratio_to_previous_month,
    n.ratio_to_neighbours,
    r.replaced_visits,
    n.visits / nullif(r.replaced_visits, 0) - 1 as change_from_replaced,
    case
        when r.replaced_visits is not null then
            n.period || ' erstattet ' || strftime(r.restated_at, '%Y-%m-%d %H:%M') || ': '
            || cast(round(abs(n.visits / nullif(r.replaced_visits, 0) - 1) * 100) as integer) || ' % '
            || case when n.visits < r.replaced_visits then 'færre' else 'flere' end || ' besøk'
    end as restatement
from neighbours as n
left join replaced as r on n.period = r.period
order by n.period
