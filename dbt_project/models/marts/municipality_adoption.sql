-- One row per current (2024) municipality and month: population and whether
-- kjernejournal, PLL and Digihelsestasjon were in place. Empty (null) where
-- the feed has no data for the month.
with

flags as (
    select * from {{ ref('int_adoption_flags_mapped') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

populations as (
    select * from {{ ref('int_populations_mapped') }}
),

current_municipalities as (
    select municipality_code, municipality_name, county_code
    from municipalities
    where valid_to is null and municipality_code <> '9999'
),

months as (
    select distinct period from flags
),

covered as (
    select distinct flag, period from flags
),

spine as (
    select
        current_municipalities.municipality_code,
        current_municipalities.municipality_name,
        current_municipalities.county_code,
        months.period
    from current_municipalities
    cross join months
),

population_years as (
    select
        months.period,
        {{ population_year('cast(substring(months.period, 1, 4) as integer)') }} as population_year
    from months
),

final as (
    select
        spine.municipality_code,
        spine.municipality_name,
        spine.county_code,
        spine.period,
        cast(round(populations.population) as bigint) as population,
        {% for flag, column in [('kjernejournal', 'kjernejournal_adopted'), ('pll', 'pll_arranged'),
                                ('digihelsestasjon', 'digihelsestasjon_offered')] %}
        case
            when not exists (select 1 from covered where covered.flag = '{{ flag }}' and covered.period = spine.period)
                then null
            else exists (
                select 1 from flags
                where flags.flag = '{{ flag }}'
                    and flags.period = spine.period
                    and flags.municipality_code = spine.municipality_code
            )
        end as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from spine
    inner join population_years on spine.period = population_years.period
    left join populations
        on populations.year = population_years.population_year
        and populations.municipality_code = spine.municipality_code
)

select * from final
