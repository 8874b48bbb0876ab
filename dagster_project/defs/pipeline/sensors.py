"""The inbox sensor: a run for every file whose content the ledger has not handled,
by the same rule as `ehelse run` (warehouse/ingest.pending_files). The run key is the
file's name and sha256, so Dagster itself never launches two runs for one content."""

import dagster as dg

from dagster_project.defs.pipeline.jobs import INGESTION_JOBS, JOB_FOR_FEED, transform_and_publish
from dagster_project.feeds.base import InboxFile
from dagster_project.feeds.hostile import scrub_identifiers
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse.ingest import pending_files
from dagster_project.warehouse.ledger import hash_cache_key, load_hash_cache


@dg.sensor(
    jobs=[*INGESTION_JOBS.values(), transform_and_publish],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    scan = scan_inbox(warehouse.inbox_path)
    paths = warehouse.paths
    pending = pending_files(paths.raw_zone, scan.files, scan.unmatched, warehouse.inbox_path, paths.inbox_hashes)
    hashes = load_hash_cache(paths.inbox_hashes)
    requests: list[dg.RunRequest] = []
    unpartitioned: list[str] = []
    for item in pending:
        path = item.path if isinstance(item, InboxFile) else item
        # Run keys are stored by Dagster: a fødselsnummer in a file name is pseudonymised (issue 22).
        key = f"{scrub_identifiers(path.name)}:{hashes.get(hash_cache_key(path), ['', '', ''])[2]}"
        job = JOB_FOR_FEED.get(item.feed.name) if isinstance(item, InboxFile) else None
        if job is not None:
            requests.append(dg.RunRequest(job_name=job.name, partition_key=item.period, run_key=key))
        else:
            unpartitioned.append(key)
    if unpartitioned:
        requests.append(
            dg.RunRequest(job_name=transform_and_publish.name, run_key="|".join(sorted(unpartitioned))[:4000])
        )
    return dg.SensorResult(run_requests=requests)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=list(INGESTION_JOBS.values()),
    request_job=transform_and_publish,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def publish_after_ingestion(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    """New data is published by the same gate as everything else."""
    return dg.RunRequest(run_key=f"after:{context.dagster_run.run_id}")


SENSORS = [inbox_sensor, publish_after_ingestion]
