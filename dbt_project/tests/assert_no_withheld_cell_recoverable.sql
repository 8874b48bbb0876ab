{{ config(meta={'dagster': {'ref': {'name': 'fct_measure_value'}}}) }}
-- outputs.md: a withheld cell must not be recoverable by subtraction. Every
-- group whose total is published (the municipalities of the nation for
-- 4.2.2 and 4.2.6 in fct_measure_value; the municipalities of a county, of
-- the nation and the counties of the nation in pll_usage_monthly) has either
-- no withheld member or at least two.
with

values_published as (
    select * from {{ ref('fct_measure_value') }}
),

measures as (
    select * from {{ ref('dim_measure') }}
),

pll as (
    select * from {{ ref('pll_usage_monthly') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

measure_groups as (
    select
        values_published.measure_id || ' ' || values_published.period as partition_key,
        'municipalities' as group_id,
        values_published.is_suppressed
    from values_published
    inner join measures on values_published.measure_id = measures.measure_id
    where measures.is_person_level_count and values_published.geography_level = 'municipality'
),

measure_totals as (
    select measure_id || ' ' || period as partition_key, 'municipalities' as group_id, is_suppressed
    from values_published
    where geography_level = 'national'
),

pll_groups as (
    select 'pll ' || pll.period as partition_key, 'county:' || municipalities.county_code as group_id, pll.is_suppressed
    from pll
    inner join municipalities
        on pll.geography_code = municipalities.municipality_code and municipalities.valid_to is null
    where pll.geography_level = 'municipality'
    union all
    select 'pll ' || period as partition_key, 'municipalities' as group_id, is_suppressed
    from pll
    where geography_level = 'municipality'
    union all
    select 'pll ' || period as partition_key, 'counties' as group_id, is_suppressed
    from pll
    where geography_level = 'county'
),

pll_totals as (
    select 'pll ' || period as partition_key, 'county:' || geography_code as group_id, is_suppressed
    from pll
    where geography_level = 'county'
    union all
    select 'pll ' || period as partition_key, 'municipalities' as group_id, is_suppressed
    from pll
    where geography_level = 'national'
    union all
    select 'pll ' || period as partition_key, 'counties' as group_id, is_suppressed
    from pll
    where geography_level = 'national'
),

members as (
    select * from measure_groups
    union all
    select * from pll_groups
),

totals as (
    select * from measure_totals
    union all
    select * from pll_totals
),

final as (
    select
        members.partition_key,
        members.group_id,
        sum(case when members.is_suppressed then 1 else 0 end) as n_withheld
    from members
    inner join totals
        on members.partition_key = totals.partition_key and members.group_id = totals.group_id
    where not totals.is_suppressed
    group by members.partition_key, members.group_id
    having sum(case when members.is_suppressed then 1 else 0 end) = 1
)

select * from final
