"""The working DuckDB database: dbt's models and the audit tables, nothing else (the raw
rows and the ledger live in the raw zone). This module owns its tables, opens it with
the raw zone attached, and migrates a warehouse of the earlier layout (raw rows and
ledger inside the database) into the raw zone on first run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from dagster_project.feeds.registry import raw_tables
from dagster_project.settings import WarehousePaths
from dagster_project.warehouse import ledger
from dagster_project.warehouse.raw_zone import QUARANTINE_COLUMNS, RawZone, write_load, write_parquet

log = logging.getLogger(__name__)

AUDIT_DDL = """
create schema if not exists audit;
create table if not exists audit.check_results (
    run_id varchar,
    checked_at timestamp not null,
    suite varchar not null,
    check_name varchar not null,
    table_name varchar not null,
    rule varchar not null,
    description varchar,
    severity varchar not null,       -- the severity that applied: error, warn (or warn by acceptance)
    passed boolean not null,
    failing_rows bigint not null,
    examples varchar,                -- JSON: a few failing rows (aggregates or pseudonymised values only)
    accepted_by varchar,
    acceptance_reason varchar,
    data_docs varchar
);
"""


def attach_raw_zone(paths: WarehousePaths, con: duckdb.DuckDBPyConnection) -> None:
    """The raw zone on con as catalog `raw` (raw.load_ledger, raw.quarantine, raw.<table>)."""
    ledger.attach(paths.raw_zone, con, {name: table.columns for name, table in raw_tables().items()})


def ensure_audit(paths: WarehousePaths, con: duckdb.DuckDBPyConnection) -> None:
    """audit.check_results, and audit.quarantine: every quarantined row with its load's status,
    a view over the raw zone's files that any DuckDB client opening the file can query."""
    con.execute(AUDIT_DDL)
    zone = paths.raw_zone
    con.execute(
        f"""
        create or replace view audit.quarantine as
        with load_ledger as ({ledger.LEDGER_VIEW.format(glob=zone.ledger_dir / "*.parquet")})
        select q.*, l.is_current, l.status as load_status
        from read_parquet('{zone.quarantine_dir / "*.parquet"}', union_by_name = true) as q
        inner join load_ledger as l on q.load_id = l.load_id
        """
    )


@contextmanager
def connect(paths: WarehousePaths, memory_limit: str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the working database with the raw zone attached; always closed, since
    dbt runs in a subprocess after us and DuckDB admits one writing process."""
    paths.root.mkdir(parents=True, exist_ok=True)
    if read_only:
        # A read-only DuckDB connection cannot hold the in-memory `raw` catalog: attach the file instead.
        con = duckdb.connect()
        con.execute(f"attach '{paths.working_db}' as working (read_only)")
        con.execute("use working")
    else:
        con = duckdb.connect(str(paths.working_db))
    try:
        con.execute("set memory_limit = ?", [memory_limit])
        attach_raw_zone(paths, con)
        yield con
    finally:
        con.close()


# --------------------------------------------------------------------------- migration

_LEGACY_FEED_NAMES = {"pll": "pll_monthly", "manual": "manual_observations"}


def _legacy_feed(family: str) -> str:
    return _LEGACY_FEED_NAMES.get(family, family)


def has_legacy_raw(paths: WarehousePaths) -> bool:
    if not paths.working_db.exists():
        return False
    con = duckdb.connect(str(paths.working_db), read_only=True)
    try:
        return _legacy_table_exists(con, "load_ledger")
    finally:
        con.close()


def migrate_legacy_raw(paths: WarehousePaths) -> bool:
    """Move a warehouse of the earlier layout into the raw zone, once: every current load's rows
    as its Parquet version, every ledger row as an entry (superseded_by becomes the later
    entry's supersedes), the quarantine, then drop schema raw. Idempotent: entries already
    in the raw zone are not written twice. True when something was migrated."""
    if not has_legacy_raw(paths):
        return False
    from dagster_project.warehouse.ingest import prepare  # the raw zone's schema files

    zone = paths.raw_zone
    con = duckdb.connect(str(paths.working_db))
    try:
        prepare(zone, con)
        done = {name.split("-", 1)[1].removesuffix(".parquet") for name in _entry_names(zone)}
        rows = con.execute("select * from raw.load_ledger order by finished_at").fetchdf().to_dict("records")
        supersedes = {r["superseded_by"]: r["load_id"] for r in rows if r.get("superseded_by")}
        for row in rows:
            if row["load_id"] in done:
                continue
            if row["is_current"]:
                _copy_version(con, zone, row)
            _copy_quarantine(con, zone, row["load_id"])
            entry = ledger.LedgerEntry(
                **{k: row.get(k) for k in ("load_id", "file_name", "file_path", "sha256", "size_bytes", "encoding")},
                source_family=_legacy_feed(row["source_family"]),
                period=row["period"],
                rows_read=row["rows_read"],
                rows_loaded=row["rows_loaded"],
                rows_quarantined=row["rows_quarantined"],
                status=row["status"],
                reason=row["reason"],
                supersedes=supersedes.get(row["load_id"]),
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                run_id=row["run_id"],
            )
            ledger.commit(zone, con, entry)
        con.execute("drop schema raw cascade")
        con.execute("drop view if exists audit.quarantine")
        con.execute("checkpoint")
    finally:
        con.close()
    log.warning("migrated %d ledger rows of %s into the raw zone %s", len(rows), paths.working_db, zone.root)
    return True


def _entry_names(zone: RawZone) -> list[str]:
    return [p.name for p in zone.ledger_dir.glob("*-*.parquet")] if zone.ledger_dir.exists() else []


def _copy_version(con: duckdb.DuckDBPyConnection, zone: RawZone, row: dict) -> None:
    feed_tables = {t.name: t.columns for t in raw_tables().values() if _legacy_table_exists(con, t.name)}
    for table, columns in feed_tables.items():
        [(count,)] = con.execute(f"select count(*) from raw.{table} where load_id = ?", [row["load_id"]]).fetchall()
        if not count:
            continue
        select = ", ".join(f"cast({c} as {t}) as {c}" for c, t in columns.items())
        write_load(
            zone,
            con,
            table,
            row["period"],
            row["load_id"],
            f"select {select} from raw.{table} where load_id = '{row['load_id']}'",
        )


def _legacy_table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?", [table]
        ).fetchone()[0]
    )


def _copy_quarantine(con: duckdb.DuckDBPyConnection, zone: RawZone, load_id: str) -> None:
    [(count,)] = con.execute("select count(*) from raw.quarantine where load_id = ?", [load_id]).fetchall()
    if not count:
        return
    renamed = " ".join(f"when '{old}' then '{new}'" for old, new in _LEGACY_FEED_NAMES.items())
    expressions = {
        **{c: c for c in QUARANTINE_COLUMNS},
        "source_family": f"case source_family {renamed} else source_family end",
    }
    select = ", ".join(f"cast({expressions[c]} as {t}) as {c}" for c, t in QUARANTINE_COLUMNS.items())
    write_parquet(
        con,
        f"select {select} from raw.quarantine where load_id = '{load_id}'",
        zone.quarantine_dir / f"{load_id}.parquet",
        zone.tmp_dir,
    )
