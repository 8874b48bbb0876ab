"""The load ledger and quarantine tables in the working database (schema raw).

Every file seen gets one ledger row; every raw row carries the load_id of the
file load it came from, so a published number can be traced to its files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

LEDGER_DDL = """
create schema if not exists raw;
create table if not exists raw.load_ledger (
    load_id varchar primary key,
    file_name varchar not null,
    file_path varchar not null,
    source_family varchar not null,
    period varchar,
    sha256 varchar not null,
    size_bytes bigint not null,
    encoding varchar,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    status varchar not null,          -- loaded | unchanged | restated | rejected
    reason varchar,
    is_current boolean not null,      -- the version of its period that raw holds now
    superseded_by varchar,            -- load_id of the restatement that replaced it
    started_at timestamp not null,
    finished_at timestamp not null,
    run_id varchar
);
create table if not exists raw.quarantine (
    load_id varchar not null,
    file_name varchar not null,
    source_family varchar not null,
    period varchar,
    line_number bigint,
    rule varchar not null,
    message varchar not null,
    raw_values varchar,               -- JSON of the row as read, personal fields pseudonymised
    quarantined_at timestamp not null
);
"""

STATUS_LOADED = "loaded"
STATUS_UNCHANGED = "unchanged"
STATUS_RESTATED = "restated"
STATUS_REJECTED = "rejected"


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_DDL)


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_cached_by_stat(path: Path, cache: dict[str, list]) -> tuple[str, bool]:
    """sha256 of path, from cache when its size and mtime are as recorded there, else hashed.

    cache maps str(path) to [size, mtime_ns, sha256] and is updated; the bool says whether
    the file was read. The inbox sensor and the runner's no-op check share this rule.
    """
    stat = path.stat()
    known = cache.get(str(path))
    if known and known[:2] == [stat.st_size, stat.st_mtime_ns]:
        return known[2], False
    sha = sha256_of(path)
    cache[str(path)] = [stat.st_size, stat.st_mtime_ns, sha]
    return sha, True


@dataclass(frozen=True)
class KnownFile:
    """What the ledger already knows about a file and its period.

    Content identity is per partition: two snapshot dates whose files happen
    to be identical are two partitions, both loaded.
    """

    already_handled: bool  # the last ledger row for this file name has this content: nothing to do
    loaded_before: bool  # this content was loaded for this period before (now superseded): a no-op
    current_load_id: str | None  # the load that holds the file's period now


def lookup(con: duckdb.DuckDBPyConnection, family: str, file_name: str, sha256: str, period: str) -> KnownFile:
    latest = con.execute(
        """
        select sha256 from raw.load_ledger
        where source_family = ? and file_name = ?
        order by finished_at desc limit 1
        """,
        [family, file_name],
    ).fetchone()
    loaded = con.execute(
        """
        select count(*) from raw.load_ledger
        where source_family = ? and period = ? and sha256 = ? and status in (?, ?)
        """,
        [family, period, sha256, STATUS_LOADED, STATUS_RESTATED],
    ).fetchone()[0]
    current = con.execute(
        "select load_id from raw.load_ledger where source_family = ? and period = ? and is_current",
        [family, period],
    ).fetchone()
    return KnownFile(
        already_handled=latest is not None and latest[0] == sha256,
        loaded_before=loaded > 0,
        current_load_id=current[0] if current else None,
    )


@dataclass
class LedgerEntry:
    load_id: str
    file_name: str
    file_path: str
    source_family: str
    period: str | None
    sha256: str
    size_bytes: int
    encoding: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    status: str
    reason: str | None
    is_current: bool
    started_at: object
    finished_at: object
    run_id: str | None


def record(con: duckdb.DuckDBPyConnection, entry: LedgerEntry) -> None:
    con.execute(
        """
        insert into raw.load_ledger (
            load_id, file_name, file_path, source_family, period, sha256, size_bytes, encoding,
            rows_read, rows_loaded, rows_quarantined, status, reason, is_current, superseded_by,
            started_at, finished_at, run_id
        ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?)
        """,
        [
            entry.load_id,
            entry.file_name,
            entry.file_path,
            entry.source_family,
            entry.period,
            entry.sha256,
            entry.size_bytes,
            entry.encoding,
            entry.rows_read,
            entry.rows_loaded,
            entry.rows_quarantined,
            entry.status,
            entry.reason,
            entry.is_current,
            entry.started_at,
            entry.finished_at,
            entry.run_id,
        ],
    )


def supersede(con: duckdb.DuckDBPyConnection, old_load_id: str, new_load_id: str) -> None:
    con.execute(
        "update raw.load_ledger set is_current = false, superseded_by = ? where load_id = ?",
        [new_load_id, old_load_id],
    )


def inconsistent_loads(con: duckdb.DuckDBPyConnection, family: str) -> list[tuple[str, int, int, int]]:
    """Ledger rows of a family where rows read != rows loaded + rows quarantined (must be none)."""
    return con.execute(
        """
        select file_name, rows_read, rows_loaded, rows_quarantined
        from raw.load_ledger
        where source_family = ? and rows_read <> rows_loaded + rows_quarantined
        """,
        [family],
    ).fetchall()


def rejected_files(con: duckdb.DuckDBPyConnection, families: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(family, file name, reason) of every file whose latest ledger row is a rejection: its
    period keeps its previous data until a good version arrives."""
    rows = con.execute(
        """
        with latest as (
            select *, row_number() over (partition by source_family, file_name order by finished_at desc) as rank
            from raw.load_ledger
        )
        select source_family, file_name, reason from latest where rank = 1 and status = 'rejected'
        order by source_family, file_name
        """
    ).fetchall()
    return [r for r in rows if families is None or r[0] in families]
