"""The raw zone: every accepted file version as immutable Parquet, Hive-partitioned,

    <warehouse>/raw/<table>/period=<p>/load_id=<id>/part-0.parquet
    <warehouse>/raw/_quarantine/<load_id>.parquet     rows set aside, with file, line and rule
    <warehouse>/raw/_ledger/<finished>-<load_id>.parquet   one entry per file handled (ledger.py)

Files are written under raw/_tmp and renamed into place; the ledger entry, written
last, is the commit point: a version no entry names is invisible and is removed by
`sweep`. Superseded versions stay on disk, traceable, until the retention setting
removes them. Types are ones every engine reads (text, bigint, UTC timestamps).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.warehouse.faults import resource_guard

# Each table has one zero-row file in this partition, so that a table exists (with its
# types) for dbt and every engine before its first file arrives. No ledger entry names it.
SCHEMA_PARTITION = "period=none/load_id=none"
QUARANTINE_COLUMNS = {
    "load_id": "varchar",
    "file_name": "varchar",
    "source_family": "varchar",
    "period": "varchar",
    "line_number": "bigint",
    "rule": "varchar",
    "message": "varchar",
    "raw_values": "varchar",  # JSON of the row as read, personal fields pseudonymised
    "quarantined_at": "timestamp with time zone",
}
HIVE_OPTIONS = "hive_partitioning = true, hive_types_autocast = false, union_by_name = true"


@dataclass(frozen=True)
class RawZone:
    root: Path  # <warehouse>/raw

    @property
    def ledger_dir(self) -> Path:
        return self.root / "_ledger"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "_quarantine"

    @property
    def locks_dir(self) -> Path:
        return self.root / "_locks"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "_tmp"

    def table_glob(self, table: str) -> str:
        return str(self.root / table / "*" / "*" / "*.parquet")

    def load_dir(self, table: str, period: str, load_id: str) -> Path:
        return self.root / table / f"period={period}" / f"load_id={load_id}"

    def read_table_sql(self, table: str) -> str:
        return f"read_parquet('{self.table_glob(table)}', {HIVE_OPTIONS})"


def empty_select(columns: dict[str, str]) -> str:
    return "select " + ", ".join(f"cast(null as {t}) as {c}" for c, t in columns.items()) + " limit 0"


def write_parquet(con: duckdb.DuckDBPyConnection, select_sql: str, path: Path, tmp_dir: Path) -> None:
    """select_sql's rows as path, atomically: written beside it under tmp_dir, then renamed."""
    tmp = tmp_dir / f"{os.getpid()}-{path.parent.name}-{path.name}"
    # A full disk is a resource failure naming the file, never a verdict on the inbox file,
    # and leaves no half-written file behind.
    try:
        with resource_guard(path):
            tmp_dir.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy ({select_sql}) to '{tmp}' (format parquet, compression zstd)")
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_load(
    zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, period: str, load_id: str, select_sql: str
) -> Path:
    """One table's rows of one file version, as raw/<table>/period=<p>/load_id=<id>/part-0.parquet."""
    path = zone.load_dir(table, period, load_id) / "part-0.parquet"
    write_parquet(con, select_sql, path, zone.tmp_dir)
    return path


def parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    return {row[0] for row in con.execute(f"describe select * from read_parquet('{path}')").fetchall()}


def ensure_tables(zone: RawZone, con: duckdb.DuckDBPyConnection, tables: dict[str, dict[str, str]]) -> None:
    """The zero-row schema file of every table and of the quarantine (written once, and again when
    a feed declares a column it lacks: an optional column added to a contract later, so older file
    versions read it as NULL)."""
    for name, columns in tables.items():
        path = zone.root / name / SCHEMA_PARTITION / "part-0.parquet"
        if not path.exists() or not set(columns) <= parquet_columns(con, path):
            write_parquet(con, empty_select(columns), path, zone.tmp_dir)
    schema = zone.quarantine_dir / "_schema.parquet"
    if not schema.exists():
        write_parquet(con, empty_select(QUARANTINE_COLUMNS), schema, zone.tmp_dir)


def remove_load(zone: RawZone, table: str, period: str, load_id: str) -> None:
    shutil.rmtree(zone.load_dir(table, period, load_id), ignore_errors=True)
