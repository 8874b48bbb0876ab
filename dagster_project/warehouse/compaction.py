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
- the daily file versions of each raw table (periods YYYY-MM-DD) of a month closed at least
  DATA_GRACE_DAYS ago into raw/<table>/_folded/<fold_id>.parquet, superseded versions
  included (the status "as known on" a date reads them) until retention expires them; a
  version arriving for a folded month (a late day, a restatement) is folded in with the
  month's folded rows into a new file. The fold map (raw_zone.py) is the switch.

Kill-safety: each fold writes its new file atomically (raw_zone.write_parquet: a temporary
file renamed into place) BEFORE it removes the files it folded, so a kill at any point
leaves either the old files, or the new file beside the old ones. Readers take each ledger
entry once by load_id (ledger.LEDGER_VIEW, stg_ingestion__file_loads) and the index's key
matches are sets, so a duplicate in between is harmless; the next compaction folds again.

The ledger's fingerprint (ledger.state_fingerprint) is a sum over entry-file names, and a
compacted file's name carries the sum of the names it folded, so compaction alone never
makes a run think the ledger changed.

A data fold's steps, each leaving every version readable exactly once (raw_zone.table_rows_sql):
write the new folded file (ignored: the map does not name it), replace the map (now it is
read, and the versions' folders and the month's previous folded file are ignored), remove the
previous folded file, remove the folders. A next compaction removes what a kill left: folded
files the map does not name, folders of versions the map names.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.feeds.registry import raw_tables
from dagster_project.warehouse import id_index, ledger
from dagster_project.warehouse.raw_zone import FOLD_MAP_COLUMNS, HIVE_OPTIONS, RawZone, ensure_tables, write_parquet

# Fault tests: the n-th step of a compaction stops the process there (SIGSTOP), so the test
# can kill -9 it at exactly that point (tests/integration/test_faults.py).
PAUSE_ENV_VAR = "EHELSE_COMPACTION_PAUSE_AT_STEP"
# A month's daily data is folded a week after it closed: the files of its last days, delivered
# a day or two late, are in by then, so a month is rarely written twice.
DATA_GRACE_DAYS = 7
# A month after every entry's month (YYYYMM): "fold up to here" means every month.
OPEN_END = "999999"


@dataclass
class CompactionReport:
    ledger_files_folded: int = 0
    index_files_folded: int = 0
    versions_folded: int = 0  # daily file versions moved from their folders into a folded file
    versions_expired: int = 0  # superseded versions past retention dropped from a folded file
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


def compact(zone: RawZone, now: datetime, retention_days: int | None = None) -> CompactionReport:
    """Fold every closed month of the ledger, of the id index and of the daily raw tables'
    versions (dropping superseded versions `retention_days` after they were superseded, as
    ledger.sweep does for folders); returns what it did."""
    report = CompactionReport()
    if not ledger.has_entries(zone):
        return report
    step = _Steps()
    closed_before = f"{now.astimezone(UTC):%Y%m}"
    data_closed_before = f"{(now - timedelta(days=DATA_GRACE_DAYS)).astimezone(UTC):%Y-%m}"
    con = duckdb.connect()
    try:
        # The folded files' schema and the fold maps (a warehouse from before they existed).
        ensure_tables(zone, con, {name: table.columns for name, table in raw_tables().items()})
        _compact_ledger(zone, con, closed_before, report, step)
        versions = _versions(zone, con)
        for name, table in raw_tables().items():
            with ledger.feed_lock(zone, _family_of(name)):
                _compact_data(zone, con, name, data_closed_before, versions, retention_days, now, report, step)
                if table.unique_across_files:
                    _compact_index(zone, con, name, closed_before[:4] + "-" + closed_before[4:], report, step)
    finally:
        con.close()
    return report


