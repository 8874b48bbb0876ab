"""Load inbox files into the raw zone: idempotent, restating whole periods,
quarantining bad rows and rejecting bad files, always through the ledger.

Each feed loads under its own lock (ledger.feed_lock), so several feeds, or
several processes, load at once; files of one feed are parsed `workers` at a
time on cursors of one in-memory DuckDB (the parsing engine: nothing is kept
in it). Pure of Dagster, so tests and benchmarks call it directly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.feeds.base import InboxFile, ParsedFile, Violation
from dagster_project.feeds.csv_io import FileRejected
from dagster_project.feeds.hostile import display_name, scrub_text, scrub_values
from dagster_project.feeds.inbox import content_id, inbox_name, unmatched_reason
from dagster_project.feeds.registry import raw_tables
from dagster_project.warehouse import id_index, ledger
from dagster_project.warehouse.clock import Clock, system_clock
from dagster_project.warehouse.faults import resource_guard
from dagster_project.warehouse.raw_zone import (
    QUARANTINE_COLUMNS,
    RawZone,
    ensure_tables,
    remove_load,
    write_load,
    write_parquet,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadOutcome:
    file_name: str
    family: str
    period: str
    status: str  # loaded | restated | unchanged | rejected | skipped (seen before, nothing recorded)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None


def parsing_connection(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads and checks files; the raw zone is where rows go."""
    con = duckdb.connect()
    if memory_limit:
        con.execute("set memory_limit = ?", [memory_limit])
    return con


def prepare(zone: RawZone, con: duckdb.DuckDBPyConnection) -> None:
    """Schema files of the ledger, the quarantine and every raw table: each exists before its first file."""
    ledger.ensure(zone, con)
    ensure_tables(zone, con, {name: table.columns for name, table in raw_tables().items()})


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    zone: RawZone,
    files: list[InboxFile],
    run_id: str | None = None,
    workers: int = 1,
    progress: Callable[[LoadOutcome, int], None] = lambda outcome, done: None,
    clock: Clock = system_clock,
) -> list[LoadOutcome]:
    """ingest_file for each file, outcomes in the order of files: feed by feed, each
    under its lock, `workers` files at a time on cursors of con. `progress` hears of
    every file handled (its outcome, and how many are done)."""
    prepare(zone, con)
    outcomes: dict[int, LoadOutcome] = {}
    by_feed: dict[str, list[tuple[int, InboxFile]]] = {}
    for index, file in enumerate(files):
        by_feed.setdefault(file.feed.name, []).append((index, file))
    for family, indexed in by_feed.items():
        with ledger.feed_lock(zone, family):
            state = ledger.state_of(zone, family)
            for table in indexed[0][1].feed.tables:
                if table.unique_across_files:
                    id_index.ensure_built(zone, con, table.name, table.unique_across_files, state.current_loads())
            for index, outcome in _ingest_feed(con, zone, state, indexed, run_id, workers, clock):
                outcomes[index] = outcome
                progress(outcome, len(outcomes))
    return [outcomes[i] for i in range(len(files))]


def _ingest_feed(
    con: duckdb.DuckDBPyConnection,
    zone: RawZone,
    state: ledger.LedgerState,
    indexed: list[tuple[int, InboxFile]],
    run_id: str | None,
    workers: int,
    clock: Clock,
) -> Iterator[tuple[int, LoadOutcome]]:
    if workers <= 1 or len(indexed) <= 1:
        for index, file in indexed:
            yield index, ingest_file(con, zone, state, file, run_id, clock)
        return
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []

    def on_own_cursor(item: tuple[int, InboxFile]) -> tuple[int, LoadOutcome]:
        if not hasattr(local, "con"):
            local.con = con.cursor()
            cursors.append(local.con)
        return item[0], ingest_file(local.con, zone, state, item[1], run_id, clock)

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
            yield from pool.map(on_own_cursor, indexed)
    finally:
        for cursor in cursors:
            cursor.close()


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    zone: RawZone,
    state: ledger.LedgerState,
    file: InboxFile,
    run_id: str | None = None,
    clock: Clock = system_clock,
) -> LoadOutcome:
    """Load one inbox file: no-op, load, restatement or rejection, always through the ledger."""
    feed = file.feed
    sha256 = ledger.sha256_of(file.path)
    known = state.lookup(file.name, sha256, file.period)
    if known.already_handled:
        return LoadOutcome(file.name, feed.name, file.period, "skipped")
    entry = ledger.LedgerEntry(
        load_id=str(uuid.uuid4()),
        file_name=file.name,
        file_path=str(file.path),
        source_family=feed.name,
        period=file.period,
        sha256=sha256,
        size_bytes=file.path.stat().st_size,
        started_at=clock(),
        run_id=run_id,
    )
    if known.loaded_before:
        entry.reason = "content identical to an earlier, superseded version of this period: a no-op (inputs.md)"
        return _commit(zone, con, state, entry, file, clock)
    try:
        parsed = _parse_guarded(con, file)
    except FileRejected as rejection:
        entry.status = ledger.STATUS_REJECTED
        # A message may quote a value: an identifier in it is pseudonymised before it is stored or logged.
        entry.reason = scrub_text(f"{rejection.rule}: {rejection.message}")
        log.error("rejected %s/%s: %s", feed.folder, file.name, entry.reason)
        return _commit(zone, con, state, entry, file, clock)
    unique = _unique_columns(file, parsed)
    # Checking ids against the other periods' and committing are one step (see unique_ids_lock).
    with state.unique_ids_lock if unique else contextlib.nullcontext():
        try:
            if unique:
                _quarantine_repeats(zone, con, state, file, parsed, unique)
            indexed = _write_version(zone, con, entry, file, parsed, known.current_load_id, unique, clock)
        finally:
            parsed.cleanup(con)
        outcome = _commit(zone, con, state, entry, file, clock)
        for table, path in indexed.items():  # committed: the batch's next files count these ids
            state.id_batches[table].add(id_index.keys_of(con, path), entry.load_id, file.period)
    if parsed.quarantined:
        line, _, violation = parsed.quarantined[0]
        log.warning(
            "%s: %d row(s) quarantined, first: line %s, %s",
            file.name,
            len(parsed.quarantined),
            line,
            scrub_text(violation.message),
        )
    return outcome


