"""`ehelse run`: the whole pipeline once, in-process, on the definitions built from
the run's settings (the same jobs the Dagster UI and schedules run).

1. Each partitioned feed: one single-run backfill over the periods with a new file
   (a snapshot feed's periods are the dates its files carry, added as partitions first).
2. transform_and_publish: manual and yearly feeds, dbt build (models and
   tests), and the publication, which blocking checks and failed tests stop.

With nothing new in the inbox and no change to the dbt project since the last
publication, nothing runs, or, when only a PostgreSQL target lacks the current
publication (a new target, a load that failed), only its load (publish_postgres).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import socket
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from dagster_project.feeds.base import Feed, InboxFile
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.pseudonym import KeyRefused, check_key
from dagster_project.presentation.progress import report_step
from dagster_project.settings import (
    DBT_PROJECT_DIR,
    EXPECTATIONS_DIR,
    PARTITIONS_START_ENV_VAR,
    SPARK_THRIFT_TARGET,
    Settings,
    engine_missing_message,
    missing_for_engine,
)
from dagster_project.warehouse import ledger
from dagster_project.warehouse.faults import ResourceFailure, run_lock
from dagster_project.warehouse.ingest import pending_files
from dagster_project.warehouse.spark_cluster import check_sql_server
from dagster_project.writer_slot import HOST_TAG, PID_TAG, wait_for_writer_slot

log = logging.getLogger(__name__)
_FINGERPRINTED = ("dbt_project.yml", "models", "seeds", "macros", "tests")
# The CLI prints a summary; the step-by-step log stays in the Dagster instance.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    published: bool
    message: str


def project_fingerprint(settings: Settings) -> str:
    """Hash of everything besides the inbox that changes what would be published: the dbt
    project, the suites, the stewards' acceptance file and the settings dbt is given (a
    PostgreSQL target is owed a load, not a build: _postgres_fingerprint)."""
    digest = hashlib.sha256()
    roots = [DBT_PROJECT_DIR / name for name in _FINGERPRINTED] + [EXPECTATIONS_DIR, settings.acceptances]
    digest.update(str(settings.min_cell_count).encode())
    digest.update(settings.engine.encode())  # another engine builds the marts again
    for root in roots:
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            digest.update(str(f).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def _instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance (DAGSTER_HOME, else dagster_home/): the UI shows every run, materialization and check."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)  # a new DAGSTER_HOME starts empty, as `dagster dev` allows
    return dg.DagsterInstance.from_config(str(settings.dagster_home))


@dataclass(frozen=True)
class Failure:
    """What went wrong in a run, classified by what Dagster recorded (the check's severity, the
    step's outcome and error class), never by the words of the message."""

    text: str
    blocking: bool = True  # a failed ERROR check or a failed step; False: a WARN check
    resource: bool = False  # a ResourceFailure (disk, memory, lock) stopped a step: no verdict


def _failures(result: dg.ExecuteInProcessResult) -> list[Failure]:
    """Failed checks (with the expectations that failed) and failed steps, in words."""
    reasons = []
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                blocking = evaluation.severity != dg.AssetCheckSeverity.WARN
                severity = "ERROR" if blocking else "WARN"
                what = f": {evaluation.description}" if evaluation.description else ""
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                reasons.append(Failure(f"check {name} failed ({severity}){what}", blocking))
        elif event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            if error and "DagsterAssetCheckFailedError" in (error.cls_name or ""):
                continue  # a blocking check: already reported by its evaluation
            first_line = _step_error_message(error).strip().splitlines()[:1]
            text = f"step {event.step_key} failed: {first_line[0] if first_line else ''}"
            reasons.append(Failure(text, resource=_raised(error, ResourceFailure)))
    return reasons


def _raised(error, kind: type[Exception]) -> bool:
    """Whether `kind` (or a subclass) is in the chain of a step's serialized error."""
    names = {cls.__name__ for cls in kind.__subclasses__()} | {kind.__name__}
    while error is not None:
        if (error.cls_name or "") in names:
            return True
        error = error.cause
    return False


def _step_error_message(error) -> str:
    """The error that stopped the step, not Dagster's wrapper ("Error occurred while executing op"):
    the file, line and rule, or the fault, is in the first error our code raised (which may
    name its own cause, e.g. a ResourceFailure raised from an OSError)."""
    while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    # "dagster_project.warehouse.faults.ResourceFailure: disk full at ..." -> "ResourceFailure: disk full at ..."
    return re.sub(r"^(?:\w+\.)+(?=\w+: )", "", error.message) if error else ""


def _materialized(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> bool:
    return any(
        event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key == key for event in result.all_events
    )


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    """The metadata of `key`'s materialization in this run (empty when it did not materialize)."""
    for event in result.get_asset_materialization_events():
        if event.asset_key == key:
            return dict(event.materialization.metadata)
    return {}


def _publication_stamp(path: Path) -> tuple[int, int] | None:
    """Which file published.duckdb is (inode, mtime): a publication replaces it by a rename."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _fingerprint(settings: Settings, as_of: str) -> str:
    """What a publication was made from: project, ledger state and as-of date."""
    return f"{project_fingerprint(settings)} {ledger.state_fingerprint(settings.paths.raw_zone)} as-of {as_of}"


def _postgres_fingerprint(settings: Settings, publication_fingerprint: str) -> str:
    """Which publication the PostgreSQL target holds: the target (its connection settings without
    the password, which a file beside the warehouse must not let anyone guess, and whose change
    moves no data) and the publication's fingerprint."""
    from psycopg.conninfo import conninfo_to_dict

    target = {k: v for k, v in conninfo_to_dict(settings.pg_url or "").items() if k != "password"}
    digest = hashlib.sha256(json.dumps(target, sort_keys=True).encode()).hexdigest()
    return f"{digest} {publication_fingerprint}"


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def interruptible() -> None:
    """Ctrl-C and SIGTERM stop this process, also when it was started in the background by a
    script (which starts it with SIGINT ignored). Dagster maps SIGTERM to SIGINT's handler, so
    an ignored SIGINT became an ignored SIGTERM, inherited by every compute-log `tail` Dagster
    starts: none could be stopped, and each step then waited 30 s for its tail to end."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def run_pipeline(settings: Settings | None = None) -> RunOutcome:
    """One run; `settings` default to the environment's (the CLI passes its own).

    One run at a time per warehouse (a second fails fast, saying since when), with the
    pseudonym key this warehouse was built with; a full disk, memory or a lock ends the run
    with a message naming it, and leaves nothing decided (issue 17)."""
    interruptible()
    settings = settings or Settings.from_env()
    missing = missing_for_engine(settings.engine)
    if missing:  # before the lock, the inbox or Dagster: nothing is touched
        return RunOutcome(False, False, engine_missing_message(settings.engine, missing))
    try:
        with run_lock(settings.paths.root):
            check_key(settings.inbox, settings.paths.root)
            if settings.dbt_target == SPARK_THRIFT_TARGET:  # a cluster that is down stops the run before it loads
                check_sql_server(settings.spark_url, settings.warehouse_dir)
            return _run_pipeline_locked(settings)
    except (ResourceFailure, KeyRefused) as failure:
        return RunOutcome(False, False, f"run stopped, nothing published by it: {failure}")


def partition_ranges(keys: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """The fewest ranges (first, last key) of `keys`, in their order, that cover exactly the
    keys in `wanted`: a range run materializes every key between its ends."""
    ranges: list[tuple[str, str]] = []
    run: list[str] = []
    for key in [*keys, None]:
        if key is not None and key in wanted:
            run.append(key)
        elif run:
            ranges.append((run[0], run[-1]))
            run = []
    return ranges


def _ranges_to_load(
    settings: Settings,
    instance: dg.DagsterInstance,
    job: dg.JobDefinition,
    feed: Feed,
    feeds: tuple[Feed, ...],
    files: list[InboxFile],
    periods: list[str],
    warnings: list[str],
) -> list[tuple[str, str]]:
    """The partition ranges a feed's job runs over: the periods with a new or changed file."""
    from dagster_project.defs.pipeline.jobs import snapshot_partitions_of

    snapshots = snapshot_partitions_of(feed, feeds)
    if snapshots is not None:
        # Every date a file of the feed carries is a partition (so the UI can backfill any of
        # them), added in date order before the run that loads the new ones.
        dates = sorted({f.period for f in files if f.feed.name == feed.name})
        if dates:
            instance.add_dynamic_partitions(snapshots.name, dates)
        return partition_ranges(list(instance.get_dynamic_partitions(snapshots.name)), set(periods))
    # Asked key by key: listing years of daily partitions costs ~1 s a feed.
    outside = [p for p in periods if not job.partitions_def.has_partition_key(p)]
    if outside:
        warnings.append(
            f"{feed.name}: {len(outside)} file(s) before the partitions ({PARTITIONS_START_ENV_VAR}="
            f"{settings.partitions_start}), not loaded: {outside[:3]}"
        )
    periods = [p for p in periods if p not in outside]
    return [(periods[0], periods[-1])] if periods else []


def load_partitioned_feeds(
    settings: Settings,
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    feeds: tuple[Feed, ...],
    files: list[InboxFile],
    pending: list[InboxFile | Path],
    tags: dict[str, str],
) -> tuple[str | None, list[str]]:
    """Step 1 of a run: each partitioned feed's job over the partitions with a new file (one
    run per range). Returns why the loading stopped (None: it did not) and the warnings."""
    from dagster_project.defs.pipeline.jobs import feed_keys, ingestion_job_name

    warnings: list[str] = []
    for feed in feeds:
        job_name = ingestion_job_name(feed, feeds)
        if job_name is None:
            continue
        job = defs.resolve_job_def(job_name)
        keys = feed_keys(feed)
        # Only the partitions with a new or changed file: a monthly run must not re-hash the history.
        periods = sorted({f.period for f in pending if isinstance(f, InboxFile) and f.feed.name == feed.name})
        for first, last in _ranges_to_load(settings, instance, job, feed, feeds, files, periods, warnings):
            # Another run of this warehouse (the UI, a schedule) goes first; this one says it waits.
            wait_for_writer_slot(instance, settings.paths.writer_pool, settings.writer_wait_seconds)
            result = job.execute_in_process(
                instance=instance,
                asset_selection=keys,
                run_config=QUIET,
                tags={**tags, "dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
                raise_on_error=False,
            )
            # A loaded feed whose checks fail goes on: the same checks are the gate of the
            # publication below. A feed that could not be loaded stops the run.
            if not all(_materialized(result, key) for key in keys):
                return "ingestion failed:\n  " + "\n  ".join(f.text for f in _failures(result)), warnings
    return None, warnings


def _run_pipeline_locked(settings: Settings) -> RunOutcome:
    as_of = settings.as_of_date or date.today().isoformat()
    paths = settings.paths
    scan = scan_inbox(settings.inbox, settings.partitions_start)
    # A publication is as of a date: another date (or a new day) is owed a publication.
    fingerprint = _fingerprint(settings, as_of)
    pending = pending_files(paths.raw_zone, scan.files, scan.unmatched, settings.inbox, paths.inbox_hashes)
    current = not pending and paths.published_db.exists() and _read(paths.publication_fingerprint) == fingerprint
    postgres_owed = bool(settings.pg_url) and _read(paths.postgres_fingerprint) != _postgres_fingerprint(
        settings, fingerprint
    )
    if current and not postgres_owed:
        return RunOutcome(
            True,
            False,
            "nothing changed: no new files in the inbox, no change to the dbt project, suites or acceptances",
        )

    # Loading the definitions (Dagster, dagster-dbt, the manifest, GX) takes ~2 s: only
    # once we know there is work to do.
    from dagster_project.defs import build_defs
    from dagster_project.defs.publication.assets import POSTGRES_KEY, PUBLISHED_KEY
    from dagster_project.defs.publication.sweep import SWEEP_KEY
    from dagster_project.feeds.registry import feeds

    registered = feeds()
    defs = build_defs(settings, registered)
    instance = _instance(settings)
    ours = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    if current:  # only PostgreSQL is owed the publication (a new target, or a load that failed)
        return _load_postgres(settings, defs, instance, ours, fingerprint)
    failed, warnings = load_partitioned_feeds(settings, defs, instance, registered, scan.files, pending, ours)
    if failed:
        return RunOutcome(False, False, failed)

    report_step("transform and publish: steward and yearly feeds, dbt build, quality gate, publication")
    before = _publication_stamp(paths.published_db)
    wait_for_writer_slot(instance, paths.writer_pool, settings.writer_wait_seconds)
    result = defs.resolve_job_def("transform_and_publish").execute_in_process(
        instance=instance,
        run_config={**QUIET, "ops": {"ehelse_dbt_models": {"config": {"as_of_date": as_of}}}},
        tags=ours,
        raise_on_error=False,
    )
    # The Data Docs are rendered by the checks that validate (gate/quality.py), whatever the gate decided.
    failures = _failures(result)
    blocking = [f for f in failures if f.blocking]
    warnings += [f.text for f in failures if not f.blocking]
    if blocking:
        warnings.append("see `ehelse quality` for the failing rows; expectations/acceptances.csv accepts a known issue")
    published = result.success and _materialized(result, PUBLISHED_KEY)
    notes = "".join(f"\n  warning: {w}" for w in warnings)
    if not result.success or not published:
        reasons = "\n  ".join([f.text for f in blocking] or ["the run failed"])
        if _publication_stamp(paths.published_db) != before:
            # The file was replaced before a later step failed: say so. Only PostgreSQL's load
            # failed: the publication is whole, and the next run loads it again and builds
            # nothing; any other step: the fingerprint stays unwritten, the next run does it all.
            failed_steps = {event.step_key for event in result.get_step_failure_events()}
            if settings.pg_url and failed_steps == {defs.get_assets_def(POSTGRES_KEY).op.name}:
                paths.publication_fingerprint.write_text(_fingerprint(settings, as_of))
            return RunOutcome(False, True, f"published {paths.published_db}, then the run failed:\n  {reasons}{notes}")
        # A full disk or memory is no verdict of the gate: say which stopped the run, once.
        stopped = [f for f in blocking if f.resource]
        if stopped:
            faults = "\n  ".join(dict.fromkeys(f.text.split(" failed: ", 1)[-1] for f in stopped))
            return RunOutcome(
                False,
                False,
                f"run stopped on a resource failure ({len(stopped)} step(s)); "
                f"the previous publication is unchanged:\n  {faults}",
            )
        return RunOutcome(
            False, False, f"quality gate refused to publish; the previous publication is unchanged:\n  {reasons}{notes}"
        )
    fingerprint = _fingerprint(settings, as_of)  # the ledger has grown since the start
    paths.publication_fingerprint.write_text(fingerprint)
    if settings.pg_url:
        paths.postgres_fingerprint.write_text(_postgres_fingerprint(settings, fingerprint))
    removed = _metadata(result, SWEEP_KEY).get("files_removed")
    if removed:
        notes += f"\n  raw zone: {removed.value} superseded or uncommitted file version(s) removed"
    return RunOutcome(True, True, f"published {paths.published_db}{notes}")


def _load_postgres(
    settings: Settings, defs: dg.Definitions, instance: dg.DagsterInstance, tags: dict[str, str], fingerprint: str
) -> RunOutcome:
    """The current publication into PostgreSQL, building nothing: the job publish_postgres."""
    from dagster_project.defs.pipeline.jobs import PUBLISH_POSTGRES

    paths = settings.paths
    report_step(f"PostgreSQL: loading the current publication {paths.published_db}")
    wait_for_writer_slot(instance, paths.writer_pool, settings.writer_wait_seconds)
    result = defs.resolve_job_def(PUBLISH_POSTGRES).execute_in_process(
        instance=instance, run_config=QUIET, tags=tags, raise_on_error=False
    )
    if not result.success:
        reasons = "\n  ".join(f.text for f in _failures(result)) or "the run failed"
        return RunOutcome(False, False, f"PostgreSQL still holds its previous publication:\n  {reasons}")
    paths.postgres_fingerprint.write_text(_postgres_fingerprint(settings, fingerprint))
    return RunOutcome(True, True, f"published {paths.published_db} to PostgreSQL (nothing else had changed)")
