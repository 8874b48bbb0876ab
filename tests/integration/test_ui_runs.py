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
from dagster_project.gate import quality
from dagster_project.settings import PROJECT_ROOT, Settings
from dagster_project.warehouse import ledger
from tests.integration.fault_checks import restate_usage


def test_runs_launched_as_the_ui_does_hold_the_pool_carry_the_tag_and_sweep(
    published_env, monkeypatch, dagster_instance: Path
) -> None:
    inbox, warehouse = published_env
    monkeypatch.setenv("EHELSE_RAW_RETENTION_DAYS", "0")
    settings = Settings.from_env()
    pool = settings.paths.writer_pool
    restate_usage(inbox)
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


def test_a_ui_backfill_the_gate_refuses_leaves_fresh_data_docs(published_env, dagster_instance: Path) -> None:
    """The steward reads the Data Docs most after a refusal: a backfill from the UI whose blocking
    check fails renders them as `ehelse run` does (the check that validates renders its page and
    the index), with nothing run after the job."""
    inbox, warehouse = published_env
    settings = Settings.from_env()
    usage_csv = inbox / "helsenorge" / "helsenorge_bruk_2022-06.csv"
    lines = usage_csv.read_text(encoding="utf-8").splitlines()
    collapsed = [lines[0]]
    for line in lines[1:]:  # a 90 % collapse of visits and users: the volume check blocks it
        fields = line.split(";")
        fields[3], fields[4] = str(int(fields[3]) // 10), str(int(fields[4]) // 10)
        collapsed.append(";".join(fields))
    usage_csv.write_text("\r\n".join(collapsed) + "\r\n", encoding="utf-8")
    index = quality.data_docs_index(settings.paths.root)
    index.unlink()  # rendered by the gate template's run: this run must render it again
    usage = dg.AssetKey(["raw", "helsenorge_usage"])
    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        backfill = (
            build_defs(settings)
            .resolve_implicit_job_def_def_for_assets([usage])
            .execute_in_process(
                instance=instance, asset_selection=[usage], partition_key="2022-06", raise_on_error=False
            )
        )
    refused = [e for e in backfill.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert not backfill.success and any(not e.event_specific_data.passed for e in refused)
    validations = settings.paths.root / "gx" / "uncommitted" / "validations"
    assert index.exists() and index.stat().st_mtime >= max(f.stat().st_mtime for f in validations.rglob("*.json"))
    # One validation and one page per suite: the older ones are gone from the store and the site.
    [usage_page] = (index.parent / "validations" / "raw__helsenorge_usage").rglob("*.html")
    assert "Failed" in usage_page.read_text()
    assert len(list((validations / "raw__helsenorge_usage").rglob("*.json"))) == 1
    assert "raw__helsenorge_usage" in index.read_text()


def test_the_run_queue_tags_a_ui_materialization_with_its_warehouse(tmp_path: Path, monkeypatch, dagster_instance):
    """The implicit asset job (a materialization or backfill from the UI) has no run tags in
    Dagster 1.13: the instance's run queue (dagster.yaml) gives its runs the writer tag from the
    pool their steps use, so the queue's one-run-per-warehouse limit holds them too."""
    from dagster_graphql.test.utils import define_out_of_process_context, materialize_assets

    monkeypatch.setenv("EHELSE_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("EHELSE_INBOX", str(tmp_path / "inbox"))
    pool = Settings.from_env().paths.writer_pool
    usage = dg.AssetKey(["raw", "helsenorge_usage"])
    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        # "Materialize" on one partition in the UI of `make dev`: the webserver's GraphQL mutation
        # on the code location of workspace.yaml (a code server in a subprocess, as in `make dev`).
        with define_out_of_process_context(str(PROJECT_ROOT / "workspace.yaml"), None, instance) as ui:
            [launched] = materialize_assets(ui, [usage], partition_keys=["2022-06"], location_name="ehelse_warehouse")
        run_id = launched.data["launchPipelineExecution"]["run"]["runId"]
        run = instance.get_run_by_id(run_id)
    assert run.job_name == "__ASSET_JOB" and run.status == dg.DagsterRunStatus.QUEUED  # no daemon here
    assert run.tags[WRITER_TAG_KEY] == pool and run.tags["dagster/partition"] == "2022-06"
    assert pool in run.run_op_concurrency.all_pools
