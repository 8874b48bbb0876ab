"""Snapshot feeds are partitioned by the dates their files carry (issue 24): N snapshot files of
a feed are N partitions of its asset, materialized by `ehelse run`'s loading step and by a
backfill from the UI alike, never the days between them. A real instance (the test's
DAGSTER_HOME), real ingestion runs of a small inbox; no dbt build, no publication."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs import build_defs
from dagster_project.defs.pipeline.jobs import WRITER_TAG_KEY
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.registry import feeds
from dagster_project.resources import WarehouseResource
from dagster_project.runner import load_partitioned_feeds, partition_ranges
from dagster_project.settings import Settings
from dagster_project.warehouse import ledger
from dagster_project.warehouse.ingest import pending_files

ADOPTION = dg.AssetKey(["raw", "kj_adoption"])
PARTITIONS = "raw_kj_adoption"
JOB = "ingest_kj_adoption_snapshots"
DATES = ["2024-01-31", "2024-04-30", "2024-09-15"]  # months apart: 229 days from first to last


def _snapshot(inbox: Path, day: str) -> None:
    path = inbox / "kjernejournal" / f"kj_innforing_{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"kommunenummer;innfort_dato\n0301;2023-05-02\n4601;{day}\n", encoding="utf-8")


def _settings(tmp_path: Path, dates: list[str]) -> Settings:
    inbox = tmp_path / "inbox"
    for day in dates:
        _snapshot(inbox, day)
    return Settings.from_env({}, inbox=inbox, warehouse_dir=tmp_path / "warehouse")


def _load_as_ehelse_run_does(settings: Settings, defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    scan = scan_inbox(settings.inbox, settings.partitions_start)
    paths = settings.paths
    pending = pending_files(paths.raw_zone, scan.files, scan.unmatched, settings.inbox, paths.inbox_hashes)
    failed, warnings = load_partitioned_feeds(settings, defs, instance, feeds(), scan.files, pending, {})
    assert failed is None and warnings == []


def _runs_of_the_job(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(job_name=JOB)))


def test_partition_ranges_cover_exactly_the_wanted_keys_in_the_definitions_order() -> None:
    keys = ["2024-03-01", "2024-06-01", "2024-09-01", "2024-01-01", "2024-12-01"]  # in the order added
    assert partition_ranges(keys, {"2024-06-01", "2024-09-01", "2024-01-01"}) == [("2024-06-01", "2024-01-01")]
    assert partition_ranges(keys, {"2024-03-01", "2024-01-01"}) == [("2024-03-01", "2024-03-01"), ("2024-01-01",) * 2]
    assert partition_ranges(keys, set()) == []


def test_ehelse_runs_loading_makes_one_partition_per_snapshot_file(tmp_path: Path, dagster_instance: Path) -> None:
    settings = _settings(tmp_path, DATES)
    defs = build_defs(settings)
    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        _load_as_ehelse_run_does(settings, defs, instance)
        assert list(instance.get_dynamic_partitions(PARTITIONS)) == DATES
        assert instance.get_materialized_partitions(ADOPTION) == set(DATES)  # not the 229 days between
        [run] = _runs_of_the_job(instance)
        assert run.tags[WRITER_TAG_KEY] == settings.paths.writer_pool
        assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
            DATES[0],
            DATES[-1],
        )

        # A late file dated before the others: its date is a partition of its own, and only it is loaded.
        _snapshot(settings.inbox, "2024-02-29")
        _load_as_ehelse_run_does(settings, defs, instance)
        assert instance.get_materialized_partitions(ADOPTION) == {*DATES, "2024-02-29"}
        latest = _runs_of_the_job(instance)[0]  # newest first
        assert latest.tags["dagster/asset_partition_range_start"] == "2024-02-29"
        assert latest.tags["dagster/asset_partition_range_end"] == "2024-02-29"
        # Nothing new: no run, the same partitions.
        _load_as_ehelse_run_does(settings, defs, instance)
        assert len(_runs_of_the_job(instance)) == 2


def test_the_inbox_sensor_adds_the_file_dates_and_a_ui_backfill_of_them_materializes_exactly_those(
    tmp_path: Path, dagster_instance: Path
) -> None:
    settings = _settings(tmp_path, DATES)
    defs = build_defs(settings)
    sensor = defs.get_repository_def().get_sensor_def("inbox_sensor")
    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        with dg.build_sensor_context(
            instance=instance, resources={"warehouse": WarehouseResource.from_settings(settings)}, definitions=defs
        ) as context:
            result = sensor(context)
        assert sorted((r.job_name, r.partition_key) for r in result.run_requests) == [(JOB, d) for d in DATES]
        [added] = result.dynamic_partitions_requests
        assert (added.partitions_def_name, list(added.partition_keys)) == (PARTITIONS, DATES)
        # The daemon adds the partitions the sensor asks for before it launches the runs.
        instance.add_dynamic_partitions(added.partitions_def_name, added.partition_keys)

        # A backfill of every partition from the UI: a single-run backfill is one run of the
        # implicit asset job over the range of the chosen keys.
        backfill = defs.resolve_implicit_job_def_def_for_assets([ADOPTION]).execute_in_process(
            instance=instance,
            asset_selection=[ADOPTION],
            tags={"dagster/asset_partition_range_start": DATES[0], "dagster/asset_partition_range_end": DATES[-1]},
        )
        assert backfill.success
        assert instance.get_materialized_partitions(ADOPTION) == set(DATES)
        assert backfill.get_asset_materialization_events()[0].materialization.metadata["files_changed"].value == 3

        # Known dates are not asked for again.
        with dg.build_sensor_context(
            instance=instance, resources={"warehouse": WarehouseResource.from_settings(settings)}, definitions=defs
        ) as context:
            assert sensor(context).dynamic_partitions_requests == []


def test_an_ingestion_run_leaves_the_ledger_one_file_a_month_and_its_fingerprint_unchanged(
    tmp_path: Path, dagster_instance: Path
) -> None:
    """A load writes one ledger entry per file; the run folds them into one file a month (the
    running month's too), so the checks and the transformation after it read one ledger file,
    not one per file loaded; the fold changes neither what the ledger says nor its fingerprint."""
    settings = _settings(tmp_path, DATES)
    defs = build_defs(settings)
    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        _load_as_ehelse_run_does(settings, defs, instance)
    zone = settings.paths.raw_zone
    [folded] = [p.name for p in zone.ledger_dir.glob("*.parquet") if p.name != "_schema.parquet"]
    assert folded.startswith(ledger.COMPACTED_PREFIX)
    with duckdb.connect() as con:
        entries = con.execute(
            f"select finished_at, load_id, file_name from read_parquet('{zone.ledger_dir / '*.parquet'}')"
        ).fetchall()
    assert sorted(name for _, _, name in entries) == [f"kj_innforing_{day}.csv" for day in DATES]
    names = [ledger.entry_file_name(finished_at, load_id) for finished_at, load_id, _ in entries]
    # As if each entry were still its own file beside the schema file.
    assert ledger.state_fingerprint(zone) == ledger.names_digest([*names, "_schema.parquet"])
