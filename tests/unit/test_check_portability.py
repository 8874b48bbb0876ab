"""scripts/check_portability.py: the lint that keeps the dbt project building on Spark."""

from pathlib import Path

import pytest

from scripts.check_portability import check, findings_in_model_yml, findings_in_seed_yml, findings_in_sql


@pytest.mark.parametrize(
    "sql",
    [
        "select cast(x as varchar) as y",
        "select cast(tidspunkt as timestamp with time zone) as t",
        "select x::date from t",
        "{{ config(materialized='incremental', incremental_strategy='delete+insert') }}",
        "select quantile_cont(n, 0.5) from t",
        "select * from read_parquet('raw/*.parquet')",
        "select * exclude (a) from t",
        "select * from t qualify row_number() over (order by a) = 1",
        "select d - interval 13 month from t",
        "select cast(n as hugeint) from t",
    ],
)
def test_a_duckdb_only_construct_is_found(sql: str) -> None:
    assert len(findings_in_sql(Path("m.sql"), sql)) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "select cast(x as {{ dbt.type_string() }}) as y, cast(y as varchar(10)) as z",
        "-- a comment may say varchar and x::date\nselect 1",
        "{# or here: timestamp with time zone #}select 1",
        "{% macro duckdb__f() %}cast(x as timestamp with time zone){% endmacro %}",
        "{% macro default__g() -%}\n    x::varchar\n{%- endmacro %}",
        "select {{ dbt.dateadd('month', -13, 'as_of_date') }} as d",
    ],
)
def test_portable_sql_comments_and_dispatched_macros_pass(sql: str) -> None:
    assert findings_in_sql(Path("m.sql"), sql) == []


def test_the_line_number_points_at_the_construct() -> None:
    sql = "{# a\nlong comment #}\nselect\n    cast(x as varchar) as y\nfrom t"
    (finding,) = findings_in_sql(Path("m.sql"), sql)
    assert finding.line == 4 and "varchar" in finding.text


def test_seed_column_types_must_not_be_bare_varchar() -> None:
    yml = "seeds:\n  - name: a\n    config:\n      column_types: {code: varchar, n: integer}\n      # varchar\n"
    (finding,) = findings_in_seed_yml(Path("_seeds.yml"), yml)
    assert finding.line == 4
    assert findings_in_seed_yml(Path("_seeds.yml"), yml.replace("varchar", "string")) == []


def test_contract_data_types_must_be_engine_neutral() -> None:
    yml = (
        "models:\n  - name: m\n    columns:\n      - name: code\n        data_type: varchar\n"
        "        description: not a varchar(10)\n      - name: n\n        data_type: hugeint\n"
    )
    assert [f.line for f in findings_in_model_yml(Path("_m.yml"), yml)] == [5, 8]
    portable = yml.replace("data_type: varchar", "data_type: string").replace("hugeint", "bigint")
    assert findings_in_model_yml(Path("_m.yml"), portable) == []
    # A source's data_type is documentation, which dbt never casts.
    assert findings_in_model_yml(Path("_m.yml"), yml.replace("models:", "sources:")) == []


def test_the_project_is_portable() -> None:
    assert [str(f) for f in check()] == []
