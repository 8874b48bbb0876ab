{#- The last snapshot date of each month in a relation with a snapshot_date
    column: (snapshot_date, period 'YYYY-MM'). A month's value is read from
    its last snapshot (1.2, 4.2.1, municipality_adoption). -#}
{% macro last_snapshot_of_each_month(relation) -%}
(
    select snapshot_date, period
    from (
        select
            snapshot_date,
            {{ month_period('snapshot_date') }} as period,
            row_number() over (
                partition by {{ month_period('snapshot_date') }} order by snapshot_date desc
            ) as recency_rank
        from (select distinct snapshot_date from {{ relation }}) as snapshot_dates
    ) as ranked
    where recency_rank = 1
)
{%- endmacro %}