def fold_ledger(zone: RawZone) -> int:
    """Fold every month's ledger entries into one file each, the running month's included;
    returns the number of files folded. Called after each ingestion run: a first load or a
    backfill writes one entry per file, and every reader of the ledger (each check, each
    connection that attaches the raw zone) would otherwise read each entry's file footer,
    again and again within the same run. The same fold as compact's, so equally kill-safe."""
    if not ledger.has_entries(zone):
        return 0
    report = CompactionReport()
    con = duckdb.connect()
    try:
        _compact_ledger(zone, con, OPEN_END, report, lambda what: None)
    finally:
        con.close()
    return report.ledger_files_folded


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
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    closed_before: str,
    report: CompactionReport,
    step: Callable[[str], None],
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


# --------------------------------------------------------------------------- daily data


@dataclass(frozen=True)
class _Version:
    is_current: bool
    superseded_at: datetime | None


def _versions(zone: RawZone, con: duckdb.DuckDBPyConnection) -> dict[str, _Version]:
    """Every committed version (load_id) with what retention needs."""
    rows = ledger._rows(
        con,
        zone,
        "select l.load_id, l.is_current, s.finished_at from raw.load_ledger as l "
        "left join raw.load_ledger as s on s.load_id = l.superseded_by where l.status in ('loaded', 'restated')",
    )
    return {load_id: _Version(bool(current), superseded_at) for load_id, current, superseded_at in rows}


def _expired(version: _Version, retention_days: int | None, now: datetime) -> bool:
    return (
        retention_days is not None
        and not version.is_current
        and version.superseded_at is not None
        and (now - version.superseded_at).days >= retention_days
    )


def _is_day(period: str) -> bool:
    return len(period) == 10 and period[4] == "-" and period[7] == "-"


def _compact_data(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    table: str,
    closed_before: str,
    versions: dict[str, _Version],
    retention_days: int | None,
    now: datetime,
    report: CompactionReport,
    step: _Steps,
) -> None:
    """Fold each closed month of a daily table that has versions in folders or expired ones in
    its folded file; then remove what an earlier, killed compaction left behind."""
    fold_map = _read_map(zone, con, table)
    by_month: dict[str, dict[str, Path]] = {}  # month -> load_id -> folder, committed versions only
    for folder in zone.root.glob(f"{table}/period=*/load_id=*"):
        period = folder.parent.name.removeprefix("period=")
        load_id = folder.name.removeprefix("load_id=")
        if _is_day(period) and period[:7] < closed_before and load_id in versions and load_id not in fold_map:
            by_month.setdefault(period[:7], {})[load_id] = folder
    for month in sorted(set(by_month) | {period[:7] for period, _ in fold_map.values()}):
        # An expired version in a folder is ledger.sweep's; one in the folded file is dropped
        # from it, and so is one the ledger no longer names (never read again).
        folders = {i: f for i, f in by_month.get(month, {}).items() if not _expired(versions[i], retention_days, now)}
        in_fold = {i for i, (p, _) in fold_map.items() if p[:7] == month}
        expired = {i for i in in_fold if i not in versions or _expired(versions[i], retention_days, now)}
        if not expired and (not folders or len(folders) + len(in_fold) < 2):
            continue  # nothing new, or a month of one file (a monthly snapshot dated by its day)
        fold_map = _fold_month(zone, con, table, month, folders, in_fold - expired, fold_map, report, step)
        report.versions_expired += len(expired)
    _remove_leftovers(zone, con, table, fold_map, step)


def _read_map(zone: RawZone, con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str]]:
    """load_id -> (period, fold_id) of the versions read from folded files."""
    path = zone.fold_map_path(table)
    if not path.exists():
        return {}
    rows = con.execute("select load_id, period, fold_id from read_parquet(?)", [str(path)]).fetchall()
    return {load_id: (period, fold_id) for load_id, period, fold_id in rows}


