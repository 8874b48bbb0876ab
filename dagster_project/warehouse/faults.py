"""Faults that are not a verdict on a file: a full disk, memory, a lock held by another run.

A file rejected by a rule gets a ledger entry (a verdict); a file whose load failed
for lack of a resource gets none and stays pending, so the next run loads it without
hand work (docs/decisions.md, "Faults and hostile input"). Every message names the
fault plainly: "disk full at <path>", "out of memory ...", "another run holds the
warehouse since <time>".
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from filelock import Timeout, UnixFileLock

RUN_LOCK_FILE = "run.lock"


class ResourceFailure(Exception):
    """A resource (disk, memory, lock) failed: nothing was decided about the file or publication."""


class RunLocked(ResourceFailure):
    """Another `ehelse run` holds the warehouse."""


# How DuckDB (ours, or dbt-duckdb's in dbt's output) words a full disk and a memory limit.
_DISK_FULL_WORDS = ("No space left on device", "File too large")
_OUT_OF_MEMORY_WORDS = ("Out of Memory",)


def is_disk_full(err: BaseException) -> bool:
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    return isinstance(err, duckdb.Error) and any(w in str(err) for w in _DISK_FULL_WORDS)


def is_out_of_memory(err: BaseException) -> bool:
    return isinstance(err, MemoryError | duckdb.OutOfMemoryException) or (
        isinstance(err, duckdb.Error) and any(w in str(err) for w in _OUT_OF_MEMORY_WORDS)
    )


def _disk_full(where: Path | str) -> ResourceFailure:
    return ResourceFailure(f"disk full at {where}")


def _out_of_memory(where: Path | str) -> ResourceFailure:
    return ResourceFailure(
        f"out of memory while handling {where} (EHELSE_DUCKDB_MEMORY_LIMIT too low?); "
        "nothing recorded, the next run tries again"
    )


def as_resource_failure(err: BaseException, where: Path | str) -> ResourceFailure | None:
    """The resource failure err stands for, in words naming `where`; None when err is something else."""
    if is_disk_full(err):
        return _disk_full(where)
    if is_out_of_memory(err):
        return _out_of_memory(where)
    return None


def resource_failure_in_output(output: str, where: Path | str) -> ResourceFailure | None:
    """The resource failure a tool's error output (dbt's) reports, naming `where`; None when none."""
    if any(w in output for w in _DISK_FULL_WORDS):
        return _disk_full(where)
    if any(w in output for w in _OUT_OF_MEMORY_WORDS):
        return _out_of_memory(where)
    return None


@contextmanager
def resource_guard(where: Path | str) -> Iterator[None]:
    """Re-raise a resource error inside the block as ResourceFailure naming `where`."""
    try:
        yield
    except ResourceFailure:
        raise
    except Exception as err:
        failure = as_resource_failure(err, where)
        if failure is None:
            raise
        raise failure from err


@contextmanager
def run_lock(warehouse_dir: Path) -> Iterator[None]:
    """One `ehelse run` at a time per warehouse: a second one fails fast and says since when.

    filelock's UnixFileLock is an flock, so a run killed with -9 releases it with its process;
    it never truncates the file, which keeps the holder's start time and pid for the message.
    """
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    path = warehouse_dir / RUN_LOCK_FILE
    lock = UnixFileLock(str(path), blocking=False)
    try:
        lock.acquire()
    except Timeout:
        holder = (path.read_text() if path.exists() else "").strip() or "an unknown time"
        raise RunLocked(f"another run holds the warehouse since {holder}; try again when it has finished") from None
    try:
        path.write_text(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC (pid {os.getpid()})")
        yield
    finally:
        lock.release()
