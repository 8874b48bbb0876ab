-- Population per current (2024) municipality and year. Figures published in
-- an older structure are carried over through the code map; a split
-- municipality's population is allocated by the map's shares.
with

population as (
    select * from {{ ref('population') }}
),

code_map as (
    select * from {{ ref('municipality_code_map') }}
),

mapped as (
    select
        population.year,
        code_map.municipality_code,
        population.population * code_map.allocation_share as population
    from population
    inner join code_map on population.municipality_code = code_map.source_code
),

final as (
    select
        year,
        municipality_code,
        sum(population) as population
    from mapped
    group by year, municipality_code
)

select * from final
