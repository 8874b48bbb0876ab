"""Load inbox files into the raw schema: idempotent, restating whole periods
atomically, quarantining bad rows and rejecting bad files, always through the
ledger. Pure of Dagster, so tests and benchmarks call it directly."""

from __future__ import annotations

import csv
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import duckdb
import pandas as pd

from dagster_project.lib import ledger
from dagster_project.lib.csv_io import FileRejected, read_csv
from dagster_project.lib.inbox import InboxFile
from dagster_project.lib.rules import SPECS, CsvSpec, FileContext, Violation, check_rows
from dagster_project.lib.settings import SEEDS_DIR

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


@cache
def known_municipality_codes() -> frozenset[str]:
    """Every code of the 2019, 2020-2023 and 2024 structures, and 9999: the correspondence seed's sources."""
    with (SEEDS_DIR / "municipality_code_map.csv").open(encoding="utf-8") as f:
        return frozenset(row["source_code"] for row in csv.DictReader(f))


@cache
def manual_measure_ids() -> frozenset[str]:
    with (SEEDS_DIR / "measure_catalog.csv").open(encoding="utf-8") as f:
        return frozenset(row["measure_id"] for row in csv.DictReader(f) if row["source"] == "manual")


@cache
def catalog_ids() -> frozenset[str]:
    """Every measure_id and indicator_id: what a steward comment may be about."""
    with (SEEDS_DIR / "measure_catalog.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return frozenset(row["measure_id"] for row in rows) | frozenset(row["indicator_id"] for row in rows)


def raw_table_ddl(table: str, spec: CsvSpec) -> str:
    columns = ",\n    ".join(f"{c} varchar" for c in spec.columns)
    return f"""
    create table if not exists {table} (
        load_id varchar not null,
        file_period varchar not null,
        source_line bigint not null,
        {columns}
    )"""


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, families: Iterable) -> None:
    """Create the ledger and every raw table, so dbt sources exist before the first file arrives."""
    from dagster_project.lib.lookups import ensure_raw_table as ensure_lookup_table
    from dagster_project.lib.surveys import ensure_raw_tables as ensure_survey_tables

    ledger.ensure_ledger(con)
    for family in families:
        if family.name in SPECS:
            con.execute(raw_table_ddl(family.raw_table, SPECS[family.name]))
    ensure_lookup_table(con)
    ensure_survey_tables(con)


@dataclass
class ParsedFile:
    """A file read and checked, not yet written: what the transaction needs."""

    encoding: str | None
    rows_read: int
    rows_loaded: int
    quarantined: list[tuple[int | None, dict, Violation]]
    insert: Callable[[duckdb.DuckDBPyConnection, str], None]  # (connection, load_id): write the valid rows
    cleanup: Callable[[duckdb.DuckDBPyConnection], None] = lambda con: None


def parse_csv(con: duckdb.DuckDBPyConnection, file: InboxFile) -> ParsedFile:
    spec = SPECS[file.family.name]
    ctx = FileContext(file.name, file.period, known_municipality_codes(), manual_measure_ids(), catalog_ids())
    table = read_csv(file.path, spec.columns)
    valid, quarantined = check_rows(table, spec, ctx)
    columns = ["load_id", "file_period", "source_line", *spec.columns]

    def insert(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
        if not valid:
            return
        frame = pd.DataFrame(
            [[load_id, file.period, row.line_number, *(row.values[c] for c in spec.columns)] for row in valid],
            columns=columns,
            dtype="object",
        )
        con.register("incoming_rows", frame)
        con.execute(
            f"insert into {file.family.raw_table} ({', '.join(columns)}) select {', '.join(columns)} from incoming_rows"
        )
        con.unregister("incoming_rows")

    return ParsedFile(table.encoding, len(table.rows) + len(table.malformed), len(valid), quarantined, insert)


def _parse_lookups(con: duckdb.DuckDBPyConnection, file: InboxFile) -> ParsedFile:
    from dagster_project.lib.lookups import parse_lookups  # imported late: lookups imports this module

    return parse_lookups(con, file)


def _parse_survey(con: duckdb.DuckDBPyConnection, file: InboxFile) -> ParsedFile:
    from dagster_project.lib.surveys import parse_survey  # imported late: surveys imports this module

    return parse_survey(con, file)


# How each family of the inbox is read; the families with a parser are the ones ingestion loads.
PARSERS: dict[str, Callable[[duckdb.DuckDBPyConnection, InboxFile], ParsedFile]] = {
    **dict.fromkeys(SPECS, parse_csv),
    "kj_lookups": _parse_lookups,
    "survey_citizens": _parse_survey,
    "survey_personnel": _parse_survey,
}
LOADABLE_FAMILIES = frozenset(PARSERS)


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    files: list[InboxFile],
    run_id: str | None = None,
    workers: int = 1,
    progress: Callable[[int], None] = lambda done: None,
) -> list[LoadOutcome]:
    """ingest_file for each file, `workers` at a time, outcomes in the order of files.

    Each worker has its own connection (a DuckDB cursor) to the same database, so
    its own temp tables and transactions; DuckDB runs their statements in parallel
    without the GIL, and concurrent appends to one table do not conflict. A gzip
    file is read by one thread, so this is what puts the second core to work.
    """
    if workers <= 1 or len(files) <= 1:
        outcomes = []
        for file in files:
            outcomes.append(ingest_file(con, file, run_id))
            progress(len(outcomes))
        return outcomes
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []

    def ingest_on_own_cursor(file: InboxFile) -> LoadOutcome:
        if not hasattr(local, "con"):
            local.con = con.cursor()
            cursors.append(local.con)
        return ingest_file(local.con, file, run_id)

    outcomes = []
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
            for outcome in pool.map(ingest_on_own_cursor, files):
                outcomes.append(outcome)
                progress(len(outcomes))
    finally:
        for cursor in cursors:
            cursor.close()
    return outcomes


