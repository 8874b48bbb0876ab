"""The Spark path as a cluster runs it (issue 25): the suite's main Spark test.

One session fixture starts a local cluster with the code of `make spark-cluster` (a standalone
master, two workers and the Thrift SQL server, every port free on loopback) for a fresh
warehouse, publishes the gate fixture's inbox through it (EHELSE_ENGINE=spark with
EHELSE_SPARK_URL: dbt-spark's thrift method) and stops the cluster at teardown. Every published
table must equal, row for row and type for type, the DuckDB build's publication of the same
inbox (the session fixture gate_templates). That build loses a worker on the way (the fault).
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.publication.publish import PUBLISHED_TABLES
from dagster_project.runner import RunOutcome, run_pipeline
from dagster_project.settings import (
    DAGSTER_HOME_ENV_VAR,
    INBOX_ENV_VAR,
    WAREHOUSE_ENV_VAR,
    Settings,
    WarehousePaths,
)
from dagster_project.warehouse import spark_cluster
from dagster_project.warehouse.spark_outputs import spark_tables
from tests.conftest import instance_copy
from tests.integration.test_spark import NEEDS_SPARK, mart_differences


@dataclass(frozen=True)
class ClusterRun:
    cluster: spark_cluster.RunningCluster
    root: Path  # inbox, warehouse and dagster_home of the cluster's runs
    as_of: str
    outcome: RunOutcome
    first_publication: Path  # a copy of what the cluster's build published
    duckdb_publication: Path  # gate_templates' publication of the same inbox
    killed_worker: int | None = None  # the worker JVM killed while the first build ran
    first_attempt: RunOutcome | None = None  # that build's outcome (a rerun follows if it failed)
    published_after_failure: bool = False  # whether the failed attempt left a publication behind

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(self.root / "warehouse")

    def run(self) -> RunOutcome:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(INBOX_ENV_VAR, str(self.root / "inbox"))
            patch.setenv(WAREHOUSE_ENV_VAR, str(self.paths.root))
            patch.setenv(DAGSTER_HOME_ENV_VAR, str(self.root / "dagster_home"))
            patch.delenv("EHELSE_ACCEPTANCES", raising=False)
            return run_pipeline(Settings.from_env(engine="spark", spark_url=self.cluster.url, as_of_date=self.as_of))


@pytest.fixture(scope="session")
def spark_cluster_run(gate_templates: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    """The cluster, and the gate fixture's inbox published through it on a fresh warehouse, with
    one worker killed (SIGKILL) while dbt builds: one build proves both the equality and the
    lost worker (a second full build on the cluster would double the suite's Spark time)."""
    inbox, duckdb_warehouse = gate_templates
    root = tmp_path_factory.mktemp("spark_cluster")
    shutil.copytree(inbox, root / "inbox")
    instance_copy(root / "dagster_home")
    duckdb_publication = WarehousePaths(duckdb_warehouse).published_db
    with duckdb.connect(str(duckdb_publication), read_only=True) as con:
        (as_of,) = con.execute("select max(as_of_date) from marts.measure_status").fetchone()
    started = time.monotonic()
    cluster = spark_cluster.start_cluster(root / "warehouse")
    print(f"\nSpark cluster up in {time.monotonic() - started:.0f} s at {cluster.url}")
    try:
        run = ClusterRun(cluster, root, as_of.isoformat(), None, root / "first.duckdb", duckdb_publication)  # type: ignore[arg-type]
        started = time.monotonic()
        worker = cluster.pids["worker-1"]
        outcomes: list[RunOutcome] = []
        thread = threading.Thread(target=lambda: outcomes.append(run.run()))
        thread.start()
        killed_at = _kill_when_the_build_writes(run.paths.spark_dir / "warehouse", time.time(), worker, thread)
        thread.join()
        (first,) = outcomes
        published_after_failure = not first.published and run.paths.published_db.exists()
        outcome = first if first.published else run.run()
        print(f"published through the cluster in {time.monotonic() - started:.0f} s")
        if outcome.published:
            shutil.copy2(run.paths.published_db, run.first_publication)
        yield ClusterRun(
            cluster,
            root,
            run.as_of,
            outcome,
            run.first_publication,
            duckdb_publication,
            worker if killed_at is not None else None,
            first,
            published_after_failure,
        )
    finally:
        spark_cluster.stop_cluster(root / "warehouse")


def assert_marts_equal(duckdb_publication: Path, spark_publication: Path) -> None:
    con = duckdb.connect()
    con.execute(f"attach '{duckdb_publication}' as duck (read_only)")
    con.execute(f"attach '{spark_publication}' as spark (read_only)")
    try:
        for table in PUBLISHED_TABLES:
            columns, only_duckdb, only_spark = mart_differences(con, table)
            assert not columns, f"{table}: {columns}"
            assert (only_duckdb, only_spark) == ([], []), (
                f"{table}: {len(only_duckdb)} row(s) only in DuckDB's build, e.g. {only_duckdb[:3]}; "
                f"{len(only_spark)} only in the cluster's, e.g. {only_spark[:3]}"
            )
        n_rows = con.execute("select count(*) from spark.marts.fct_measure_value").fetchone()[0]
        n_checks = con.execute("select count(*) from spark.marts.publication_checks").fetchone()[0]
    finally:
        con.close()
    assert n_rows > 1000  # a comparison of empty marts would prove nothing
    assert n_checks > 0  # the Great Expectations suites ran on the cluster build's marts


@pytest.mark.slow(seconds=600)
@NEEDS_SPARK
@pytest.mark.xdist_group("spark")
def test_the_cluster_publishes_every_table_equal_to_the_duckdb_build(spark_cluster_run: ClusterRun) -> None:
    run = spark_cluster_run
    assert run.outcome.ok and run.outcome.published, run.outcome.message
    # The marts came from the cluster's Parquet files under this warehouse, on a fresh warehouse
    # (no DuckDB build ever wrote a table here that the gate could have read instead).
    assert {("marts", t) for t in PUBLISHED_TABLES} <= set(spark_tables(run.paths))
    assert (run.cluster.directory / "metastore_db").is_dir()  # the cluster's metastore, not session mode's
    assert not (run.paths.spark_dir / "metastore_db").exists()
    assert_marts_equal(run.duckdb_publication, run.first_publication)


@NEEDS_SPARK
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_a_worker_killed_during_the_build_loses_nothing(spark_cluster_run: ClusterRun) -> None:
    """The fixture's build lost a worker JVM (SIGKILL) while dbt built: Spark ran the lost tasks
    again on the other worker and the run published, or the run failed, published nothing, and a
    rerun published. Either way the publication equals DuckDB's (the equality test)."""
    run = spark_cluster_run
    assert run.killed_worker is not None, "the build wrote no table: the worker was never killed"
    assert run.killed_worker not in spark_cluster.alive(run.cluster).values()
    assert run.first_attempt is not None
    if not run.first_attempt.published:
        assert not run.published_after_failure, "a failed run left a publication behind"
    assert run.outcome.ok and run.outcome.published, run.outcome.message
    assert_marts_equal(run.duckdb_publication, run.first_publication)


def _kill_when_the_build_writes(tables: Path, since: float, pid: int, run: threading.Thread) -> float | None:
    """SIGKILL `pid` as soon as a table folder under `tables` is written after `since` (dbt is
    building on the cluster); None if the run ended first."""
    while run.is_alive():
        if any(folder.stat().st_mtime > since for folder in tables.glob("*.db/*")):
            os.kill(pid, signal.SIGKILL)
            return time.time()
        time.sleep(0.5)
    return None


def test_a_sql_server_that_is_down_stops_the_run_before_it_loads(published_env, tmp_path: Path) -> None:
    """EHELSE_SPARK_URL names a port where nothing answers: the run says so and what to do, and
    stops before ingestion and dbt (no JVM needed: asked before anything starts)."""
    inbox, warehouse = published_env
    paths = WarehousePaths(warehouse)
    published = paths.published_db.read_bytes()
    ledger = sorted(p.name for p in paths.raw_zone.root.rglob("*"))
    # A new month in the inbox: without the check, ingestion would load it.
    for name in list((inbox / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"))[:1]:
        shutil.copy2(name, name.with_name(name.name.replace("2022-", "2023-")))
    (port,) = spark_cluster.free_ports(1)
    url = f"thrift://127.0.0.1:{port}"

    outcome = run_pipeline(Settings.from_env(engine="spark", spark_url=url))

    assert not outcome.ok and not outcome.published
    assert f"EHELSE_SPARK_URL={url}" in outcome.message and "make spark-cluster" in outcome.message
    assert paths.published_db.read_bytes() == published
    assert sorted(p.name for p in paths.raw_zone.root.rglob("*")) == ledger  # nothing was loaded
