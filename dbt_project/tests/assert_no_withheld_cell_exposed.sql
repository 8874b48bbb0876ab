{{ config(meta={'dagster': {'ref': {'name': 'int_disclosure_cells_decided'}}}) }}
-- outputs.md, privacy rule: the build-time guard on the one disclosure
-- decision (int_disclosure_cells_decided). No group whose total is published
-- (the municipalities of a county, the municipalities of the nation, the
-- counties of the nation; per measure and period) has exactly one withheld
-- cell, total included: subtraction (or addition) would give it back. The attacker's test
-- (tests/integration/test_disclosure.py) solves the published tables as a
-- whole; this one fails the build, so no publication ever leaves it.
with

decided as (
    select * from {{ ref('int_disclosure_cells_decided') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

current_counties as (
    select municipality_code, county_code
    from municipalities
    where valid_to is null
),

members as (
    select decided.measure_id, decided.period, 'county:' || current_counties.county_code as group_id, decided.is_withheld
    from decided
    inner join current_counties on decided.geography_code = current_counties.municipality_code
    where decided.geography_level = 'municipality'
    union all
    select measure_id, period, 'municipalities' as group_id, is_withheld
    from decided
    where geography_level = 'municipality'
    union all
    select measure_id, period, 'counties' as group_id, is_withheld
    from decided
    where geography_level = 'county'
),

totals as (
    select measure_id, period, 'county:' || geography_code as group_id, is_withheld
    from decided
    where geography_level = 'county'
    union all
    select measure_id, period, 'municipalities' as group_id, is_withheld
    from decided
    where geography_level = 'national'
    union all
    select measure_id, period, 'counties' as group_id, is_withheld
    from decided
    where geography_level = 'national'
),

final as (
    select
        members.measure_id,
        members.period,
        members.group_id,
        max(case when totals.is_withheld then 1 else 0 end)
        + sum(case when members.is_withheld then 1 else 0 end) as n_withheld
    from members
    inner join totals
        on members.measure_id = totals.measure_id
        and members.period = totals.period
        and members.group_id = totals.group_id
    group by members.measure_id, members.period, members.group_id
    having
        max(case when totals.is_withheld then 1 else 0 end)
        + sum(case when members.is_withheld then 1 else 0 end) = 1
)

select * from final