def ingest_file(con: duckdb.DuckDBPyConnection, file: InboxFile, run_id: str | None = None) -> LoadOutcome:
    """Load one inbox file: no-op, load, restatement or rejection, always through the ledger."""
    family = file.family
    started_at = datetime.now()
    sha256 = ledger.sha256_of(file.path)
    known = ledger.lookup(con, family.name, file.name, sha256, file.period)
    if known.already_handled:
        return LoadOutcome(file.name, family.name, file.period, "skipped")

    entry = ledger.LedgerEntry(
        load_id=str(uuid.uuid4()),
        file_name=file.name,
        file_path=str(file.path),
        source_family=family.name,
        period=file.period,
        sha256=sha256,
        size_bytes=file.path.stat().st_size,
        encoding=None,
        rows_read=0,
        rows_loaded=0,
        rows_quarantined=0,
        status=ledger.STATUS_UNCHANGED,
        reason=None,
        is_current=False,
        started_at=started_at,
        finished_at=started_at,
        run_id=run_id,
    )
    if known.loaded_before:
        entry.reason = "content identical to an earlier, superseded version of this period: a no-op (inputs.md)"
        entry.finished_at = datetime.now()
        ledger.record(con, entry)
        return LoadOutcome(file.name, family.name, file.period, entry.status, reason=entry.reason)

    try:
        parsed = PARSERS[family.name](con, file)
    except FileRejected as rejection:
        return _reject(con, entry, file, rejection)

    entry.encoding = parsed.encoding
    entry.rows_read = parsed.rows_read
    entry.rows_loaded = parsed.rows_loaded
    entry.rows_quarantined = len(parsed.quarantined)
    # Nothing may disappear between reading and loading.
    assert entry.rows_read == entry.rows_loaded + entry.rows_quarantined, file.name
    entry.status = ledger.STATUS_RESTATED if known.current_load_id else ledger.STATUS_LOADED
    entry.is_current = True

    # One transaction: a crash anywhere in here leaves the previous version of the period in place.
    con.execute("begin transaction")
    try:
        if known.current_load_id:
            for table in (family.raw_table, *family.extra_tables):
                con.execute(f"delete from {table} where load_id = ?", [known.current_load_id])
            ledger.supersede(con, known.current_load_id, entry.load_id)
        parsed.insert(con, entry.load_id)
        _quarantine(con, entry, file, parsed.quarantined)
        entry.finished_at = datetime.now()
        ledger.record(con, entry)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        parsed.cleanup(con)
    if parsed.quarantined:
        line, _, violation = parsed.quarantined[0]
        log.warning(
            "%s: %d row(s) quarantined, first: line %s, %s", file.name, len(parsed.quarantined), line, violation.message
        )
    return LoadOutcome(
        file.name, family.name, file.period, entry.status, entry.rows_read, entry.rows_loaded, entry.rows_quarantined
    )


def _reject(con: duckdb.DuckDBPyConnection, entry: ledger.LedgerEntry, file: InboxFile, rejection: FileRejected):
    entry.status = ledger.STATUS_REJECTED
    entry.reason = f"{rejection.rule}: {rejection.message}"
    entry.finished_at = datetime.now()
    ledger.record(con, entry)
    log.error("rejected %s/%s: %s", file.family.folder, file.name, entry.reason)
    return LoadOutcome(file.name, file.family.name, file.period, entry.status, reason=entry.reason)


def _quarantine(con: duckdb.DuckDBPyConnection, entry: ledger.LedgerEntry, file: InboxFile, quarantined) -> None:
    if not quarantined:
        return
    now = datetime.now()
    con.executemany(
        """
        insert into raw.quarantine
            (load_id, file_name, source_family, period, line_number, rule, message, raw_values, quarantined_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            [
                entry.load_id,
                file.name,
                file.family.name,
                file.period,
                line,
                violation.rule,
                f"{file.family.folder}/{file.name} line {line if line is not None else '?'}: {violation.message}",
                json.dumps(values, ensure_ascii=False),
                now,
            ]
            for line, values, violation in quarantined
        ],
    )


def record_unmatched(con: duckdb.DuckDBPyConnection, path, inbox, run_id: str | None = None) -> LoadOutcome:
    """A file whose name matches no pattern: never loaded, reported once in the ledger."""
    sha256 = ledger.sha256_of(path)
    relative = path.relative_to(inbox).as_posix()
    known = ledger.lookup(con, "unmatched", relative, sha256, "")
    if known.already_handled:
        return LoadOutcome(relative, "unmatched", "", "skipped")
    now = datetime.now()
    reason = "file_name: matches no file pattern of the input contract (inputs.md); not loaded"
    ledger.record(
        con,
        ledger.LedgerEntry(
            str(uuid.uuid4()),
            relative,
            str(path),
            "unmatched",
            None,
            sha256,
            path.stat().st_size,
            None,
            0,
            0,
            0,
            ledger.STATUS_REJECTED,
            reason,
            False,
            now,
            now,
            run_id,
        ),
    )
    log.error("not loaded: %s: %s", relative, reason)
    return LoadOutcome(relative, "unmatched", "", ledger.STATUS_REJECTED, reason=reason)