def _fold_month(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    table: str,
    month: str,
    folders: dict[str, Path],
    kept_from_fold: set[str],
    fold_map: dict[str, tuple[str, str]],
    report: CompactionReport,
    step: _Steps,
) -> dict[str, tuple[str, str]]:
    """One month's new folded file (its folders' versions and the kept versions of its previous
    folded file), the map switched to it, then what it replaces removed. Returns the new map."""
    fold_id = f"{month}-{now_stamp()}-{uuid.uuid4().hex[:8]}"
    previous = {fold_map[i][1] for i in fold_map if fold_map[i][0][:7] == month}
    parts = []
    if folders:
        files = sorted(str(p) for folder in folders.values() for p in folder.glob("*.parquet"))
        parts.append(f"select * from read_parquet({files!r}, {HIVE_OPTIONS})")
    if kept_from_fold:
        old_files = [str(zone.folded_dir(table) / f"{f}.parquet") for f in sorted(previous)]
        parts.append(
            f"select * exclude (fold_id) from read_parquet({old_files!r}, union_by_name = true) "
            f"where list_contains({sorted(kept_from_fold)!r}, load_id)"
        )
    new_map = {i: v for i, v in fold_map.items() if v[0][:7] != month}
    if parts:
        target = zone.folded_dir(table) / f"{fold_id}.parquet"
        rows = " union all by name ".join(parts)
        step(f"write {table} {target.name}")
        # No sort, so memory stays flat at national volume: the folders are read in path order
        # (period, load_id; DuckDB keeps the insertion order), so each row group holds a day or
        # two and a reader's load_id filter skips the others by their min/max.
        write_parquet(con, f"select *, '{fold_id}' as fold_id from ({rows})", target, zone.tmp_dir)
        new_map |= {i: (fold_map[i][0], fold_id) for i in kept_from_fold}
        new_map |= {i: (f.parent.name.removeprefix("period="), fold_id) for i, f in folders.items()}
        report.written.append(target)
    step(f"switch {table} fold map ({month})")
    _write_map(zone, con, table, new_map)
    for old in sorted(previous):
        step(f"remove {table} folded {old}")
        (zone.folded_dir(table) / f"{old}.parquet").unlink(missing_ok=True)
    for _, folder in sorted(folders.items()):
        step(f"remove {table} folder {folder.parent.name}/{folder.name}")
        _remove_folder(folder)
    report.versions_folded += len(folders)
    return new_map


def _remove_folder(folder: Path) -> None:
    """A version's load_id= folder, and its period= folder once empty (globs list every folder)."""
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # another version of the period is still there
        folder.parent.rmdir()


def now_stamp() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}"


def _write_map(zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, fold_map: dict[str, tuple[str, str]]) -> None:
    """The map replaced atomically: the moment a fold becomes what readers read."""
    columns = ", ".join(f"cast(null as {t}) as {c}" for c, t in FOLD_MAP_COLUMNS.items())
    values = [(i, p, f) for i, (p, f) in sorted(fold_map.items())]
    if values:
        rows = ", ".join(f"({_lit(i)}, {_lit(p)}, {_lit(f)})" for i, p, f in values)
        select = f"select * from (values {rows}) as m(load_id, period, fold_id)"
    else:
        select = f"select {columns} limit 0"
    write_parquet(con, select, zone.fold_map_path(table), zone.tmp_dir)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _remove_leftovers(
    zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, fold_map: dict[str, tuple[str, str]], step: _Steps
) -> None:
    """What a killed compaction left: folded files the map does not name, folders of versions
    it names. Neither is ever read (raw_zone.table_rows_sql). An unnamed folded file is removed
    only when each of its versions is elsewhere (in the map, or in its folder): a map lost by
    hand never costs the only copy of a version."""
    live = {fold_id for _, fold_id in fold_map.values()}
    for path in sorted(zone.folded_dir(table).glob("*.parquet")):
        if path.name == "_schema.parquet" or path.stem in live:
            continue
        held = con.execute(f"select distinct load_id, period from read_parquet('{path}')").fetchall()
        if all(i in fold_map or zone.load_dir(table, p, i).exists() for i, p in held):
            step(f"remove {table} unnamed folded {path.name}")
            path.unlink(missing_ok=True)
    for load_id, (period, _) in sorted(fold_map.items()):
        folder = zone.load_dir(table, period, load_id)
        if folder.exists():
            step(f"remove {table} folded folder {folder.name}")
            _remove_folder(folder)
