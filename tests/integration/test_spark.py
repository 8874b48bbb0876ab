"""The same dbt project on Spark (issue 13, docs/scale-out.md), session mode: with EHELSE_ENGINE=spark
and no EHELSE_SPARK_URL, dbt-spark runs Spark in dbt's own process (local mode). A smoke test
here; the equality of every published table with DuckDB's runs on the cluster path
(test_spark_cluster.py, issue 25), whose helpers are these. Needs Java and the spark extra
(`make test` installs both); skipped when either is missing, unless EHELSE_REQUIRE_SPARK=1 (CI)
makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import WarehousePaths, missing_for_engine
from dagster_project.warehouse.spark_outputs import spark_tables

NEEDS_SPARK = pytest.mark.skipif(
    bool(missing_for_engine("spark")) and os.environ.get("EHELSE_REQUIRE_SPARK") != "1",
    reason="Java or the spark extra is missing (`make test` installs both; CI sets EHELSE_REQUIRE_SPARK=1)",
)
_FRACTIONAL = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe {relation}").fetchall()]


def _comparable(name: str, types: tuple[str, str]) -> str:
    """A column as a value both engines agree on: fractional numbers rounded (the engines
    may add in another order), everything else as text."""
    if any(t.startswith(_FRACTIONAL) for t in types):
        return f'round(cast("{name}" as double), 6) as "{name}"'
    return f'cast("{name}" as varchar) as "{name}"'


def mart_differences(con: duckdb.DuckDBPyConnection, table: str) -> tuple[list[str], list[tuple], list[tuple]]:
    """(column differences, rows only DuckDB published, rows only Spark published)."""
    duck, spark = _columns(con, f"duck.marts.{table}"), _columns(con, f"spark.marts.{table}")
    # Names, order and types: the marts' enforced contracts fix the types on both engines.
    if duck != spark:
        return [f"columns: {duck} vs {spark}"], [], []
    select = ", ".join(_comparable(n, (a, b)) for (n, a), (_, b) in zip(duck, spark, strict=True))
    only = [
        con.execute(
            f"select {select} from {a}.marts.{table} except all select {select} from {b}.marts.{table}"
        ).fetchall()
        for a, b in (("duck", "spark"), ("spark", "duck"))
    ]
    return [], only[0], only[1]


@NEEDS_SPARK
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_session_mode_builds_a_seed_and_a_staging_model_from_the_raw_zone(published_env) -> None:
    """Session mode (Spark in dbt's process, no EHELSE_SPARK_URL) kept as a smoke test: the raw
    zone registered by path (macros/register_raw_zone.sql), a seed and the staging models of a
    feed with their tests built and written as Parquet, with the rows DuckDB's build has. The whole project on
    Spark, equal to DuckDB's, is tests/integration/test_spark_cluster.py (the cluster path)."""
    _, warehouse = published_env
    paths = WarehousePaths(warehouse)
    env = {**os.environ, "EHELSE_ENGINE": "spark"}
    env.pop("EHELSE_SPARK_URL", None)
    # The model, what it reads (the ledger's loads) and the seed its relationships test reads;
    # cautious: no test of a model not built.
    selected = ["municipality_code_map", "+stg_pll__municipality_months"]
    ehelse = Path(sys.executable).parent / "ehelse"
    command = [str(ehelse), "dbt", "build", "--indirect-selection", "cautious", "--select", *selected]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    tables = spark_tables(paths)
    assert {("staging", "stg_pll__municipality_months")} <= set(tables)
    con = duckdb.connect(str(paths.working_db), read_only=True)
    try:
        (duckdb_rows,) = con.execute("select count(*) from staging.stg_pll__municipality_months").fetchone()
        folder = tables[("staging", "stg_pll__municipality_months")]
        (spark_rows,) = con.execute(f"select count(*) from read_parquet('{folder}/**/*.parquet')").fetchone()
    finally:
        con.close()
    assert spark_rows == duckdb_rows > 0
