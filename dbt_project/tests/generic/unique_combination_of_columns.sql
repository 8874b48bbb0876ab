{#- Rows whose combination of columns is not unique (a small stand-in for
    dbt_utils.unique_combination_of_columns, so the project needs no package
    download). -#}
{% test unique_combination_of_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
