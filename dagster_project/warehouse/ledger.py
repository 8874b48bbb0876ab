"""The load ledger: append-only, one Parquet file per file handled, the commit point
of every load. The only SQL on the ledger is in this module (and, for dbt, in
the staging model stg_ingestion__file_loads, which applies the same rule).

What is current is derived, never updated in place: a load is current when it
loaded rows (status loaded or restated) and no later entry supersedes it. A
restatement's entry names the load it supersedes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from filelock import UnixFileLock

from dagster_project.feeds.hostile import scrub_identifiers
from dagster_project.warehouse.damaged import DamagedRawFile, damaged_file
from dagster_project.warehouse.raw_zone import RawZone, empty_select, write_parquet

STATUS_LOADED = "loaded"
STATUS_UNCHANGED = "unchanged"
STATUS_RESTATED = "restated"
STATUS_REJECTED = "rejected"
UNMATCHED = "unmatched"  # the source_family of files whose name matches no feed

COLUMNS = {
    "load_id": "varchar",
    "file_name": "varchar",
    "file_path": "varchar",
    "source_family": "varchar",  # the feed's name
    "period": "varchar",
    "sha256": "varchar",
    "size_bytes": "bigint",
    "encoding": "varchar",
    "rows_read": "bigint",
    "rows_loaded": "bigint",
    "rows_quarantined": "bigint",
    "status": "varchar",  # loaded | unchanged | restated | rejected
    "reason": "varchar",
    "supersedes": "varchar",  # load_id of the version this restatement replaced
    "started_at": "timestamp with time zone",
    "finished_at": "timestamp with time zone",
    "run_id": "varchar",
}


@dataclass
class LedgerEntry:
    load_id: str
    file_name: str
    file_path: str
    source_family: str
    period: str | None
    sha256: str
    size_bytes: int
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    status: str = STATUS_UNCHANGED
    reason: str | None = None
    supersedes: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    run_id: str | None = None


# A closed month's entries folded into one file (warehouse/compaction.py); its name carries
# the digest of the entry-file names it holds, so state_fingerprint does not change.
COMPACTED_PREFIX = "compacted-"


def entry_file_name(finished_at: datetime, load_id: str) -> str:
    """The name of an entry's own file (derived from the entry, so compaction can recompute it).
    A time without a zone (an entry migrated from the earlier layout) is read as UTC."""
    instant = finished_at if finished_at.tzinfo else finished_at.replace(tzinfo=UTC)
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%S%f}-{load_id}.parquet"


def _name_value(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest())


def names_digest(names: list[str]) -> str:
    """An order-free digest of a set of entry-file names: the sum of their hashes, mod 2**256."""
    return f"{sum(_name_value(n) for n in set(names)) % (1 << 256):064x}"


def _ledger_glob(zone: RawZone) -> str:
    return str(zone.ledger_dir / "*.parquet")


def ensure(zone: RawZone, con: duckdb.DuckDBPyConnection) -> None:
    """The ledger's zero-row schema file, so it can be read before the first entry."""
    schema = zone.ledger_dir / "_schema.parquet"
    if not schema.exists():
        write_parquet(con, empty_select(COLUMNS), schema, zone.tmp_dir)


def commit(zone: RawZone, con: duckdb.DuckDBPyConnection, entry: LedgerEntry) -> None:
    """Append the entry: the moment the file version it describes becomes part of the warehouse."""
    values = asdict(entry)
    select = "select " + ", ".join(f"cast(${c} as {t}) as {c}" for c, t in COLUMNS.items())
    con.execute(f"create or replace temp table ledger_entry as {select}", values)
    name = entry_file_name(entry.finished_at, entry.load_id)
    write_parquet(con, "select * from ledger_entry", zone.ledger_dir / name, zone.tmp_dir)
    con.execute("drop table ledger_entry")


# --------------------------------------------------------------------------- reading

