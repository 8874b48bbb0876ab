"""The committed Dagster instance (dagster_home/) works with the pinned Dagster, and `ehelse run`
records into it: what an engineer sees when opening the UI after `make demo`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType

from dagster_project.runner import _instance
from dagster_project.settings import DAGSTER_HOME_ENV_VAR, PROJECT_ROOT, WarehousePaths
from dagster_project.writer_slot import WriterTagRunCoordinator

WRITER_TAG = "ehelse/writes-warehouse"


def test_the_committed_instance_loads_with_one_writer_at_a_time(dagster_instance: Path) -> None:
    # dagster_instance: a temp copy of dagster_home/dagster.yaml (loading writes storage beside it).
    instance = dg.DagsterInstance.from_config(str(dagster_instance))
    config = instance.get_concurrency_config()
    # One queued run per warehouse: the tag's value names the warehouse's writer pool.
    writer_limit = {"key": WRITER_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    assert writer_limit in config.run_queue_config.tag_concurrency_limits
    assert config.pool_config.default_pool_limit == 1  # the warehouses' writer pools have no limit of their own
    # Pools counted per run: a queued run waits for the whole run holding its warehouse, and no
    # in-process step spins on a slot (Dagster 1.13's in-process executor would, deaf to signals).
    assert config.pool_config.pool_granularity.value == "run"
    assert instance.event_log_storage.supports_global_concurrency_limits  # so the pool limit is enforced
    # The queue tags the runs of a UI materialization or backfill, which Dagster leaves untagged.
    assert isinstance(instance.run_coordinator, WriterTagRunCoordinator)
    instance.dispose()


def test_the_definitions_validate_against_the_committed_instance(dagster_instance: Path) -> None:
    """`dagster definitions validate` on the workspace `make dev` loads: it loads the instance too."""
    env = {**os.environ, DAGSTER_HOME_ENV_VAR: str(dagster_instance)}
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "All code locations passed validation" in done.stdout + done.stderr
    assert "ehelse_warehouse" in done.stdout + done.stderr  # the location is named after the project


def test_ehelse_run_uses_dagster_home_unless_dagster_home_is_set(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DAGSTER_HOME_ENV_VAR)
    from dagster_project.settings import DAGSTER_HOME_DIR, Settings

    assert Settings.from_env().dagster_home == DAGSTER_HOME_DIR
    monkeypatch.setenv(DAGSTER_HOME_ENV_VAR, str(tmp_path / "elsewhere"))
    instance = _instance(Settings.from_env())
    assert Path(instance.root_directory) == tmp_path / "elsewhere"
    instance.dispose()


def test_a_run_leaves_its_runs_materializations_and_checks_in_the_instance(gate_templates) -> None:
    """The gate template was published by `run_pipeline` with DAGSTER_HOME = <root>/dagster_home."""
    home = gate_templates[1].parent / "dagster_home"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        jobs = {run.job_name for run in runs}
        assert {"ingest_monthly_feeds", "transform_and_publish"} <= jobs
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        # Every run writes the warehouse: each carries the tag naming the warehouse's writer pool,
        # and holds that pool (the runs of `ehelse run` and of the UI alike).
        pool = WarehousePaths(gate_templates[1]).writer_pool
        assert all(run.tags.get(WRITER_TAG) == pool for run in runs)
        assert all(pool in run.run_op_concurrency.all_pools for run in runs)

        for key in (["published"], ["marts", "measure_status"], ["raw", "helsenorge_usage"]):
            assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None, key

        evaluations = [
            event.dagster_event.event_specific_data
            for run in runs
            for event in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        ]
        names = {e.check_name for e in evaluations}
        # The three layers of the gate: ingestion rules, dbt tests, Great Expectations suites.
        assert any(name.startswith("gx_") for name in names), names
        assert any(name.startswith(("unique_", "not_null_")) for name in names), names
        assert any("ledger" in name for name in names), names
