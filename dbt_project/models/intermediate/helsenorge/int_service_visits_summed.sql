-- National visits per month and service: the sum over every municipality,
-- including 9999 (unknown), as indicators.md says for 1.1.1 / 1.1.2.
with

usages as (
    select * from {{ ref('stg_helsenorge__service_usages') }}
),

summed as (
    select
        period,
        service_code,
        sum(visits) as visits,
        count(*) as n_rows
    from usages
    group by period, service_code
),

final as (
    select
        period,
        service_code,
        -- A month number that makes "the 12 months ending at m" a range join.
        cast(substring(period, 1, 4) as integer) * 12 + cast(substring(period, 6, 2) as integer) as month_index,
        visits,
        n_rows
    from summed
)

select * from final
