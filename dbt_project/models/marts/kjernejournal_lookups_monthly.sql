-- 4.2.2 in detail, nationally: lookups per month in total and split by
-- handling (les/del) and by virksomhetstype, and distinct patients per month.
with

daily as (
    select * from {{ ref('int_lookups_aggregated') }}
),

patients as (
    select * from {{ ref('int_lookup_patients_counted') }}
),

with_period as (
    select
        {{ month_period('lookup_date') }} as period,
        organisation_type,
        action,
        n_lookups
    from daily
),

split as (
    select period, 'total' as breakdown, 'alle' as category, sum(n_lookups) as n_lookups
    from with_period
    group by period
    union all
    select period, 'handling' as breakdown, action as category, sum(n_lookups) as n_lookups
    from with_period
    group by period, action
    union all
    select period, 'virksomhetstype' as breakdown, organisation_type as category, sum(n_lookups) as n_lookups
    from with_period
    group by period, organisation_type
),

final as (
    select
        split.period,
        split.breakdown,
        split.category,
        cast(split.n_lookups as bigint) as n_lookups,
        case when split.breakdown = 'total' then patients.n_distinct_patients end as n_distinct_patients
    from split
    left join patients on split.period = patients.period
)

select * from final
