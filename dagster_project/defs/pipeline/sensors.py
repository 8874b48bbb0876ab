"""The inbox sensor: a run for every new or changed file, never twice.

The cursor remembers (size, mtime) per file so that only new or touched
files are hashed; the run key is the file's sha256, so Dagster itself
refuses to launch a second run for the same content.
"""

import json

import dagster as dg

from dagster_project.defs.pipeline.jobs import (
    JOB_FOR_FAMILY,
    ingest_daily_lookups,
    ingest_monthly_feeds,
    transform_and_publish,
)
from dagster_project.lib.inbox import scan_inbox
from dagster_project.lib.ledger import sha256_cached_by_stat
from dagster_project.resources import WarehouseResource


@dg.sensor(
    jobs=[ingest_monthly_feeds, transform_and_publish],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    seen: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
    requests: list[dg.RunRequest] = []
    changed_unpartitioned: list[str] = []
    for file in scan_inbox(warehouse.inbox_path).files:
        sha, changed = sha256_cached_by_stat(file.path, seen)
        if not changed:
            continue
        job = JOB_FOR_FAMILY.get(file.family.name)
        if job is not None:
            requests.append(dg.RunRequest(job_name=job.name, partition_key=file.period, run_key=f"{file.name}:{sha}"))
        else:
            changed_unpartitioned.append(f"{file.name}:{sha}")
    if changed_unpartitioned:
        requests.append(
            dg.RunRequest(job_name=transform_and_publish.name, run_key="|".join(sorted(changed_unpartitioned))[:4000])
        )
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen))


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_monthly_feeds, ingest_daily_lookups],
    request_job=transform_and_publish,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def publish_after_ingestion(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    """New monthly data is published by the same gate as everything else."""
    return dg.RunRequest(run_key=f"after:{context.dagster_run.run_id}")
