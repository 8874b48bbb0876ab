"""The warehouse's writer slot in the Dagster instance (issue 24): which run holds it,
waiting for it with a message and a time limit, and releasing the runs of processes that
are gone.

Every step that writes a warehouse runs in that warehouse's pool
(WarehousePaths.writer_pool, limit 1) and dagster.yaml counts pools per run
(`granularity: run`): a run from the UI, a schedule or a sensor is queued while another
run using the pool is in progress, and steps never claim slots one by one (Dagster 1.13's
in-process executor spins at full CPU, deaf to signals, while a step waits for a slot).
`ehelse run` executes in-process, outside the queue, so it waits here before each job:
it says for whom and since when, gives up after Settings.writer_wait_seconds, and a
signal stops it like any command (the wait is a plain sleep in this process).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from dagster_project.settings import WRITER_POOL_PREFIX
from dagster_project.warehouse.faults import ResourceFailure

log = logging.getLogger(__name__)
# Which process ran a Dagster run of `ehelse run`: a run whose process is gone is released.
PID_TAG, HOST_TAG = "ehelse/pid", "ehelse/host"
# Every run that writes a warehouse carries this tag, valued with the warehouse's writer pool
# (dagster.yaml: one queued run per value): the jobs declare it, WriterTagRunCoordinator adds it
# to the runs of the implicit asset job (a materialization or backfill from the UI).
WRITER_TAG_KEY = "ehelse/writes-warehouse"
# A run in these states holds the pools of its steps (a queued run waits for them).
HOLDING = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)
_FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


class WriterBusy(ResourceFailure):
    """Another run held the warehouse's writer slot for longer than this run would wait."""


@dataclass(frozen=True)
class Holder:
    """A run holding a warehouse's writer slot, in words a person can act on."""

    run_id: str
    job_name: str
    started_by: str
    since: datetime

    def describe(self) -> str:
        return f"run {self.run_id} ({self.job_name}, {self.started_by}) since {self.since:%Y-%m-%d %H:%M:%S} UTC"


def _started_by(tags: dict[str, str]) -> str:
    if PID_TAG in tags:
        return f"`ehelse run` pid {tags[PID_TAG]} on {tags.get(HOST_TAG, 'an unknown host')}"
    for tag, what in (
        ("dagster/backfill", "backfill"),
        ("dagster/schedule_name", "schedule"),
        ("dagster/sensor_name", "sensor"),
    ):
        if tag in tags:
            return f"{what} {tags[tag]}"
    return "launched from the Dagster UI"


def holders(instance: dg.DagsterInstance, pool: str, exclude: str | None = None) -> list[Holder]:
    """The runs in progress whose steps use `pool`, oldest first."""
    found = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(HOLDING))):
        run = record.dagster_run
        pools = (run.run_op_concurrency.all_pools or set()) if run.run_op_concurrency else set()
        if pool not in pools or run.run_id == exclude:
            continue
        since = record.start_time or record.create_timestamp.timestamp()
        found.append(Holder(run.run_id, run.job_name, _started_by(dict(run.tags)), datetime.fromtimestamp(since, UTC)))
    return sorted(found, key=lambda h: h.since)


def _process_is_gone(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):
        return False  # not a pid, or another user's live process
    return False


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs of an `ehelse run` that died (kill -9, power cut) and free the pool
    slots they hold (issues 17 and 24).

    A run whose process was killed stays STARTED forever and holds its pools: every later run
    of that warehouse would wait for it. A run is released when it was started by `ehelse run`
    on this host (PID_TAG, HOST_TAG) and its process is gone; finished runs that still hold
    op-level slots (an instance used before `granularity: run`) are freed as the daemon would.
    Runs of the UI or of a live process are left alone."""
    storage = instance.event_log_storage
    slot_holders = set(storage.get_concurrency_run_ids()) if storage.supports_global_concurrency_limits else set()
    in_progress = instance.get_run_records(
        filters=dg.RunsFilter(statuses=list(HOLDING), tags={HOST_TAG: socket.gethostname()})
    )
    with_slots = instance.get_run_records(filters=dg.RunsFilter(run_ids=list(slot_holders))) if slot_holders else []
    released = []
    for record in {r.dagster_run.run_id: r for r in [*in_progress, *with_slots]}.values():
        run = record.dagster_run
        if run.status not in _FINISHED:
            if run.tags.get(HOST_TAG) != socket.gethostname() or not _process_is_gone(run.tags.get(PID_TAG, "")):
                continue
            instance.report_run_failed(
                run, message=f"the `ehelse run` process {run.tags[PID_TAG]} ended without finishing this run"
            )
            log.warning("run %s of a process that is gone marked failed; its writer slot released", run.run_id)
        if run.run_id in slot_holders:
            storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wait_for_writer_slot(
    instance: dg.DagsterInstance,
    pool: str,
    timeout_seconds: float,
    say: Callable[[str], None] = _say,
    poll_seconds: float = 2.0,
) -> None:
    """Return once no other run holds `pool`; say for whom and since when while waiting, and
    raise WriterBusy after `timeout_seconds`. Runs of dead `ehelse run` processes are released first."""
    deadline = time.monotonic() + timeout_seconds
    announced: str | None = None
    while True:
        release_dead_runs(instance)
        busy = holders(instance, pool)
        if not busy:
            return
        holder = busy[0]
        if time.monotonic() >= deadline:
            raise WriterBusy(
                f"gave up after {timeout_seconds:g} s waiting for the warehouse's writer slot, held by "
                f"{holder.describe()}; let it finish or stop it, or wait longer (EHELSE_WRITER_WAIT_SECONDS)"
            )
        if holder.run_id != announced:
            say(
                f"waiting for the warehouse's writer slot, held by {holder.describe()} "
                f"(giving up after {timeout_seconds:g} s; Ctrl-C stops)"
            )
            announced = holder.run_id
        time.sleep(max(0.0, min(poll_seconds, deadline - time.monotonic())))


def writer_tags_from_pools(run: dg.DagsterRun) -> dict[str, str]:
    """The writer tag a run owes, named from the writer pool its steps use; empty when it
    writes no warehouse or already carries the tag."""
    pools = (run.run_op_concurrency.all_pools or set()) if run.run_op_concurrency else set()
    writers = sorted(p for p in pools if p.startswith(WRITER_POOL_PREFIX))
    if not writers or WRITER_TAG_KEY in run.tags:
        return {}
    return {WRITER_TAG_KEY: writers[0]}  # one warehouse per code location: one writer pool


class WriterTagRunCoordinator(dg.QueuedRunCoordinator):
    """The instance's run queue (dagster.yaml `run_coordinator`), which tags every run it
    queues that writes a warehouse, as README promises. Dagster 1.13 gives the implicit asset
    job (`__ASSET_JOB`: a materialization or a backfill from the UI) no run tags of its own:
    neither `dg.Definitions` nor the asset job takes any. Its steps are in the warehouse's
    pool, so the tag is derived from the pool, before the queue applies its tag limits."""

    def submit_run(self, context: dg.SubmitRunContext) -> dg.DagsterRun:
        tags = writer_tags_from_pools(context.dagster_run)
        if tags:
            self._instance.add_run_tags(context.dagster_run.run_id, tags)
        return super().submit_run(context)
