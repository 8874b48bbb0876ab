"""The cluster path's pure parts (issue 25): which dbt target a run uses, what dbt is told, the
SQL settings each Spark target gives a session, the fault message when the SQL server is down,
and that `down` signals only the processes that are still the cluster's. No JVM here: the
cluster itself runs in tests/integration/test_spark_cluster.py."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dagster_project.settings import DBT_PROJECT_DIR, SPARK_THRIFT_TARGET, Settings
from dagster_project.warehouse import spark_cluster
from dagster_project.warehouse.faults import ResourceFailure


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"EHELSE_WAREHOUSE_DIR": str(tmp_path), "EHELSE_INBOX": str(tmp_path), **env})


def test_engine_spark_builds_on_the_cluster_only_when_a_url_is_set(tmp_path: Path) -> None:
    assert _settings(tmp_path).dbt_target == "duckdb"
    assert _settings(tmp_path, EHELSE_ENGINE="spark").dbt_target == "spark"
    url = "thrift://127.0.0.1:10001"
    assert _settings(tmp_path, EHELSE_ENGINE="spark", EHELSE_SPARK_URL=url).dbt_target == SPARK_THRIFT_TARGET
    # A URL left in the environment does not move a DuckDB build anywhere.
    assert _settings(tmp_path, EHELSE_SPARK_URL=url).dbt_target == "duckdb"


def test_dbt_is_told_the_sql_server_by_vars_and_nothing_without_a_url(tmp_path: Path) -> None:
    cluster = _settings(tmp_path, EHELSE_ENGINE="spark", EHELSE_SPARK_URL="thrift://10.1.2.3:10000").dbt_vars()
    assert (cluster["spark_host"], cluster["spark_port"]) == ("10.1.2.3", 10000)
    assert "spark_host" not in _settings(tmp_path, EHELSE_ENGINE="spark").dbt_vars()


@pytest.mark.parametrize("url", ["127.0.0.1:10000", "thrift://127.0.0.1", "sc://127.0.0.1:15002", "thrift://:10000"])
def test_a_malformed_url_is_refused_naming_the_variable(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="EHELSE_SPARK_URL"):
        _settings(tmp_path, EHELSE_ENGINE="spark", EHELSE_SPARK_URL=url)


def test_the_thrift_target_gives_a_session_the_sql_settings_of_the_session_target() -> None:
    """The Thrift server applies to a session only the keys prefixed set:hiveconf:; every spark.sql
    setting of the session target must reach a cluster session too, or the engines differ."""
    outputs = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["ehelse"]["outputs"]
    session = {k: str(v) for k, v in outputs["spark"]["server_side_parameters"].items() if k.startswith("spark.sql.")}
    del session["spark.sql.warehouse.dir"]  # static: the cluster's own (scripts/spark_cluster.py starts it so)
    thrift = {
        k.removeprefix("set:hiveconf:"): str(v)
        for k, v in outputs[SPARK_THRIFT_TARGET]["server_side_parameters"].items()
    }
    assert all(key.startswith("set:hiveconf:") for key in outputs[SPARK_THRIFT_TARGET]["server_side_parameters"])
    # dbt-spark sets ANSI off itself in session mode; on the Thrift server it must be asked for.
    assert thrift == {**session, "spark.sql.ansi.enabled": "false"}


def test_a_sql_server_that_is_down_is_named_with_what_to_do(tmp_path: Path) -> None:
    (port,) = spark_cluster.free_ports(1)  # nothing listens there
    with pytest.raises(spark_cluster.SqlServerUnreachable) as raised:
        spark_cluster.check_sql_server(f"thrift://127.0.0.1:{port}", tmp_path, timeout=1)
    message = str(raised.value)
    assert f"EHELSE_SPARK_URL=thrift://127.0.0.1:{port}" in message and "make spark-cluster" in message
    assert isinstance(raised.value, ResourceFailure)  # the runner's "run stopped, nothing published by it"


def test_free_ports_are_distinct_loopback_ports() -> None:
    ports = spark_cluster.free_ports(5)
    assert len(set(ports)) == 5 and all(1024 <= p < 65536 for p in ports)


def test_down_signals_only_processes_that_still_carry_the_clusters_marker(tmp_path: Path) -> None:
    """A recorded pid now used by another process (here: one without the marker) is left alone."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        directory = spark_cluster.cluster_dir(tmp_path)
        directory.mkdir()
        spark_cluster.state_file(tmp_path).write_text(
            json.dumps({"url": "thrift://127.0.0.1:1", "pids": {"sql": stranger.pid}, "warehouse_dir": str(tmp_path)})
        )
        assert spark_cluster.stop_cluster(tmp_path) == []
        assert stranger.poll() is None  # still running
        assert not spark_cluster.state_file(tmp_path).exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_down_stops_every_recorded_process_of_the_cluster_whatever_its_role(tmp_path: Path) -> None:
    """A cluster.json written by an earlier layout (a role `worker`, not `worker-1`) is stopped whole."""
    directory = spark_cluster.cluster_dir(tmp_path)
    directory.mkdir()
    marker = f"-D{spark_cluster.MARKER_PROPERTY}={directory}"
    ours = {
        role: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
        for role in ("master", "worker", "sql")
    }
    try:
        pids = {role: p.pid for role, p in ours.items()}
        # /proc/<pid>/cmdline is empty until the child's exec completes: wait, as a real
        # cluster's JVMs have long been running when `down` is asked.
        deadline = time.monotonic() + 10
        while not all(marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids.values()):
            assert time.monotonic() < deadline, "the stand-in processes did not start"
            time.sleep(0.05)
        spark_cluster.state_file(tmp_path).write_text(
            json.dumps({"url": "thrift://127.0.0.1:1", "pids": pids, "warehouse_dir": str(tmp_path)})
        )
        assert sorted(spark_cluster.stop_cluster(tmp_path)) == sorted(pids.values())
        assert all(p.wait(timeout=10) is not None for p in ours.values())
    finally:
        for p in ours.values():
            p.kill()
            p.wait()


def test_a_cluster_statement_still_running_is_polled_every_second() -> None:
    """dbt-spark's thrift method sleeps `poll_interval` seconds between polls of a running
    statement (5 by default): a one-second statement would cost five. Read as dbt-spark reads it."""
    from dbt.adapters.spark.connections import SparkCredentials

    target = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["ehelse"]["outputs"][SPARK_THRIFT_TARGET]
    rendered = {**target, "host": "127.0.0.1", "port": 10000}  # the two fields the run's --vars fill in
    rendered.pop("type"), rendered.pop("threads")
    credentials = SparkCredentials.from_dict(SparkCredentials.translate_aliases(rendered))
    assert credentials.method == "thrift"
    assert credentials.poll_interval == 1