# The ledger with what is derived from it: is_current and superseded_by.
LEDGER_VIEW = """
with entries as (
    -- Each entry once: a compaction killed between writing its file and removing the
    -- entries it folded leaves both for a moment (warehouse/compaction.py).
    select * from read_parquet('{glob}', union_by_name = true)
    qualify row_number() over (partition by load_id order by finished_at) = 1
),
superseding as (
    select supersedes as load_id, min(load_id) as superseded_by
    from entries where supersedes is not null group by supersedes
)
select
    e.*,
    e.status in ('loaded', 'restated') and s.superseded_by is null as is_current,
    s.superseded_by
from entries as e
left join superseding as s on e.load_id = s.load_id
"""


# Tables with a view of every committed version, superseded ones included (raw.<table>__versions):
# their checks compare a restatement with the version it replaced (expectations/raw__<table>.sql,
# issue 22). Only where a check needs it: binding the view reads every version's footer.
VERSIONED_TABLES = frozenset({"helsenorge_usage"})


def attach(zone: RawZone, con: duckdb.DuckDBPyConnection, tables: dict[str, dict[str, str]]) -> None:
    """Make the raw zone readable on con as catalog `raw`: raw.load_ledger, raw.quarantine
    (rows of committed loads), raw.<table> (the current version of every period, with
    load_id and file_period) and raw.<table>__versions (VERSIONED_TABLES), so checks,
    publication and the steward query it by name."""
    try:
        _attach_views(zone, con, tables)
    except duckdb.Error as err:
        damaged = damaged_file(err, zone)
        if damaged is None:
            raise
        raise DamagedRawFile(damaged) from None


def _attach_views(zone: RawZone, con: duckdb.DuckDBPyConnection, tables: dict[str, dict[str, str]]) -> None:
    con.execute("attach if not exists ':memory:' as raw")
    con.execute(f"create or replace view raw.load_ledger as {LEDGER_VIEW.format(glob=_ledger_glob(zone))}")
    con.execute(
        f"""
        create or replace view raw.quarantine as
        select * from read_parquet('{zone.quarantine_dir / "*.parquet"}', union_by_name = true)
        where load_id in (select load_id from raw.load_ledger)
        """
    )
    for table, columns in tables.items():
        con.execute(
            f"""
            create or replace view raw.{table} as
            select load_id, period as file_period, {", ".join(columns)}
            from {zone.read_table_sql(table)}
            where load_id in (select load_id from raw.load_ledger where is_current)
            """
        )
        if table not in VERSIONED_TABLES:
            continue
        con.execute(
            f"""
            create or replace view raw.{table}__versions as
            select load_id, period as file_period, {", ".join(columns)}
            from {zone.read_table_sql(table)}
            where load_id in (select load_id from raw.load_ledger)
            """
        )


def _rows(con: duckdb.DuckDBPyConnection, zone: RawZone, sql: str, params: list | None = None) -> list[tuple]:
    con.execute("attach if not exists ':memory:' as raw")
    try:
        # Creating the view reads the files' schemas: a damaged file fails here already.
        con.execute(f"create or replace view raw.load_ledger as {LEDGER_VIEW.format(glob=_ledger_glob(zone))}")
        return con.execute(sql, params or []).fetchall()
    except duckdb.Error as err:
        # A ledger file truncated by hand: named with the way out, not a traceback (issue 22).
        damaged = damaged_file(err, zone)
        if damaged is None:
            raise
        raise DamagedRawFile(damaged) from None


