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
    municipality). When a group's total is withheld and none of its members
    is, the total could be recovered by addition, so its smallest non-zero
    member is withheld too: no group is left with exactly one withheld cell. Withholding a cell can expose another group, so this runs
    `rounds` times; the test assert_no_withheld_cell_exposed checks that no
    group is left exposed, and tests/integration/test_disclosure.py solves
    everything published for withheld cells. Called once, by
    int_disclosure_cells_decided: the one disclosure decision every mart
    reads (docs/decisions.md, issue 22). Returns the relation's rows with is_withheld
    updated. Each round reads the previous round once (every cell tagged with
    the groups it is a member or the total of, then window functions per
    group): engines that inline CTEs (Spark) would otherwise copy the
    rounds exponentially. -#}
{% macro complementary_suppression(relation, partition_columns, rounds=5) -%}
{%- set partition = partition_columns | join(', ') -%}
(
    with

    round_0 as (
        select {{ partition }}, geography_level, geography_code, county_code, cell_count, is_withheld
        from {{ relation }}
    ),

    group_roles as (
        -- Which groups a cell of each level belongs to, and as what.
        select 'municipality' as geography_level, 'member' as role, 'county' as group_kind
        union all
        select 'municipality' as geography_level, 'member' as role, 'municipalities' as group_kind
        union all
        select 'county' as geography_level, 'member' as role, 'counties' as group_kind
        union all
        select 'county' as geography_level, 'total' as role, 'county' as group_kind
        union all
        select 'national' as geography_level, 'total' as role, 'municipalities' as group_kind
        union all
        select 'national' as geography_level, 'total' as role, 'counties' as group_kind
    ),

    {%- for r in range(1, rounds + 1) %}
    {%- set previous = 'round_' ~ (r - 1) %}

    tagged_{{ r }} as (
        select
            cells.*,
            group_roles.role,
            case
                when group_roles.group_kind <> 'county' then group_roles.group_kind
                when group_roles.role = 'member' then 'county:' || cells.county_code
                else 'county:' || cells.geography_code
            end as group_id
        from {{ previous }} as cells
        inner join group_roles
            on cells.geography_level = group_roles.geography_level
            and (group_roles.group_kind <> 'county' or group_roles.role = 'total' or cells.county_code is not null)
    ),

    grouped_{{ r }} as (
        select
            *,
            max(case when role = 'total' and not is_withheld then 1 else 0 end)
                over (partition by {{ partition }}, group_id) as is_total_published,
            max(case when role = 'total' and is_withheld then 1 else 0 end)
                over (partition by {{ partition }}, group_id) as is_total_withheld,
            sum(case when role = 'member' and is_withheld then 1 else 0 end)
                over (partition by {{ partition }}, group_id) as n_withheld_members,
            sum(case when role = 'member' then 1 else 0 end)
                over (partition by {{ partition }}, group_id) as n_members
        from tagged_{{ r }}
    ),

    ranked_{{ r }} as (
        -- Exposed: the group's total is published and gives away its only withheld member,
        -- or the total is the only withheld cell and its members add up to it.
        select
            *,
            (is_total_published = 1 and n_withheld_members = 1)
            or (is_total_withheld = 1 and n_withheld_members = 0 and n_members > 0) as is_exposed,
            row_number() over (
                partition by {{ partition }}, group_id, role, is_withheld
                order by case when cell_count > 0 then 0 else 1 end, cell_count, geography_code
            ) as pick_rank
        from grouped_{{ r }}
    ),

    round_{{ r }} as (
        select
            {{ partition }},
            geography_level,
            geography_code,
            county_code,
            cell_count,
            max(
                case
                    when is_withheld then 1
                    -- the smallest remaining non-zero cell of an exposed group
                    when is_exposed and role = 'member' and pick_rank = 1 then 1
                    -- a county with a single municipality: its total is that municipality
                    when is_exposed and role = 'total' and n_members = 1 and group_id like 'county:%' then 1
                    else 0
                end
            ) = 1 as is_withheld
        from ranked_{{ r }}
        group by {{ partition }}, geography_level, geography_code, county_code, cell_count
    ){{ ',' if not loop.last }}
    {%- endfor %}

    select * from round_{{ rounds }}
)
{%- endmacro %}
