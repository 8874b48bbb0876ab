"""A failed dbt test in words a steward can act on (issue 22): its model, its rule and the keys
of its failing rows, read from dbt's run_results.json and manifest.json and from the test's own
query, instead of dagster-dbt's "The dbt CLI process with command ... failed".

The failures are recorded in audit.check_results beside the Great Expectations results (suite
`dbt`), so `ehelse quality` and quality.html show them as any other blocking check. Pure of
Dagster: the dbt asset calls it when the build fails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.feeds.hostile import scrub_text

SUITE = "dbt"
MAX_EXAMPLES = 5


class DbtTestsFailed(Exception):
    """The build stopped on failed dbt tests: the message names each one (one line)."""


@dataclass
class FailedTest:
    name: str  # the test's node name, e.g. unique_stg_kjernejournal__lookups_oppslag_id
    model: str  # the model (or source) the test is attached to
    rule: str  # e.g. unique(oppslag_id)
    failing_rows: int
    compiled_sql: str | None
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def check_name(self) -> str:
        return f"{SUITE}.{self.name}"

    def describe(self) -> str:
        keys = "; ".join(", ".join(f"{k}={v}" for k, v in example.items()) for example in self.examples)
        return f"dbt test {self.name} failed on {self.model}, rule {self.rule}: {self.failing_rows} failing row(s)" + (
            f" [{keys}]" if keys else ""
        )


def failed_tests(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[FailedTest]:
    """The tests of the build that failed (status fail or error; a `warn` test does not block)."""
    nodes = manifest.get("nodes", {})
    failed = []
    for result in run_results.get("results", []):
        unique_id = result.get("unique_id", "")
        if not unique_id.startswith("test.") or result.get("status") not in ("fail", "error"):
            continue
        node = nodes.get(unique_id, {})
        failed.append(
            FailedTest(
                name=node.get("name") or unique_id.split(".")[-1],
                model=_tested_model(node),
                rule=_rule(node),
                failing_rows=int(result.get("failures") or 0),
                compiled_sql=result.get("compiled_code") or node.get("compiled_code"),
            )
        )
    return failed


def _tested_model(node: Mapping[str, Any]) -> str:
    attached = node.get("attached_node") or next(iter(node.get("depends_on", {}).get("nodes", [])), "")
    return attached.split(".")[-1] if attached else "?"


def _rule(node: Mapping[str, Any]) -> str:
    meta = node.get("test_metadata") or {}
    if not meta:
        return node.get("name", "?")  # a singular test: its file name says what it checks
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model" and v is not None}
    column = kwargs.pop("column_name", None) or node.get("column_name")
    args = [str(column)] if column else []
    args += [f"{k}={v}" for k, v in kwargs.items()]
    namespace = f"{meta['namespace']}." if meta.get("namespace") else ""
    return f"{namespace}{meta.get('name', '?')}({', '.join(args)})"


def add_examples(con: duckdb.DuckDBPyConnection, tests: list[FailedTest]) -> None:
    """A few failing rows of each test, from the test's own query on the working database."""
    for test in tests:
        if not test.compiled_sql:
            continue
        try:
            cursor = con.execute(f"select * from ({test.compiled_sql}) as failing limit {MAX_EXAMPLES}")
            columns = [d[0] for d in cursor.description]
            test.examples = [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()]
        except duckdb.Error:
            test.examples = []  # the message still names the test, its model and its rule


def _plain(value: object) -> object:
    # Keys as text, identifiers pseudonymised: an example is stored and printed.
    return value if isinstance(value, (int, float, bool, type(None))) else scrub_text(str(value))


def record(con: duckdb.DuckDBPyConnection, tests: list[FailedTest], run_id: str | None) -> None:
    """The failed tests as rows of audit.check_results (which must exist), for the steward's view."""
    now = datetime.now()
    for test in tests:
        con.execute(
            """
            insert into audit.check_results (run_id, checked_at, suite, check_name, table_name, rule,
                description, severity, passed, failing_rows, examples)
            values (?, ?, ?, ?, ?, ?, ?, 'error', false, ?, ?)
            """,
            [
                run_id,
                now,
                SUITE,
                test.check_name,
                test.model,
                test.rule,
                f"dbt-testen {test.name} på {test.model} feilet",
                test.failing_rows,
                json.dumps(test.examples, ensure_ascii=False, default=str),
            ],
        )


def failure_message(tests: list[FailedTest]) -> str:
    return "; ".join(test.describe() for test in tests)


# dbt's unit tests check the formulas' SQL on fixed inputs written in the project: their verdict
# changes only with the project (or the target that runs it), never with the data. A build of a
# project whose unit tests already passed on this warehouse leaves them out, as dbt advises for
# production; any change to the models, macros, seeds, dbt_project.yml, min_cell_count, the profile
# or the versions of dbt and the engines runs them again (unit_tests_stamp).
SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


# The packages whose upgrade may change what the project's SQL computes.
_ENGINE_PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb", "dbt-spark", "pyspark")


def unit_tests_stamp(target: str, project_fingerprint: str, profiles: Path) -> str:
    """What the unit tests' verdict depends on: the target, the project's files (its fingerprint),
    the profile (the targets' SQL settings: time zone, ANSI mode) and the versions of dbt, the
    adapters and the engines."""
    versions = []
    for package in _ENGINE_PACKAGES:
        try:
            versions.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}==-")
    profile = hashlib.sha256(profiles.read_bytes()).hexdigest()
    return f"{target} {project_fingerprint} {profile} {' '.join(versions)}"


def unit_tests_already_passed(stamp_file: Path, stamp: str) -> bool:
    """Whether the unit tests all passed in an earlier build of this warehouse with the same
    `stamp` (unit_tests_stamp: target, project, profile, versions)."""
    return stamp_file.exists() and stamp_file.read_text(encoding="utf-8") == stamp


def record_unit_tests(
    stamp_file: Path, stamp: str, run_results: Mapping[str, Any], manifest: Mapping[str, Any]
) -> None:
    """Remember `stamp` when the build ran every unit test of the project and each passed (a
    build of a selection from the UI may have run only some)."""
    ran = {r["unique_id"]: r["status"] for r in run_results["results"] if r["unique_id"].startswith("unit_test.")}
    if ran and set(ran) == set(manifest.get("unit_tests", {})) and set(ran.values()) == {"pass"}:
        stamp_file.write_text(stamp, encoding="utf-8")
