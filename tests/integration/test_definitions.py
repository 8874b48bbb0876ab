import dagster as dg

from dagster_project.definitions import defs


def test_definitions_load_and_form_one_lineage_from_raw_to_published() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    published = dg.AssetKey(["published"])
    upstream = graph.get(published).parent_keys
    assert dg.AssetKey(["marts", "measure_status"]) in upstream
    # dbt sources resolve onto the ingestion assets' keys: the usage feed reaches the publication.
    ancestors = graph.upstream_key_iterator(published)
    assert dg.AssetKey(["raw", "helsenorge_usage"]) in set(ancestors)


def test_jobs_schedules_and_sensors_are_defined() -> None:
    repo = defs.get_repository_def()
    assert {"ingest_monthly_feeds", "transform_and_publish"} <= set(repo.job_names)
    assert {s.name for s in repo.schedule_defs} == {"monthly_feeds_on_the_5th", "publish_on_the_5th"}
    assert {s.name for s in repo.sensor_defs} == {"inbox_sensor", "publish_after_ingestion"}
    for job_name in ("ingest_monthly_feeds", "transform_and_publish"):
        assert repo.get_job(job_name).tags.get("ehelse/writes-warehouse") == "true"
