"""The raw zone: every accepted file version as immutable Parquet, Hive-partitioned,

    <warehouse>/raw/<table>/period=<p>/load_id=<id>/part-0.parquet
    <warehouse>/raw/<table>/_folded/<fold_id>.parquet   a closed month's daily versions in one file
    <warehouse>/raw/<table>/_folded_map/map.parquet     which version lives in which folded file
    <warehouse>/raw/_quarantine/<load_id>.parquet     rows set aside, with file, line and rule
    <warehouse>/raw/_ledger/<finished>-<load_id>.parquet   one entry per file handled (ledger.py)

Files are written under raw/_tmp and renamed into place; the ledger entry, written
last, is the commit point: a version no entry names is invisible and is removed by
`sweep`. Superseded versions stay on disk, traceable, until the retention setting
removes them. Types are ones every engine reads (text, bigint, UTC timestamps).

A closed month's daily versions are folded into one file (compaction.py) holding period and
load_id as columns (Hive folder values would override them) and fold_id. The map, one file
replaced atomically, is the switch: a version it names is read from its folded file (rows
of a folded file the map does not name are ignored), every other version from its folder.
So a kill between writing a folded file, replacing the map and removing what they replace
leaves each version readable exactly once (table_rows_sql, the one home of that rule).
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
FOLDED_DIR = "_folded"
FOLD_MAP_DIR = "_folded_map"
FOLD_MAP_COLUMNS = {"load_id": "varchar", "period": "varchar", "fold_id": "varchar"}
PARTITION_COLUMNS = {"period": "varchar", "load_id": "varchar"}  # the Hive folders' values


def table_rows_sql(root: str, table: str) -> str:
    """Every version's rows of a raw table, each once, with period and load_id (readers keep the
    versions the ledger names): the folders of versions the fold map does not name, and the folded files' rows of the
    versions it names. `root` is a path or dbt's `{{ var('raw_zone') }}`; DuckDB SQL (Spark
    builds the same union in macros/register_raw_zone.sql)."""
    fold_map = f"read_parquet('{root}/{table}/{FOLD_MAP_DIR}/*.parquet')"
    return (
        f"(select * from read_parquet('{root}/{table}/*/*/*.parquet', {HIVE_OPTIONS}) "
        f"where load_id not in (select load_id from {fold_map}) "
        "union all by name "
        f"select * exclude (fold_id) from read_parquet('{root}/{table}/{FOLDED_DIR}/*.parquet', union_by_name = true) "
        f"where fold_id in (select fold_id from {fold_map}))"
    )


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

    def folded_dir(self, table: str) -> Path:
        return self.root / table / FOLDED_DIR

    def fold_map_path(self, table: str) -> Path:
        return self.root / table / FOLD_MAP_DIR / "map.parquet"

    def read_table_sql(self, table: str) -> str:
        return table_rows_sql(str(self.root), table)

    def version_rows_sql(self, table: str, period: str, load_id: str) -> str:
        """One version's rows: its own folder while it has one, else its folded file's rows."""
        files = sorted(str(p) for p in self.load_dir(table, period, load_id).glob("*.parquet"))
        if files:
            return f"read_parquet({files!r})"
        quoted = "'" + load_id.replace("'", "''") + "'"
        return f"(select * from {self.read_table_sql(table)} where load_id = {quoted})"


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
        # The folded files' schema (their glob is never empty) and an empty fold map.
        folded = zone.folded_dir(name) / "_schema.parquet"
        if not folded.exists() or not set(columns) <= parquet_columns(con, folded):
            folded_columns = {**columns, **PARTITION_COLUMNS, "fold_id": "varchar"}
            write_parquet(con, empty_select(folded_columns), folded, zone.tmp_dir)
        if not zone.fold_map_path(name).exists():
            write_parquet(con, empty_select(FOLD_MAP_COLUMNS), zone.fold_map_path(name), zone.tmp_dir)
    schema = zone.quarantine_dir / "_schema.parquet"
    if not schema.exists():
        write_parquet(con, empty_select(QUARANTINE_COLUMNS), schema, zone.tmp_dir)


def remove_load(zone: RawZone, table: str, period: str, load_id: str) -> None:
    shutil.rmtree(zone.load_dir(table, period, load_id), ignore_errors=True)
