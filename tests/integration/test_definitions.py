import gzip
import json
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs import build_defs
from dagster_project.defs.transform.assets import dbt_project
from dagster_project.resources import WarehouseResource
from dagster_project.settings import Settings


def test_definitions_load_and_form_one_lineage_from_raw_to_published() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    published = dg.AssetKey(["published"])
    upstream = graph.get(published).parent_keys
    assert dg.AssetKey(["marts", "measure_status"]) in upstream
    # dbt sources resolve onto the ingestion assets' keys: the usage feed reaches the publication.
    ancestors = graph.upstream_key_iterator(published)
    assert dg.AssetKey(["raw", "helsenorge_usage"]) in set(ancestors)
    # Every asset is in a named group (raw/load_ledger, a dbt source, was in `default`).
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert "default" not in set(groups.values()), sorted(
        k.to_user_string() for k, g in groups.items() if g == "default"
    )
    assert groups[dg.AssetKey(["raw", "load_ledger"])] == "raw"
    # Every model has an owner in meta (dbt_project.yml, once), as the manifest the definitions read says.
    manifest = json.loads(dbt_project().manifest_path.read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models and all(n["config"]["meta"].get("owner") == "team:analytics-engineering" for n in models)


def test_jobs_schedules_and_sensors_are_defined() -> None:
    repo = defs.get_repository_def()
    # One job per snapshot feed: each asset has its own partitions, the dates its files carry.
    snapshot_jobs = [f"ingest_{name}_snapshots" for name in ("helsenorge_offering", "kj_adoption", "veikart_subgoals")]
    assert {"ingest_monthly_feeds", "ingest_daily_feeds", "transform_and_publish", *snapshot_jobs} <= set(
        repo.job_names
    )
    assert {s.name for s in repo.schedule_defs} == {
        "monthly_feeds_on_the_5th",
        "publish_on_the_5th",
        "feed_freshness_daily",
    }
    assert {s.name for s in repo.sensor_defs} == {"inbox_sensor", "publish_after_ingestion", "alert_on_run_failure"}
    # Every job writes the warehouse: the writer tag names its pool (one queued run per warehouse).
    pool = Settings.from_env().paths.writer_pool
    for job_name in ("ingest_monthly_feeds", "ingest_daily_feeds", "transform_and_publish", *snapshot_jobs):
        assert repo.get_job(job_name).tags.get("ehelse/writes-warehouse") == pool


def _sensor_requests(settings: Settings, sensor_name: str) -> list[dg.RunRequest]:
    built = build_defs(settings)
    sensor = built.get_repository_def().get_sensor_def(sensor_name)
    with dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource.from_settings(settings)},
        definitions=built,
    ) as context:
        result = sensor(context)
    return list(result.run_requests or [])


def test_the_inbox_sensor_requests_the_daily_job_for_a_lookup_log_and_never_twice(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    log = inbox / "kjernejournal" / "kj_oppslag_2024-03-05.jsonl.gz"
    log.parent.mkdir(parents=True)
    log.write_bytes(gzip.compress(b"{}\n"))
    usage = inbox / "helsenorge" / "helsenorge_bruk_2024-02.csv"
    usage.parent.mkdir(parents=True)
    usage.write_text("maaned;kommunenummer;tjeneste;antall_besok;antall_unike_brukere\n")
    (inbox / "manual").mkdir()
    (inbox / "manual" / "indikator_observasjoner.csv").write_text("measure_id;periode;verdi;kilde;kommentar\n")
    settings = Settings.from_env({}, inbox=inbox, warehouse_dir=tmp_path / "warehouse")

    requests = _sensor_requests(settings, "inbox_sensor")
    by_job = {r.job_name: r for r in requests}
    assert set(by_job) == {"ingest_daily_feeds", "ingest_monthly_feeds", "transform_and_publish"}
    assert by_job["ingest_daily_feeds"].partition_key == "2024-03-05"
    assert by_job["ingest_monthly_feeds"].partition_key == "2024-02"
    # The run key is the content: the same file asks for the same run, which Dagster launches once.
    assert [r.run_key for r in _sensor_requests(settings, "inbox_sensor")] == [r.run_key for r in requests]


def test_the_monthly_schedule_targets_the_month_that_just_ended() -> None:
    repo = defs.get_repository_def()
    schedule = repo.get_schedule_def("monthly_feeds_on_the_5th")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2024, 4, 5, 6), repository_def=repo)
    [request] = list(schedule.evaluate_tick(context).run_requests)
    assert request.partition_key == "2024-03"
    publish = repo.get_schedule_def("publish_on_the_5th")
    [request] = list(publish.evaluate_tick(dg.build_schedule_context(repository_def=repo)).run_requests)
    assert publish.job_name == "transform_and_publish" and request.tags["dagster/schedule_name"] == "publish_on_the_5th"


