-- Per month and current (2024) municipality: which adoption each feed shows
-- on the month's latest snapshot (kjernejournal, Digihelsestasjon) or in the
-- month's PLL file. A successor of a merged or split municipality counts as
-- adopted when any of its predecessor codes did.
with

kj_adoptions as (
    select * from {{ ref('stg_kjernejournal__adoptions') }}
),

offerings as (
    select * from {{ ref('stg_helsenorge__service_offerings') }}
),

pll as (
    select * from {{ ref('stg_pll__municipality_months') }}
),

code_map as (
    select * from {{ ref('municipality_code_map') }}
),

kj_snapshots as (
    select * from {{ last_snapshot_of_each_month('kj_adoptions') }} as last_snapshots
),

offering_snapshots as (
    select * from {{ last_snapshot_of_each_month('offerings') }} as last_snapshots
),

kj_flags as (
    select distinct
        'kjernejournal' as flag,
        kj_snapshots.period,
        code_map.municipality_code
    from kj_adoptions
    inner join kj_snapshots
        on kj_adoptions.snapshot_date = kj_snapshots.snapshot_date
    inner join code_map on kj_adoptions.source_municipality_code = code_map.source_code
    where kj_adoptions.adopted_on <= kj_adoptions.snapshot_date
),

digihelsestasjon_flags as (
    select distinct
        'digihelsestasjon' as flag,
        offering_snapshots.period,
        code_map.municipality_code
    from offerings
    inner join offering_snapshots
        on offerings.snapshot_date = offering_snapshots.snapshot_date
    inner join code_map on offerings.source_municipality_code = code_map.source_code
    where offerings.service_code = 'digihelsestasjon' and offerings.offered_from <= offerings.snapshot_date
),

pll_flags as (
    select distinct
        'pll' as flag,
        pll.period,
        code_map.municipality_code
    from pll
    inner join code_map on pll.source_municipality_code = code_map.source_code
    where pll.is_arranged
),

-- Months for which a feed has data at all: without data the flag is unknown (null), not false.
feed_months as (
    select distinct 'kjernejournal' as flag, period from kj_snapshots
    union all
    select distinct 'digihelsestasjon' as flag, period from offering_snapshots
    union all
    select distinct 'pll' as flag, period from pll
),

final as (
    select flag, period, municipality_code from kj_flags
    union all
    select flag, period, municipality_code from digihelsestasjon_flags
    union all
    select flag, period, municipality_code from pll_flags
)

select
    feed_months.flag,
    feed_months.period,
    final.municipality_code
from feed_months
left join final on feed_months.flag = final.flag and feed_months.period = final.period
