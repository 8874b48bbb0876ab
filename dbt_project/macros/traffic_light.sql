{#- The status rule of indicators.md, in one place. Both macros read the
    columns of measure_status_daily's `expected` step: baseline_value,
    expected_value, expects_no_change, direction, green_min, yellow_min,
    target_value and is_fresh. `value` is the value judged: the latest value,
    or an end of its 95 % interval (status_is_uncertain). -#}

{#- f = (v - b) / (e(t) - b); empty when e(t) = b. -#}
{% macro achieved_fraction(value) -%}
    case
        when not expects_no_change
            then ({{ value }} - baseline_value) / (expected_value - baseline_value)
    end
{%- endmacro %}

{% macro traffic_light(value) -%}
    case
        when not is_fresh then 'no_data'
        when baseline_value is null or target_value is null then 'no_target'
        when expects_no_change then
            case
                when direction = 'up' and {{ value }} >= baseline_value then 'green'
                when direction = 'down' and {{ value }} <= baseline_value then 'green'
                else 'red'
            end
        when {{ achieved_fraction(value) }} >= green_min then 'green'
        when {{ achieved_fraction(value) }} >= yellow_min then 'yellow'
        else 'red'
    end
{%- endmacro %}
