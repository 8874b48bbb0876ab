"""The index of ids that must be unique across all files of a raw table (Table.unique_across_files:
kjernejournal's oppslag_id), so ingestion finds a repeat of an id from another file without
reading the table's history and no dbt test has to scan it (issue 26).

    <warehouse>/raw/_ids/<table>/month=<YYYY-MM>/<load_id>.parquet

One small file per file version, written before its ledger entry (invisible until then, like
the version itself), holding each id's 64-bit key (md5_number_lower: stable across DuckDB
versions, unlike hash()) with the load and period. What counts is the index of the CURRENT
load of each other period (the ledger decides, as for every raw row): a restated day's new
version replaces its ids, and a superseded version's ids no longer count. A key match is
confirmed on the ids themselves in the matching version's Parquet, so a 64-bit collision
never quarantines a row. compaction.py folds a closed month's index files into one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.warehouse.raw_zone import RawZone, write_parquet

KEY_SQL = "md5_number_lower({column})"
COMPACTED_PREFIX = "compacted-"  # a closed month's index files folded into one (compaction.py)


@dataclass(frozen=True)
class Repeat:
    """An id of the new file that another period's current version already holds."""

    id: str
    other_load_id: str
    other_period: str


def table_dir(zone: RawZone, table: str) -> Path:
    return zone.root / "_ids" / table


def index_path(zone: RawZone, table: str, period: str, load_id: str) -> Path:
    return table_dir(zone, table) / f"month={period[:7]}" / f"{load_id}.parquet"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _files(zone: RawZone, table: str) -> list[str]:
    return [str(p) for p in sorted(table_dir(zone, table).glob("month=*/*.parquet"))]


def write_ids(
    zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, column: str, period: str, load_id: str, select_sql: str
) -> Path:
    """The index file of one file version: its ids' keys, sorted (min/max pruning per row group)."""
    path = index_path(zone, table, period, load_id)
    key = KEY_SQL.format(column=column)
    select = (
        f"select {key} as id_key, {literal(load_id)} as load_id, {literal(period)} as period "
        f"from ({select_sql}) order by id_key"
    )
    write_parquet(con, select, path, zone.tmp_dir)
    return path


def repeats(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    period: str,
    select_sql: str,
    current: dict[str, str],
) -> list[Repeat]:
    """Ids of select_sql (the new version of `period`) that the current version of another
    period holds; `current` maps period -> current load_id (the ledger's, in memory)."""
    others = {load_id: p for p, load_id in current.items() if p != period}
    files = _files(zone, table)
    if not others or not files:
        return []
    key = KEY_SQL.format(column=column)
    con.execute(
        f"create or replace temp table new_ids as select distinct {column} as id, {key} as id_key from ({select_sql})"
    )
    try:
        candidates = con.execute(
            """
            select n.id, i.load_id, i.period
            from new_ids as n
            inner join read_parquet(?) as i on n.id_key = i.id_key
            where list_contains(?, i.load_id)
            """,
            [files, list(others)],
        ).fetchall()
        return _confirmed(zone, con, table, column, candidates)
    finally:
        con.execute("drop table if exists new_ids")


def _confirmed(
    zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, column: str, candidates: list[tuple[str, str, str]]
) -> list[Repeat]:
    """The key matches whose id really is in the other version's rows (one small read each)."""
    found = []
    by_load: dict[tuple[str, str], list[str]] = {}
    for id_, load_id, period in candidates:
        by_load.setdefault((load_id, period), []).append(id_)
    for (load_id, period), ids in sorted(by_load.items()):
        paths = [str(p) for p in zone.load_dir(table, period, load_id).glob("*.parquet")]
        if not paths:
            continue
        held = {
            r[0]
            for r in con.execute(
                f"select {column} from read_parquet(?) where list_contains(?, {column})", [paths, ids]
            ).fetchall()
        }
        found += [Repeat(i, load_id, period) for i in sorted(set(ids) & held)]
    return found


def ensure_built(
    zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, column: str, current: dict[str, str]
) -> None:
    """A warehouse loaded before the index existed gets it once, from the raw zone's current
    versions (one scan of the id column); afterwards every load writes its own file. The
    marker, written last, makes a build a kill interrupted start over where it stopped."""
    marker = table_dir(zone, table) / "_built"
    if marker.exists():
        return
    for period, load_id in sorted(current.items()):
        paths = [str(p) for p in zone.load_dir(table, period, load_id).glob("*.parquet")]
        if paths and not index_path(zone, table, period, load_id).exists():
            write_ids(zone, con, table, column, period, load_id, f"select {column} from read_parquet({paths!r})")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def remove_ids(zone: RawZone, table: str, period: str, load_id: str) -> None:
    index_path(zone, table, period, load_id).unlink(missing_ok=True)


def drop_index(zone: RawZone, table: str) -> None:
    """Forget the index (it is rebuilt from the raw zone by ensure_built)."""
    shutil.rmtree(table_dir(zone, table), ignore_errors=True)