def _parse_guarded(con: duckdb.DuckDBPyConnection, file: InboxFile) -> ParsedFile:
    """feed.parse, with memory and disk errors raised as ResourceFailure: never a verdict on
    the file, which gets no ledger entry and stays pending for the next run."""
    with resource_guard(display_name(file.path)):
        return file.feed.parse(con, file)


def _write_version(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    entry: ledger.LedgerEntry,
    file: InboxFile,
    parsed: ParsedFile,
    current_load_id: str | None,
    unique: dict[str, str],
    clock: Clock,
) -> dict[str, Path]:
    """The file version's rows and quarantine in the raw zone; invisible until its ledger entry."""
    entry.encoding = parsed.encoding
    entry.rows_read = parsed.rows_read
    entry.rows_loaded = parsed.rows_loaded
    entry.rows_quarantined = len(parsed.quarantined)
    # Nothing may disappear between reading and loading.
    assert entry.rows_read == entry.rows_loaded + entry.rows_quarantined, file.name
    entry.status = ledger.STATUS_RESTATED if current_load_id else ledger.STATUS_LOADED
    entry.supersedes = current_load_id
    indexed: dict[str, Path] = {}  # table -> the index file of this version
    try:
        for table, select in parsed.selects.items():
            write_load(zone, con, table, file.period, entry.load_id, select)
            if table in unique:
                indexed[table] = id_index.write_ids(zone, con, table, unique[table], file.period, entry.load_id, select)
        _write_quarantine(zone, con, entry, file, parsed.quarantined, clock())
    except Exception:
        for table in parsed.selects:
            remove_load(zone, table, file.period, entry.load_id)
            id_index.remove_ids(zone, table, file.period, entry.load_id)
        raise
    return indexed


def _unique_columns(file: InboxFile, parsed: ParsedFile) -> dict[str, str]:
    """table -> its column unique across files, for the tables of this file that have one."""
    return {
        t.name: t.unique_across_files for t in file.feed.tables if t.unique_across_files and t.name in parsed.selects
    }


def _quarantine_repeats(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    state: ledger.LedgerState,
    file: InboxFile,
    parsed: ParsedFile,
    unique: dict[str, str],
) -> dict[str, Path]:
    """Rows whose id another period's current version already holds are quarantined, naming
    both files (issue 22): two records of one event cannot both be counted, and which one is
    right is the steward's call. The rest of the file loads."""
    for table, column in unique.items():
        batch = state.id_batches.setdefault(table, id_index.BatchIndex(state.current_loads()))
        found = id_index.repeats(zone, con, table, column, file.period, parsed.selects[table], batch)
        if not found:
            continue
        repeated = {r.id: r for r in found}
        ids = "[" + ", ".join(id_index.literal(i) for i in sorted(repeated)) + "]"
        cursor = con.execute(f"select * from ({parsed.selects[table]}) where list_contains({ids}, {column})")
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            values = dict(zip(names, row, strict=True))
            other = repeated[values[column]]
            message = (
                f"{column} {values[column]} is already loaded from {file.feed.file_name(other.other_period)} "
                f"(the current version of {other.other_period}); which record is right is the steward's call"
            )
            parsed.quarantined.append((None, values, Violation(f"duplicate_{column}_across_files", message)))
            parsed.rows_loaded -= 1
        parsed.selects[table] = f"select * from ({parsed.selects[table]}) where not list_contains({ids}, {column})"
        log.warning("%s: %d row(s) repeat ids of other files, quarantined", file.name, len(repeated))