def test_the_publish_after_ingestion_sensor_requests_a_publication_after_a_load(tmp_path: Path) -> None:
    settings = Settings.from_env({}, inbox=tmp_path / "inbox", warehouse_dir=tmp_path / "warehouse")
    built = build_defs(settings)
    instance = dg.DagsterInstance.ephemeral()
    result = built.resolve_job_def("ingest_monthly_feeds").execute_in_process(
        instance=instance, partition_key="2024-01"
    )
    assert result.success
    success = next(e for e in result.all_events if e.event_type_value == "PIPELINE_SUCCESS")
    sensor = built.get_repository_def().get_sensor_def("publish_after_ingestion")
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_event=success, dagster_instance=instance, dagster_run=result.dagster_run
    )
    request = sensor(context)
    assert request.run_key == f"after:{result.run_id}"
    assert sensor.targets[0].job_name == "transform_and_publish"


@pytest.fixture
def a_new_feed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A feed declared in the registry alone: one folder with a FEED, nothing else."""
    import dagster_project.feeds as feeds_package
    from dagster_project.feeds import registry

    package = tmp_path / "extra_feeds"
    (package / "bed_days").mkdir(parents=True)
    (package / "bed_days" / "__init__.py").write_text(
        "from dagster_project.feeds.csv_feed import csv_feed\n"
        "from dagster_project.feeds.rules import CsvSpec, municipality, non_negative_integer\n"
        "FEED = csv_feed(name='bed_days', folder='sykehus', file_pattern='liggedogn_{period}.csv',\n"
        "    grain='month',\n"
        "    spec=CsvSpec(columns=['kommunenummer', 'liggedogn'],\n"
        "        row_rules=[municipality('kommunenummer'), non_negative_integer('liggedogn')],\n"
        "        key=('kommunenummer',)),\n"
        "    display_name='Sykehus: liggedøgn', description='Bed days per municipality and month.')\n"
    )
    monkeypatch.setattr(feeds_package, "__path__", [*feeds_package.__path__, str(package)])
    registry._discover.cache_clear()
    yield
    registry._discover.cache_clear()


def test_a_feed_declared_in_the_registry_alone_is_an_asset_a_check_a_job_target_and_a_sensor_target(
    a_new_feed, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sykehus").mkdir(parents=True)
    (inbox / "sykehus" / "liggedogn_2024-01.csv").write_text("kommunenummer;liggedogn\n0301;12\n")
    settings = Settings.from_env({}, inbox=inbox, warehouse_dir=tmp_path / "warehouse")
    built = build_defs(settings)  # from its arguments: no module reloaded
    key = dg.AssetKey(["raw", "bed_days"])
    graph = built.resolve_asset_graph()
    assert key in graph.get_all_asset_keys()
    checks = {c.name for c in graph.asset_check_keys if c.asset_key == key}
    assert checks == {"ledger_balances", "no_rejected_files"}
    job = built.resolve_job_def("ingest_monthly_feeds")
    assert key in job.asset_layer.selected_asset_keys
    requests = _sensor_requests(settings, "inbox_sensor")
    assert [(r.job_name, r.partition_key) for r in requests] == [("ingest_monthly_feeds", "2024-01")]
