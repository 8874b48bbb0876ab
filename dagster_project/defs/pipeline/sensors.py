"""The inbox sensor: a run for every file whose content the ledger has not handled,
by the same rule as `ehelse run` (warehouse/ingest.pending_files). The run key is the
file's name and sha256, so Dagster itself never launches two runs for one content.
The dates the files of a snapshot feed carry are its partitions: the sensor adds the ones the
instance does not know yet with its run requests."""

import dagster as dg

from dagster_project.defs.pipeline.jobs import TRANSFORM_AND_PUBLISH, Jobs, ingestion_job_name, snapshot_partitions_of
from dagster_project.feeds.base import Feed, InboxFile
from dagster_project.feeds.hostile import scrub_identifiers
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse.ingest import pending_files
from dagster_project.warehouse.ledger import hash_cache_key, load_hash_cache


def _inbox_sensor(jobs: Jobs, feeds: tuple[Feed, ...]) -> dg.SensorDefinition:
    @dg.sensor(
        name="inbox_sensor",
        jobs=jobs.all,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
        scan = scan_inbox(warehouse.inbox_path, warehouse.partitions_start)
        paths = warehouse.paths
        pending = pending_files(paths.raw_zone, scan.files, scan.unmatched, warehouse.inbox_path, paths.inbox_hashes)
        hashes = load_hash_cache(paths.inbox_hashes)
        requests: list[dg.RunRequest] = []
        unpartitioned: list[str] = []
        for item in pending:
            path = item.path if isinstance(item, InboxFile) else item
            # Run keys are stored by Dagster: a fødselsnummer in a file name is pseudonymised (issue 22).
            key = f"{scrub_identifiers(path.name)}:{hashes.get(hash_cache_key(path), ['', '', ''])[2]}"
            job_name = ingestion_job_name(item.feed, feeds) if isinstance(item, InboxFile) else None
            if job_name is not None:
                requests.append(dg.RunRequest(job_name=job_name, partition_key=item.period, run_key=key))
            else:
                unpartitioned.append(key)
        if unpartitioned:
            requests.append(
                dg.RunRequest(job_name=TRANSFORM_AND_PUBLISH, run_key="|".join(sorted(unpartitioned))[:4000])
            )
        new_dates = _new_snapshot_dates(context.instance, scan.files, feeds)
        return dg.SensorResult(run_requests=requests, dynamic_partitions_requests=new_dates)

    return inbox_sensor


def _new_snapshot_dates(
    instance: dg.DagsterInstance, files: list[InboxFile], feeds: tuple[Feed, ...]
) -> list[dg.AddDynamicPartitionsRequest]:
    """The dates of the snapshot files in the inbox that are not yet partitions, per asset."""
    dates: dict[str, tuple[dg.DynamicPartitionsDefinition, set[str]]] = {}
    for file in files:
        if (partitions_def := snapshot_partitions_of(file.feed, feeds)) is not None:
            dates.setdefault(partitions_def.name, (partitions_def, set()))[1].add(file.period)
    requests = []
    for name, (partitions_def, found) in sorted(dates.items()):
        known = set(instance.get_dynamic_partitions(name))
        if found - known:
            requests.append(partitions_def.build_add_request(sorted(found - known)))
    return requests


def _publish_after_ingestion(jobs: Jobs) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name="publish_after_ingestion",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=jobs.loading,
        request_job=jobs.transform_and_publish,
        default_status=dg.DefaultSensorStatus.STOPPED,
    )
    def publish_after_ingestion(context: dg.RunStatusSensorContext) -> dg.RunRequest:
        """New data is published by the same gate as everything else."""
        return dg.RunRequest(run_key=f"after:{context.dagster_run.run_id}")

    return publish_after_ingestion


def build_sensors(jobs: Jobs, feeds: tuple[Feed, ...]) -> list[dg.SensorDefinition]:
    return [_inbox_sensor(jobs, feeds), _publish_after_ingestion(jobs)]
