{#- Map counts keyed by a delivered municipality code (any structure) onto
    today's (2024) codes through seeds/municipality_code_map.csv. A split
    code's count is allocated by the map's population shares, rounded down;
    the primary successor takes the remainder, so totals are preserved.
    `relation` must hold one row per key_columns + source_municipality_code. -#}
{% macro allocate_to_current_municipalities(relation, count_column, key_columns) -%}
{%- set keys = key_columns | join(', ') -%}
(
    select
        {{ keys }},
        municipality_code,
        sum(allocated) as {{ count_column }}
    from (
        select
            {{ keys }},
            municipality_code,
            case
                when is_primary_successor
                    then full_count - (
                        sum(floor_count) over (partition by {{ keys }}, source_municipality_code) - floor_count
                    )
                else floor_count
            end as allocated
        from (
            select
                {% for key in key_columns %}counted.{{ key }}, {% endfor %}
                counted.source_municipality_code,
                code_map.municipality_code,
                code_map.is_primary_successor,
                counted.{{ count_column }} as full_count,
                floor(counted.{{ count_column }} * code_map.allocation_share) as floor_count
            from {{ relation }} as counted
            inner join {{ ref('municipality_code_map') }} as code_map
                on counted.source_municipality_code = code_map.source_code
        ) as shares
    ) as allocated_counts
    group by {{ keys }}, municipality_code
)
{%- endmacro %}
