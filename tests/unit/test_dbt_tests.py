"""A failed dbt test named with its model, rule and failing keys (issue 22), from dbt's artifacts
as dbt 1.11 writes them and the test's compiled query run on a real DuckDB file."""

from __future__ import annotations

import json

import duckdb

from dagster_project.gate import dbt_tests
from dagster_project.warehouse.working_db import AUDIT_DDL

UNIQUE_ID = "test.ehelse.unique_stg_kjernejournal__lookups_lookup_id.abc123"
COMPILED = """
select lookup_id as unique_field, count(*) as n_records
from "wh"."main"."stg_kjernejournal__lookups"
where lookup_id is not null
group by lookup_id
having count(*) > 1
"""
RUN_RESULTS = {
    "results": [
        {"unique_id": "model.ehelse.stg_kjernejournal__lookups", "status": "success", "failures": None},
        {
            "unique_id": UNIQUE_ID,
            "status": "fail",
            "failures": 1,
            "message": "Got 1 result, configured to fail if != 0",
            "compiled_code": COMPILED,
        },
        {"unique_id": "test.ehelse.not_null_x.def", "status": "warn", "failures": 3, "compiled_code": "select 1"},
    ]
}
MANIFEST = {
    "nodes": {
        UNIQUE_ID: {
            "name": "unique_stg_kjernejournal__lookups_lookup_id",
            "attached_node": "model.ehelse.stg_kjernejournal__lookups",
            "column_name": "lookup_id",
            "test_metadata": {
                "name": "unique",
                "kwargs": {"column_name": "lookup_id", "model": "{{ get_where_subquery(ref('x')) }}"},
                "namespace": None,
            },
        }
    }
}
REPEATED = "5f0c3a1e-1234-4abc-8def-000000000001"


def test_a_failed_test_is_named_with_model_rule_and_failing_keys(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute("create table stg_kjernejournal__lookups (lookup_id varchar)")
    con.execute("insert into stg_kjernejournal__lookups values (?), (?), ('other')", [REPEATED, REPEATED])

    tests = dbt_tests.failed_tests(RUN_RESULTS, MANIFEST)
    dbt_tests.add_examples(con, tests)
    message = dbt_tests.failure_message(tests)

    assert [t.name for t in tests] == ["unique_stg_kjernejournal__lookups_lookup_id"]  # a warn test does not block
    assert "stg_kjernejournal__lookups" in message and "unique(lookup_id)" in message
    assert f"unique_field={REPEATED}" in message and "n_records=2" in message
    assert "\n" not in message  # the runner shows the first line of the step's error

    con.execute(AUDIT_DDL)
    dbt_tests.record(con, tests, "run-1")
    [(check, table, rule, severity, passed, failing, examples)] = con.execute(
        "select check_name, table_name, rule, severity, passed, failing_rows, examples from audit.check_results"
    ).fetchall()
    assert (check, table, rule, severity, passed, failing) == (
        "dbt.unique_stg_kjernejournal__lookups_lookup_id",
        "stg_kjernejournal__lookups",
        "unique(lookup_id)",
        "error",
        False,
        1,
    )
    assert json.loads(examples) == [{"unique_field": REPEATED, "n_records": 2}]
    con.close()


def test_a_test_whose_query_cannot_run_is_still_named(tmp_path):
    con = duckdb.connect()
    tests = dbt_tests.failed_tests(RUN_RESULTS, MANIFEST)
    dbt_tests.add_examples(con, tests)
    assert tests[0].examples == []
    message = dbt_tests.failure_message(tests)
    assert message.startswith("dbt test unique_stg_kjernejournal__lookups_lookup_id failed on stg_kjernejournal")
    assert "rule unique(lookup_id)" in message


UNIT_TESTS = ("unit_test.ehelse.fct_measure_value.ratio", "unit_test.ehelse.measure_status.direction")


def _unit_results(*statuses: str) -> dict:
    return {
        "results": [{"unique_id": "model.ehelse.fct_measure_value", "status": "success"}]
        + [{"unique_id": uid, "status": status} for uid, status in zip(UNIT_TESTS, statuses, strict=False)]
    }


def test_unit_tests_are_left_out_only_after_all_of_the_same_project_passed(tmp_path) -> None:
    stamp_file, manifest = tmp_path / "passed", {"unit_tests": dict.fromkeys(UNIT_TESTS, {})}
    assert not dbt_tests.unit_tests_already_passed(stamp_file, "duckdb abc")  # never run here
    dbt_tests.record_unit_tests(stamp_file, "duckdb abc", _unit_results("pass"), manifest)  # one of two ran
    assert not dbt_tests.unit_tests_already_passed(stamp_file, "duckdb abc")
    dbt_tests.record_unit_tests(stamp_file, "duckdb abc", _unit_results("pass", "fail"), manifest)
    assert not dbt_tests.unit_tests_already_passed(stamp_file, "duckdb abc")
    dbt_tests.record_unit_tests(stamp_file, "duckdb abc", _unit_results("pass", "pass"), manifest)
    assert dbt_tests.unit_tests_already_passed(stamp_file, "duckdb abc")
    assert not dbt_tests.unit_tests_already_passed(stamp_file, "duckdb abd")  # another project
    assert not dbt_tests.unit_tests_already_passed(stamp_file, "spark abc")  # another engine
    # A build without them (they had passed) leaves the record as it was.
    dbt_tests.record_unit_tests(stamp_file, "duckdb abc", _unit_results(), manifest)
    assert dbt_tests.unit_tests_already_passed(stamp_file, "duckdb abc")


def test_a_changed_unit_test_profile_or_min_cell_count_changes_the_stamp(tmp_path) -> None:
    import shutil

    from dagster_project.settings import DBT_PROJECT_DIR
    from dagster_project.warehouse.known_status import project_fingerprint

    project = tmp_path / "dbt_project"
    project.mkdir()
    for name in ("dbt_project.yml", "models", "macros", "seeds"):
        source = DBT_PROJECT_DIR / name
        (shutil.copy2 if source.is_file() else shutil.copytree)(source, project / name)
    before = project_fingerprint(project, {"min_cell_count": 5})
    unit_tests = next((project / "models").rglob("*unit_tests.yml"))
    unit_tests.write_text(unit_tests.read_text() + "\n# a changed expectation\n")
    changed = project_fingerprint(project, {"min_cell_count": 5})
    assert changed != before
    assert project_fingerprint(project, {"min_cell_count": 3}) != changed
    profiles = tmp_path / "profiles.yml"
    shutil.copy2(DBT_PROJECT_DIR / "profiles.yml", profiles)
    stamp = dbt_tests.unit_tests_stamp("duckdb", changed, profiles)
    assert stamp == dbt_tests.unit_tests_stamp("duckdb", changed, profiles)  # the same inputs, the same stamp
    assert "dbt-core==1.11." in stamp and "duckdb==1." in stamp  # the versions that compute the SQL
    profiles.write_text(
        profiles.read_text().replace("spark.sql.session.timeZone: UTC", "spark.sql.session.timeZone: CET")
    )
    assert dbt_tests.unit_tests_stamp("duckdb", changed, profiles) != stamp
    assert dbt_tests.unit_tests_stamp("spark", changed, profiles) != dbt_tests.unit_tests_stamp(
        "duckdb", changed, profiles
    )
