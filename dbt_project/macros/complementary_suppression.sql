{#- Complementary suppression (outputs.md, privacy rule). `relation` holds one
    row per cell: the partition_columns (e.g. measure_id, period),
    geography_level (national, county, municipality), geography_code,
    county_code (a municipality's county, else null), cell_count and
    is_withheld (the small-cell rule's primary suppressions). A group is the
    municipalities of a county (total: the county's cell), the
    municipalities of the nation, or the counties of the nation (total: the
    national cell). When a group's total is published and exactly one member
    is withheld, the member could be recovered by subtraction, so a second
    one is withheld: the smallest remaining non-zero cell (a zero one when
    there is none; the county total when the county has a single
    municipality). Withholding a cell can expose another group, so this runs
    `rounds` times; the test assert_no_withheld_cell_recoverable checks that
    no group is left exposed. Returns the relation's rows with is_withheld
    updated. -#}
{% macro complementary_suppression(relation, partition_columns, rounds=5) -%}
{%- set partition = partition_columns | join(', ') -%}
(
    with

    round_0 as (
        select {{ partition }}, geography_level, geography_code, county_code, cell_count, is_withheld
        from {{ relation }}
    ),

    {%- for r in range(1, rounds + 1) %}
    {%- set previous = 'round_' ~ (r - 1) %}

    members_{{ r }} as (
        select *, 'county:' || county_code as group_id from {{ previous }}
        where geography_level = 'municipality' and county_code is not null
        union all
        select *, 'municipalities' as group_id from {{ previous }} where geography_level = 'municipality'
        union all
        select *, 'counties' as group_id from {{ previous }} where geography_level = 'county'
    ),

    totals_{{ r }} as (
        select {{ partition }}, 'county:' || geography_code as group_id, geography_code, is_withheld
        from {{ previous }} where geography_level = 'county'
        union all
        select {{ partition }}, 'municipalities' as group_id, geography_code, is_withheld
        from {{ previous }} where geography_level = 'national'
        union all
        select {{ partition }}, 'counties' as group_id, geography_code, is_withheld
        from {{ previous }} where geography_level = 'national'
    ),

    exposed_{{ r }} as (
        -- Groups whose published total gives away their only withheld member.
        select
            {% for column in partition_columns %}members.{{ column }}, {% endfor %}
            members.group_id,
            min(totals.geography_code) as total_code,
            count(*) as n_members
        from members_{{ r }} as members
        inner join totals_{{ r }} as totals
            on {{ _same_partition('members', 'totals', partition_columns) }}members.group_id = totals.group_id
        where not totals.is_withheld
        group by {% for column in partition_columns %}members.{{ column }}, {% endfor %}members.group_id
        having sum(case when members.is_withheld then 1 else 0 end) = 1
    ),

    candidates_{{ r }} as (
        select
            {% for column in partition_columns %}members.{{ column }}, {% endfor %}
            members.geography_level,
            members.geography_code,
            row_number() over (
                partition by {% for column in partition_columns %}members.{{ column }}, {% endfor %}members.group_id
                order by
                    case when members.cell_count > 0 then 0 else 1 end,
                    members.cell_count,
                    members.geography_code
            ) as pick_rank
        from members_{{ r }} as members
        inner join exposed_{{ r }} as exposed
            on {{ _same_partition('members', 'exposed', partition_columns) }}members.group_id = exposed.group_id
        where not members.is_withheld
    ),

    picked_{{ r }} as (
        select {{ partition }}, geography_level, geography_code
        from candidates_{{ r }}
        where pick_rank = 1
        union all
        -- A county with a single municipality: its total is that municipality.
        select {{ partition }}, 'county' as geography_level, total_code as geography_code
        from exposed_{{ r }}
        where n_members = 1 and group_id like 'county:%'
    ),

    round_{{ r }} as (
        select
            {% for column in partition_columns %}cells.{{ column }}, {% endfor %}
            cells.geography_level,
            cells.geography_code,
            cells.county_code,
            cells.cell_count,
            cells.is_withheld or picked.geography_code is not null as is_withheld
        from {{ previous }} as cells
        left join (select distinct * from picked_{{ r }}) as picked
            on {{ _same_partition('cells', 'picked', partition_columns) }}cells.geography_level = picked.geography_level
            and cells.geography_code = picked.geography_code
    ){{ ',' if not loop.last }}
    {%- endfor %}

    select * from round_{{ rounds }}
)
{%- endmacro %}

{#- `left.c = right.c and ` for each partition column (the join condition goes on after it). -#}
{% macro _same_partition(left, right, columns) -%}
    {%- for column in columns %}{{ left }}.{{ column }} = {{ right }}.{{ column }} and {% endfor -%}
{%- endmacro %}