@contextmanager
def _connection(con: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    if con is not None:
        yield con
        return
    own = duckdb.connect()
    try:
        yield own
    finally:
        own.close()


def has_entries(zone: RawZone) -> bool:
    return zone.ledger_dir.exists() and any(p.name != "_schema.parquet" for p in zone.ledger_dir.iterdir())


def handled_files(zone: RawZone, con: duckdb.DuckDBPyConnection | None = None) -> dict[tuple[str, str], str]:
    """(feed, file name) -> sha256 of the content the ledger last handled for it."""
    if not has_entries(zone):
        return {}
    with _connection(con) as c:
        rows = _rows(
            c,
            zone,
            "select source_family, file_name, arg_max(sha256, finished_at) from raw.load_ledger "
            "group by source_family, file_name",
        )
    return {(family, name): sha for family, name, sha in rows}


def state_fingerprint(zone: RawZone) -> str:
    """What the ledger holds, cheaply: its entry files (append-only, so their names suffice),
    as an order-free digest in which a compacted file counts as the entries it folded."""
    if not zone.ledger_dir.exists():
        return ""
    total = 0
    for path in zone.ledger_dir.glob("*.parquet"):
        if path.name.startswith(COMPACTED_PREFIX):
            total += int(path.stem.rsplit("-", 1)[1], 16)
        else:
            total += _name_value(path.name)
    return f"{total % (1 << 256):064x}"


def inconsistent_loads(zone: RawZone, families: list[str]) -> list[tuple[str, int, int, int]]:
    """Ledger entries of the feeds where rows read != rows loaded + rows quarantined (must be none)."""
    with _connection(None) as c:
        return _rows(
            c,
            zone,
            "select file_name, rows_read, rows_loaded, rows_quarantined from raw.load_ledger "
            "where list_contains(?, source_family) and rows_read <> rows_loaded + rows_quarantined",
            [families],
        )


def rejected_files(zone: RawZone, families: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(feed, file name, reason) of every file whose latest ledger entry is a rejection: its
    period keeps its previous data until a good version arrives."""
    if not has_entries(zone):
        return []
    with _connection(None) as c:
        rows = _rows(
            c,
            zone,
            """
            select source_family, file_name, reason from (
                select *, row_number() over (partition by source_family, file_name order by finished_at desc) as rank
                from raw.load_ledger
            )
            where rank = 1 and status = 'rejected'
            order by source_family, file_name
            """,
        )
    return [r for r in rows if families is None or r[0] in families]


def last_loaded(zone: RawZone, families: list[str]) -> datetime | None:
    """When a file of these feeds was last loaded or restated (their delivery cadence's clock)."""
    if not has_entries(zone):
        return None
    with _connection(None) as c:
        [(latest,)] = _rows(
            c,
            zone,
            "select max(finished_at) from raw.load_ledger "
            "where list_contains(?, source_family) and status in ('loaded', 'restated')",
            [families],
        )
    return latest


def quarantine_summary(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(feed, file, rule, rows, first line, a message) of the rows quarantined from the current
    file versions, on a connection with the raw zone attached."""
    return con.execute(
        """
        select q.source_family, q.file_name, q.rule, count(*), min(q.line_number), any_value(q.message)
        from raw.quarantine as q
        inner join raw.load_ledger as l on q.load_id = l.load_id
        where l.is_current
        group by q.source_family, q.file_name, q.rule
        order by q.source_family, q.file_name, q.rule
        """
    ).fetchall()


def current_loads_summary(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(files, rows quarantined) of the current loads, on a connection with the raw zone attached."""
    return con.execute(
        "select count(*), coalesce(sum(rows_quarantined), 0) from raw.load_ledger where is_current"
    ).fetchone()


def first_current_period_not_in(con: duckdb.DuckDBPyConnection, family: str, published_load_ids_sql: str) -> str | None:
    """The earliest period of `family` whose current load is not among the given load ids."""
    [(first,)] = con.execute(
        f"""
        select min(period) from raw.load_ledger
        where source_family = ? and is_current and load_id not in ({published_load_ids_sql})
        """,
        [family],
    ).fetchall()
    return first


def sweep(zone: RawZone, retention_days: int | None, now: datetime) -> list[Path]:
    """Remove from the raw zone what no one may need: file versions superseded more than
    `retention_days` ago (None keeps every version; their ledger entries always stay), and
    versions no ledger entry names (a load that died before its commit) once a day old."""
    if not has_entries(zone):
        return []
    with _connection(None) as c:
        known = {
            r[0]: r[1:]
            for r in _rows(
                c,
                zone,
                """
            select l.load_id, l.is_current, s.finished_at
            from raw.load_ledger as l left join raw.load_ledger as s on s.load_id = l.superseded_by
        """,
            )
        }
    removed = []
    for directory in zone.root.glob("*/period=*/load_id=*"):
        load_id = directory.name.removeprefix("load_id=")
        if load_id == "none":
            continue  # the table's schema file
        if load_id not in known:
            expired = now.timestamp() - directory.stat().st_mtime > 86_400
        else:
            is_current, superseded_at = known[load_id]
            expired = (
                retention_days is not None
                and not is_current
                and superseded_at is not None
                and (now - superseded_at).days >= retention_days
            )
        if expired:
            shutil.rmtree(directory)
            removed.append(directory)
    return removed


# --------------------------------------------------------------------------- ingestion's view


@dataclass
class KnownFile:
    """What the ledger already knows about a file and its period.

    Content identity is per partition: two snapshot dates whose files happen
    to be identical are two partitions, both loaded.
    """

    already_handled: bool  # the last entry for this file name has this content: nothing to do
    loaded_before: bool  # this content was loaded for this period before (now superseded): a no-op
    current_load_id: str | None  # the load that holds the file's period now


@dataclass
class LedgerState:
    """The ledger of one feed in memory, for a batch of loads under the feed's lock."""

    latest_sha: dict[str, str] = field(default_factory=dict)  # file name -> sha256 of its last entry
    loaded: set[tuple[str, str]] = field(default_factory=set)  # (period, sha256) ever loaded
    current: dict[str, str] = field(default_factory=dict)  # period -> current load_id
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Held from checking a version's ids against the other periods' to its commit, so two
    # files of one batch never both miss each other's ids (warehouse/id_index.py).
    unique_ids_lock: threading.Lock = field(default_factory=threading.Lock)
    id_batches: dict = field(default_factory=dict)  # table -> id_index.BatchIndex of this batch

    def lookup(self, file_name: str, sha256: str, period: str) -> KnownFile:
        with self._lock:
            return KnownFile(
                already_handled=self.latest_sha.get(file_name) == sha256,
                loaded_before=(period, sha256) in self.loaded,
                current_load_id=self.current.get(period),
            )

    def current_loads(self) -> dict[str, str]:
        with self._lock:
            return dict(self.current)

    def record(self, entry: LedgerEntry) -> None:
        with self._lock:
            self.latest_sha[entry.file_name] = entry.sha256
            if entry.status in (STATUS_LOADED, STATUS_RESTATED):
                self.loaded.add((entry.period or "", entry.sha256))
                self.current[entry.period or ""] = entry.load_id


def state_of(zone: RawZone, family: str) -> LedgerState:
    state = LedgerState()
    if not has_entries(zone):
        return state
    with _connection(None) as c:
        rows = _rows(
            c,
            zone,
            "select file_name, period, sha256, status, is_current, load_id from raw.load_ledger "
            "where source_family = ? order by finished_at",
            [family],
        )
    for file_name, period, sha, status, is_current, load_id in rows:
        state.latest_sha[file_name] = sha
        if status in (STATUS_LOADED, STATUS_RESTATED):
            state.loaded.add((period or "", sha))
        if is_current:
            state.current[period or ""] = load_id
    return state


@contextmanager
def feed_lock(zone: RawZone, family: str) -> Iterator[None]:
    """One process at a time loads a feed, so that its ledger decisions (what is current,
    what a restatement supersedes) are consistent; other feeds load meanwhile."""
    zone.locks_dir.mkdir(parents=True, exist_ok=True)
    # An flock (filelock's UnixFileLock): a loader killed with -9 releases it with its process.
    with UnixFileLock(str(zone.locks_dir / f"{family}.lock")):
        yield


# --------------------------------------------------------------------------- content hashes


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_cached_by_stat(path: Path, cache: dict[str, list]) -> tuple[str, bool]:
    """sha256 of path, from cache when its size and mtime are as recorded there, else hashed.

    cache maps hash_cache_key(path) to [size, mtime_ns, sha256] and is updated; the bool says
    whether the file was read.
    """
    stat = path.stat()
    key = hash_cache_key(path)
    known = cache.get(key)
    if known and known[:2] == [stat.st_size, stat.st_mtime_ns]:
        return known[2], False
    sha = sha256_of(path)
    cache[key] = [stat.st_size, stat.st_mtime_ns, sha]
    return sha, True


def hash_cache_key(path: Path) -> str:
    """The cache's key for a path: the path with a fødselsnummer in a file name pseudonymised
    (the cache is a file the run writes; the pseudonym is the same each run)."""
    return scrub_identifiers(str(path))


def load_hash_cache(cache_file: Path) -> dict[str, list]:
    """The size+mtime hash cache; a damaged one is rebuilt rather than stopping every run."""
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}
