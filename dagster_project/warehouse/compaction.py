"""Compaction: the raw zone stays few files (issue 26). Called after a publication, next to
ledger.sweep; pure of Dagster.

What it folds, for every CLOSED month (before the month of `now`):

- the ledger's one-file-per-entry Parquet into `_ledger/compacted-<YYYYMM>-<digest>.parquet`,
  the month of an entry being that of its finished_at (its file name's prefix). Every
  entry keeps every field, so the ledger answers what it answered before: which version
  was current when (append-only meaning: no entry is changed or dropped), the status as
  known on a date, what a restatement superseded.
- the index of lookup ids (id_index.py) of a month into one file, keeping only the ids of
  the versions current at compaction (a superseded version's ids never count again).

Kill-safety: each fold writes its new file atomically (raw_zone.write_parquet: a temporary
file renamed into place) BEFORE it removes the files it folded, so a kill at any point
leaves either the old files, or the new file beside the old ones. Readers take each ledger
entry once by load_id (ledger.LEDGER_VIEW, stg_ingestion__file_loads) and the index's key
matches are sets, so a duplicate in between is harmless; the next compaction folds again.

The ledger's fingerprint (ledger.state_fingerprint) is a sum over entry-file names, and a
compacted file's name carries the sum of the names it folded, so compaction alone never
makes a run think the ledger changed. Daily file versions of the raw tables themselves are
not folded (docs/decisions.md, issue 26).
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.feeds.registry import raw_tables
from dagster_project.warehouse import id_index, ledger
from dagster_project.warehouse.raw_zone import RawZone, write_parquet

# Fault tests: the n-th step of a compaction stops the process there (SIGSTOP), so the test
# can kill -9 it at exactly that point (tests/integration/test_faults.py).
PAUSE_ENV_VAR = "EHELSE_COMPACTION_PAUSE_AT_STEP"


@dataclass
class CompactionReport:
    ledger_files_folded: int = 0
    index_files_folded: int = 0
    written: list[Path] = field(default_factory=list)


class _Steps:
    """Counts the steps of one compaction; pauses at the one PAUSE_ENV_VAR names."""

    def __init__(self) -> None:
        self.count = 0
        self.pause_at = int(os.environ.get(PAUSE_ENV_VAR, "0"))

    def __call__(self, what: str) -> None:
        self.count += 1
        if self.count == self.pause_at:
            print(f"paused at step {self.count}: {what}", flush=True)
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGSTOP)


def compact(zone: RawZone, now: datetime) -> CompactionReport:
    """Fold every closed month of the ledger and of the id index; returns what it did."""
    report = CompactionReport()
    if not ledger.has_entries(zone):
        return report
    step = _Steps()
    closed_before = f"{now.astimezone(UTC):%Y%m}"
    con = duckdb.connect()
    try:
        _compact_ledger(zone, con, closed_before, report, step)
        for table in raw_tables().values():
            if table.unique_across_files:
                with ledger.feed_lock(zone, _family_of(table.name)):
                    _compact_index(zone, con, table.name, closed_before[:4] + "-" + closed_before[4:], report, step)
    finally:
        con.close()
    return report


def _family_of(table: str) -> str:
    from dagster_project.feeds.registry import feeds

    return next(f.name for f in feeds() if table in f.table_names)


def _entry_month(path: Path) -> str | None:
    """YYYYMM of a ledger file: an entry's finished_at prefix, or a compacted file's month."""
    name = path.name
    if name.startswith(ledger.COMPACTED_PREFIX):
        return name.removeprefix(ledger.COMPACTED_PREFIX)[:6]
    if name[:8].isdigit():
        return name[:6]
    return None  # the schema file


def _compact_ledger(
    zone: RawZone, con: duckdb.DuckDBPyConnection, closed_before: str, report: CompactionReport, step: _Steps
) -> None:
    by_month: dict[str, list[Path]] = {}
    for path in sorted(zone.ledger_dir.glob("*.parquet")):
        month = _entry_month(path)
        if month is not None and month < closed_before:
            by_month.setdefault(month, []).append(path)
    for month, files in sorted(by_month.items()):
        singles = [p for p in files if not p.name.startswith(ledger.COMPACTED_PREFIX)]
        if not singles and len(files) == 1:
            continue  # already one file
        entries = f"""
            select * from read_parquet({[str(p) for p in files]!r}, union_by_name = true)
            qualify row_number() over (partition by load_id order by finished_at) = 1
        """
        names = [
            ledger.entry_file_name(finished_at, load_id)
            for finished_at, load_id in con.execute(f"select finished_at, load_id from ({entries})").fetchall()
        ]
        target = zone.ledger_dir / f"{ledger.COMPACTED_PREFIX}{month}-{ledger.names_digest(names)}.parquet"
        columns = ", ".join(ledger.COLUMNS)
        step(f"write {target.name}")
        write_parquet(con, f"select {columns} from ({entries}) order by finished_at", target, zone.tmp_dir)
        for path in files:
            if path != target:
                step(f"remove {path.name}")
                path.unlink(missing_ok=True)
        report.ledger_files_folded += len(files)
        report.written.append(target)


def _compact_index(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    table: str,
    closed_before: str,
    report: CompactionReport,
    step: _Steps,
) -> None:
    current = set(ledger.state_of(zone, _family_of(table)).current.values())
    for month_dir in sorted(id_index.table_dir(zone, table).glob("month=*")):
        month = month_dir.name.removeprefix("month=")
        files = sorted(month_dir.glob("*.parquet"))
        if month >= closed_before or len(files) <= 1:
            continue
        target = month_dir / f"{id_index.COMPACTED_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S%f}.parquet"
        step(f"write {table} index {month}")
        write_parquet(
            con,
            f"select distinct id_key, load_id, period from read_parquet({[str(p) for p in files]!r}) "
            f"where list_contains({sorted(current)!r}, load_id) order by id_key",
            target,
            zone.tmp_dir,
        )
        for path in files:
            step(f"remove {table} index {path.name}")
            path.unlink(missing_ok=True)
        report.index_files_folded += len(files)
        report.written.append(target)
