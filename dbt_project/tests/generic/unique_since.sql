{% test unique_since(model, column_name, since_column, since_date) %}
-- `unique` for a table too big to group whole on every run. From since_date
-- on (a 'YYYY-MM-DD'), the values of those rows are each counted over the
-- whole table, so a repeat of a value from long before is still found, at
-- the cost of one scan of one column. With since_date at the beginning
-- (first load, or run by hand) everything is new: count first, and group
-- only when there is a repeat to show.
{%- if since_date <= '0001-01-01' %}
with

repeats as (
    select count(*) - count(distinct {{ column_name }}) as n_repeats
    from {{ model }}
),

repeated as (
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where (select n_repeats from repeats) > 0
    group by {{ column_name }}
    having count(*) > 1
)
{%- else %}
with

recent_values as (
    select {{ column_name }} as recent_value
    from {{ model }}
    where {{ since_column }} >= cast('{{ since_date }}' as date)
),

repeated as (
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where {{ column_name }} in (select recent_value from recent_values)
    group by {{ column_name }}
    having count(*) > 1
)
{%- endif %}

select * from repeated
{% endtest %}