def _commit(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    state: ledger.LedgerState,
    entry: ledger.LedgerEntry,
    file: InboxFile,
    clock: Clock,
) -> LoadOutcome:
    entry.finished_at = clock()
    ledger.commit(zone, con, entry)
    state.record(entry)
    return LoadOutcome(
        file.name,
        entry.source_family,
        file.period,
        entry.status,
        entry.rows_read,
        entry.rows_loaded,
        entry.rows_quarantined,
        entry.reason,
    )


def _write_quarantine(
    zone: RawZone, con: duckdb.DuckDBPyConnection, entry, file: InboxFile, quarantined, now: datetime
) -> None:
    if not quarantined:
        return
    frame = pd.DataFrame(
        [
            [
                entry.load_id,
                file.name,
                file.feed.name,
                file.period,
                line,
                violation.rule,
                scrub_text(
                    f"{file.feed.folder}/{file.name} line {line if line is not None else '?'}: {violation.message}"
                ),
                json.dumps(scrub_values(values), ensure_ascii=False, default=str),
                now,
            ]
            for line, values, violation in quarantined
        ],
        columns=list(QUARANTINE_COLUMNS),
    ).astype({"line_number": "Int64"})
    view = f"quarantine_{entry.load_id.replace('-', '_')}"
    con.register(view, frame)
    try:
        casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in QUARANTINE_COLUMNS.items())
        write_parquet(
            con, f"select {casts} from {view}", zone.quarantine_dir / f"{entry.load_id}.parquet", zone.tmp_dir
        )
    finally:
        con.unregister(view)


def record_unmatched(
    con: duckdb.DuckDBPyConnection,
    zone: RawZone,
    path: Path,
    inbox: Path,
    run_id: str | None = None,
    clock: Clock = system_clock,
    first_month: str | None = None,
) -> LoadOutcome:
    """A file not loaded (a name that matches no feed, a period that cannot be data, a link or a
    path outside the inbox): reported once (per content) in the ledger, never read when refused."""
    relative = inbox_name(path, inbox)
    sha256 = content_id(path, inbox, {})
    with ledger.feed_lock(zone, ledger.UNMATCHED):
        state = ledger.state_of(zone, ledger.UNMATCHED)
        if state.lookup(relative, sha256, "").already_handled:
            return LoadOutcome(relative, ledger.UNMATCHED, "", "skipped")
        reason = unmatched_reason(path, inbox, first_month)
        entry = ledger.LedgerEntry(
            load_id=str(uuid.uuid4()),
            file_name=relative,
            file_path=str(inbox / relative),
            source_family=ledger.UNMATCHED,
            period=None,
            sha256=sha256,
            size_bytes=path.lstat().st_size,
            status=ledger.STATUS_REJECTED,
            reason=reason,
            started_at=clock(),
            run_id=run_id,
        )
        entry.finished_at = entry.started_at
        ledger.commit(zone, con, entry)
    log.error("not loaded: %s: %s", relative, reason)
    return LoadOutcome(relative, ledger.UNMATCHED, "", ledger.STATUS_REJECTED, reason=reason)


def pending_files(
    zone: RawZone, files: list[InboxFile], unmatched: list[Path], inbox: Path, hash_cache_file: Path
) -> list[InboxFile | Path]:
    """Inbox files whose current content the ledger has not handled yet: the one rule of
    "what is new", for the runner and the inbox sensor alike. Hashes come from a size+mtime
    cache, so a no-op over a year of lookup logs reads no file."""
    handled = ledger.handled_files(zone)
    named = [(f.feed.name, f.name, f.path, f) for f in files] + [
        (ledger.UNMATCHED, inbox_name(p, inbox), p, p) for p in unmatched
    ]
    cache = ledger.load_hash_cache(hash_cache_file)
    hashes = {path: content_id(path, inbox, cache) for _, _, path, _ in named}
    if hash_cache_file.parent.exists():
        # Only the files still in the inbox (a refused path has no entry: it is never read).
        keys = [ledger.hash_cache_key(path) for path in hashes]
        kept = {key: cache[key] for key in keys if key in cache}
        hash_cache_file.write_text(json.dumps(kept))
    return [item for family, name, path, item in named if handled.get((family, name)) != hashes[path]]
