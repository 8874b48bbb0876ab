-- Every published value. Person-level counts and survey breakdowns are
-- withheld exactly where the one disclosure decision says
-- (int_disclosure_cells_decided: small cells, too few answers, and the
-- complementary cells that keep them from coming back by subtraction); a
-- withheld cell loses its value, numerator, denominator, n, n_eff and
-- interval. A steward's kommentar is published beside the manual value it
-- explains.
with

measure_values as (
    select * from {{ ref('int_measure_values_unioned') }}
),

disclosure as (
    select * from {{ ref('int_disclosure_cells_decided') }}
),

observations as (
    select * from {{ ref('stg_manual__observations') }}
),

withheld as (
    select
        measure_values.*,
        coalesce(disclosure.is_withheld, false) as is_withheld
    from measure_values
    left join disclosure
        on measure_values.measure_id = disclosure.measure_id
        and measure_values.period = disclosure.period
        and measure_values.geography_level = disclosure.geography_level
        and measure_values.geography_code = disclosure.geography_code
),

final as (
    select
        withheld.measure_id,
        withheld.period,
        withheld.period_end_date,
        withheld.geography_level,
        withheld.geography_code,
        case when withheld.is_withheld then null else withheld.value end as value,
        case when withheld.is_withheld then null else withheld.numerator end as numerator,
        case when withheld.is_withheld then null else withheld.denominator end as denominator,
        case when withheld.is_withheld then null else withheld.n end as n,
        case when withheld.is_withheld then null else withheld.n_eff end as n_eff,
        case when withheld.is_withheld then null else withheld.ci_low end as ci_low,
        case when withheld.is_withheld then null else withheld.ci_high end as ci_high,
        withheld.is_suppressed or withheld.is_withheld as is_suppressed,
        observations.comment as comment_nb
    from withheld
    left join observations
        on withheld.measure_id = observations.measure_id
        and withheld.period = observations.period
        and withheld.geography_level = 'national'
)

select * from final
