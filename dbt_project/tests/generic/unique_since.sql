{% test unique_since(model, column_name, since_column, since) %}
-- `unique` for a table too big to group whole on every run: the values of the
-- rows from `since` on, each counted over the whole table, so a repeat of a
-- value from long before is still found. Costs one scan of one column.
with

recent_values as (
    select {{ column_name }} as recent_value
    from {{ model }}
    where {{ since_column }} >= {{ since }}
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

select * from repeated
{% endtest %}
