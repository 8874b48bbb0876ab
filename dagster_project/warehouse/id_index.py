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
import numpy as np

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


# Runs stop merging at this many keys (256 MB): the last merges of a year's first load would
# otherwise hold the whole batch twice (73 million keys), while probing a few more runs costs little.
RUN_CAP = 1 << 25


class BatchIndex:
    """The keys of the versions committed during one batch of loads of a feed, in memory, so
    a batch of N files (a first load: a year of days) checks each file against the others in
    O(log N) rather than reading the batch's index files again for every file. Sorted runs
    merged like a log-structured tree (up to RUN_CAP keys a run), each probed by binary search.

    Only the keys are held (8 bytes each): which version holds a key that matches is read
    from the batch's index files on disk, since a match is rare (a repeat, or a 64-bit
    collision). `before` is the current load of each period when the batch began: the index
    on disk answers for those (one streamed read per file, never held in memory)."""

    def __init__(self, before: dict[str, str], run_cap: int = RUN_CAP) -> None:
        self.before = dict(before)
        self.run_cap = run_cap
        self.added: dict[str, str] = {}  # load_id -> period of each version added
        self.runs: list[np.ndarray] = []  # each a run of sorted keys

    def add(self, keys: np.ndarray, load_id: str, period: str) -> None:
        self.added[load_id] = period
        if not len(keys):
            return
        run = np.sort(keys.astype(np.uint64))
        while self.runs and len(self.runs[-1]) <= len(run) and len(self.runs[-1]) + len(run) <= self.run_cap:
            run = np.concatenate([self.runs.pop(), run])
            run.sort(kind="stable")  # two sorted runs: a merge, in place
        self.runs.append(run)

    def held(self, keys: np.ndarray) -> np.ndarray:
        """Positions in keys of the keys that some added version holds (of any period)."""
        # Probed in key order: each binary search then starts where the last one ended, in
        # memory the cache still holds (random order: ~20 cache misses per key and run).
        order = np.argsort(keys)
        probe = keys[order].astype(np.uint64)
        hit = np.zeros(len(keys), dtype=bool)
        for run in self.runs:
            at = np.minimum(np.searchsorted(run, probe), len(run) - 1)
            hit[order] |= run[at] == probe
        return np.flatnonzero(hit)

    def loads_of_other_periods(self, period: str) -> set[str]:
        return {load_id for load_id, other in self.added.items() if other != period}

    @property
    def periods(self) -> set[str]:
        return set(self.added.values())


def keys_of(con: duckdb.DuckDBPyConnection, path: Path) -> np.ndarray:
    return con.execute("select id_key from read_parquet(?)", [str(path)]).fetchnumpy()["id_key"]


def repeats(
    zone: RawZone,
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    period: str,
    select_sql: str,
    batch: BatchIndex,
) -> list[Repeat]:
    """Ids of select_sql (the new version of `period`) that the current version of another
    period holds: the versions current before the batch through the index on disk, those
    loaded in the batch through `batch` (and their index files for the rare key it holds)."""
    key = KEY_SQL.format(column=column)
    con.execute(
        f"create or replace temp table new_ids as select distinct {column} as id, {key} as id_key from ({select_sql})"
    )
    try:
        before = {load_id for p, load_id in batch.before.items() if p != period and p not in batch.periods}
        candidates = _in_index_files(zone, con, table, before, compacted=True)
        held = batch.held(con.execute("select id_key from new_ids").fetchnumpy()["id_key"])
        if len(held):
            # The batch's versions have files of their own: compaction waits for the feed's lock.
            others = batch.loads_of_other_periods(period)
            candidates += _in_index_files(zone, con, table, others, compacted=False)
        return _confirmed(zone, con, table, column, candidates)
    finally:
        con.execute("drop table if exists new_ids")


def _in_index_files(
    zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, loads: set[str], compacted: bool
) -> list[tuple[str, str, str]]:
    """(id, load_id, period) of each key match of new_ids in the index files of the given loads
    (with `compacted`, also in the folded files, which hold many)."""
    files = [
        f
        for f in _files(zone, table)
        if Path(f).stem in loads or (compacted and Path(f).name.startswith(COMPACTED_PREFIX))
    ]
    if not loads or not files:
        return []
    con.execute(
        "create or replace temp table other_loads as select unnest(cast(? as varchar[])) as load_id", [sorted(loads)]
    )
    try:
        return con.execute(
            """
            select n.id, i.load_id, i.period
            from new_ids as n
            inner join read_parquet(?) as i on n.id_key = i.id_key
            inner join other_loads as o on i.load_id = o.load_id
            """,
            [files],
        ).fetchall()
    finally:
        con.execute("drop table if exists other_loads")


def _confirmed(
    zone: RawZone, con: duckdb.DuckDBPyConnection, table: str, column: str, candidates: list[tuple[str, str, str]]
) -> list[Repeat]:
    """The key matches whose id really is in the other version's rows (one small read each)."""
    found = []
    by_load: dict[tuple[str, str], list[str]] = {}
    for id_, load_id, period in candidates:
        by_load.setdefault((load_id, period), []).append(id_)
    for (load_id, period), ids in sorted(by_load.items()):
        # Its folder, or its month's folded file (compaction.py).
        rows = zone.version_rows_sql(table, period, load_id)
        held = {
            r[0] for r in con.execute(f"select {column} from {rows} where list_contains(?, {column})", [ids]).fetchall()
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
        if not index_path(zone, table, period, load_id).exists():
            rows = zone.version_rows_sql(table, period, load_id)
            write_ids(zone, con, table, column, period, load_id, f"select {column} from {rows}")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def remove_ids(zone: RawZone, table: str, period: str, load_id: str) -> None:
    index_path(zone, table, period, load_id).unlink(missing_ok=True)


def drop_index(zone: RawZone, table: str) -> None:
    """Forget the index (it is rebuilt from the raw zone by ensure_built)."""
    shutil.rmtree(table_dir(zone, table), ignore_errors=True)
