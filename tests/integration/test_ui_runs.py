"""A run launched as the UI launches it (the jobs and the implicit asset job materialized
through the instance, no `ehelse run`) leaves the instance as `ehelse run` does (issue 24):
the writer tag naming the warehouse's pool on every job's run, the pool held by every run,
and the raw zone swept after the publication. `ehelse run`'s side: test_dagster_instance.py
(the gate template's runs)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.defs import build_defs
from dagster_project.defs.pipeline.jobs import WRITER_TAG_KEY
from dagster_project.defs.publication.sweep import SWEEP_KEY
from dagster_project.settings import Settings
from dagster_project.warehouse import ledger


def _restate_usage(inbox: Path) -> None:
    """A changed version of an already loaded file (2022-06): the old version becomes superseded."""
    path = inbox / "helsenorge" / "helsenorge_bruk_2022-06.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[3] = str(int(fields[3]) + 7)
    lines[1] = ";".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def test_runs_launched_as_the_ui_does_hold_the_pool_carry_the_tag_and_sweep(
    published_env, monkeypatch, dagster_instance: Path
) -> None:
    inbox, warehouse = published_env
    monkeypatch.setenv("EHELSE_RAW_RETENTION_DAYS", "0")
    settings = Settings.from_env()
    pool = settings.paths.writer_pool
    _restate_usage(inbox)
    versions_before = sorted(settings.paths.raw_zone.root.rglob("helsenorge_usage/period=2022-06/*/*.parquet"))
    defs = build_defs(settings)
    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        # A backfill of one month from the UI: the implicit asset job (`__ASSET_JOB`).
        usage = dg.AssetKey(["raw", "helsenorge_usage"])
        backfill = defs.resolve_implicit_job_def_def_for_assets([usage]).execute_in_process(
            instance=instance, asset_selection=[usage], partition_key="2022-06"
        )
        assert backfill.success
        # The publication job, as a schedule or the launchpad starts it.
        publication = defs.resolve_job_def("transform_and_publish").execute_in_process(instance=instance)
        assert publication.success
        runs = {run.run_id: run for run in instance.get_runs()}

    # Every run held the warehouse's pool, whatever launched it; the jobs' runs carry the tag.
    assert all(pool in (run.run_op_concurrency.all_pools or ()) for run in runs.values())
    assert runs[publication.run_id].tags[WRITER_TAG_KEY] == pool
    # The raw zone was swept after the publication: the superseded version is gone, its ledger entry stays.
    swept = [e for e in publication.get_asset_materialization_events() if e.asset_key == SWEEP_KEY]
    assert swept and swept[0].materialization.metadata["files_removed"].value >= 1
    versions_after = sorted(settings.paths.raw_zone.root.rglob("helsenorge_usage/period=2022-06/*/*.parquet"))
    # One version added by the backfill, the one it superseded removed by the sweep.
    assert len(versions_after) == len(versions_before) and versions_after != versions_before
    assert "helsenorge_bruk_2022-06.csv" in ledger.state_of(settings.paths.raw_zone, "helsenorge_usage").latest_sha
