"""The status "as known" on a meeting date (indicators.md, "The council's meeting cycle"):
computed only from the file versions loaded on or before that date.

What a meeting date knew is the set of file versions loaded by the end of that day. When
it is the whole ledger (nothing loaded since: the usual case), the status as known is the
status as of, and nothing is built. Otherwise dbt builds the headline indicators' statuses
once more for each distinct set of loads, into a scratch DuckDB file, with var known_on set
to the last meeting date that knew exactly that set: the ledger rule "current" then picks
the versions current at the end of that day (macros/known_on.sql) from the raw zone's kept
versions. The statuses as of the meetings' status dates are kept as Parquet,
<warehouse>/known_status/known_<fingerprint>.parquet, named by what they were computed from
(the loads, the meetings and status dates, the dbt project), so they are recomputed only
when that changes; known_current.parquet lists the meetings that knew the whole ledger. A
meeting with no load by then has no row. The mart meeting_status reads them (staging
source `known`).

Most builds are not needed: a meeting's set of loads is usually the set the previous dbt build
of the warehouse was computed from (the run after a meeting is the first to load something
the meeting did not know). Each successful build on DuckDB leaves last_build.json (the
project's fingerprint and a digest of its loads); when a build would compute exactly that, its
statuses are copied from the working database's int_indicator_statuses_summarised instead, so
a meeting costs a query, not a rebuild of the lookup history (issue 26). The record is removed
before each build and written after it succeeds, so it never names a half-built table.

Only the ledger's entries and each row's load_id are relied on, never the raw zone's file
layout. A superseded version removed by retention (EHELSE_RAW_RETENTION_DAYS) cannot be read
again: statuses computed before it was swept are kept while their fingerprint holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.warehouse import ledger
from dagster_project.warehouse.raw_zone import RawZone, empty_select, write_parquet

log = logging.getLogger(__name__)

MEETINGS_TABLE = "meetings"  # the raw table of the moter/ feed (feeds/meetings)
SELECTOR = "+int_indicator_statuses_summarised"  # what a status needs, and nothing else
STATUS_MODEL = "int_indicator_statuses_summarised"
COLUMNS = {
    "known_on": "date",  # the meeting date
    "as_of_date": "date",  # a status date treated that day
    "indicator_id": "varchar",  # null on the rows of known_current.parquet
    "status": "varchar",
    "is_current_knowledge": "boolean",  # nothing loaded since: the status as known is the status as of
}
_DATA_STATUSES = ("loaded", "restated")  # entries whose rows can be current (ledger rule)
_PROJECT_INPUTS = ("dbt_project.yml", "models", "macros", "seeds")
LAST_BUILD_FILE = "last_build.json"  # what the working database's statuses were computed from


@dataclass(frozen=True)
class KnownBuild:
    """One "as known" computation: the meetings (date -> status dates) that knew one set of loads."""

    meetings: tuple[tuple[date, tuple[date, ...]], ...]
    fingerprint: str
    loads: str  # loads_digest of the loads its meetings knew

    @property
    def pairs(self) -> str:
        """Its (meeting, status date) pairs as a select of COLUMNS, statuses left empty."""
        return _values([(m, d, None, None, False) for m, dates in self.meetings for d in dates])

    @property
    def known_on(self) -> date:
        """The last of its meeting dates: the build's known_on and as-of date."""
        return max(meeting for meeting, _ in self.meetings)


def known_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / "known_status"


def knowledge_cutoff(known_on: date) -> datetime:
    """Loads that finished before this instant were known on known_on: the end of that day,
    UTC (the same cutoff as macros/known_on.sql)."""
    return datetime.combine(known_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def project_fingerprint(dbt_project_dir: Path, dbt_vars: dict[str, object]) -> str:
    """What a status depends on besides the data: the dbt project's files and the vars that
    change a value (not paths)."""
    digest = hashlib.sha256()
    for name in _PROJECT_INPUTS:
        path = dbt_project_dir / name
        for file in sorted([path] if path.is_file() else path.rglob("*")):
            if file.is_file():
                digest.update(str(file.relative_to(dbt_project_dir)).encode())
                digest.update(file.read_bytes())
    digest.update(json.dumps({"min_cell_count": dbt_vars.get("min_cell_count")}).encode())
    return digest.hexdigest()


def meetings_by_date(zone: RawZone) -> dict[date, tuple[date, ...]]:
    """Meeting date -> the status dates treated that day, from the register's current version."""
    con = duckdb.connect()
    try:
        ledger.attach(zone, con, {MEETINGS_TABLE: {"dato": "varchar", "statusdato": "varchar"}})
        rows = con.execute(f"select distinct dato, statusdato from raw.{MEETINGS_TABLE}").fetchall()
    except duckdb.IOException:
        return {}  # no register loaded yet
    finally:
        con.close()
    dates: dict[date, set[date]] = {}
    for meeting, status in rows:
        dates.setdefault(date.fromisoformat(meeting), set()).add(date.fromisoformat(status))
    return {meeting: tuple(sorted(status)) for meeting, status in sorted(dates.items())}


def loads_digest(load_ids: Iterable[str]) -> str:
    """One name for a set of loads, whatever their order."""
    return hashlib.sha256(json.dumps(sorted(load_ids)).encode()).hexdigest()


def data_loads(zone: RawZone) -> list[tuple[str, datetime]]:
    """(load_id, finished_at) of the ledger entries that brought rows (loaded or restated)."""
    con = duckdb.connect()
    try:
        ledger.attach(zone, con, {})
        statuses = ", ".join(f"'{s}'" for s in _DATA_STATUSES)
        return con.execute(
            f"select load_id, finished_at from raw.load_ledger where status in ({statuses}) order by load_id"
        ).fetchall()
    finally:
        con.close()


def plan_builds(
    meetings: dict[date, tuple[date, ...]], loads: list[tuple[str, datetime]], project: str
) -> tuple[list[KnownBuild], dict[date, tuple[date, ...]]]:
    """The builds to run (one per distinct set of loads some meeting knew, when that set is not
    the whole ledger) and the meetings that knew the whole ledger. A meeting that knew no
    load is in neither."""
    everything = frozenset(load_id for load_id, _ in loads)
    groups: dict[frozenset[str], list[tuple[date, tuple[date, ...]]]] = {}
    current: dict[date, tuple[date, ...]] = {}
    for meeting, status_dates in meetings.items():
        cutoff = knowledge_cutoff(meeting)
        known = frozenset(load_id for load_id, finished in loads if finished < cutoff)
        if not known:
            continue
        if known == everything:
            current[meeting] = status_dates
        else:
            groups.setdefault(known, []).append((meeting, status_dates))
    builds = []
    for known, grouped in groups.items():
        described = [project, sorted(known), [(m.isoformat(), [d.isoformat() for d in s]) for m, s in grouped]]
        fingerprint = hashlib.sha256(json.dumps(described).encode()).hexdigest()
        builds.append(KnownBuild(tuple(grouped), fingerprint, loads_digest(known)))
    return builds, current


def _parquet(directory: Path, build: KnownBuild) -> Path:
    return directory / f"known_{build.fingerprint[:32]}.parquet"


def _values(rows: list[tuple]) -> str:
    """A zero-or-more-row select of COLUMNS from Python values (dates, strings, booleans, None)."""

    def literal(value: object) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        return f"'{value}'"

    if not rows:
        return empty_select(COLUMNS)
    body = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
    casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in COLUMNS.items())
    return f"select {casts} from (values {body}) as v({', '.join(COLUMNS)})"


def run_known_build(
    build: KnownBuild, directory: Path, dbt_executable: str, dbt_project_dir: Path, dbt_vars: dict[str, object]
) -> float:
    """The headline statuses as known by build's meetings, as of their status dates, into
    <directory>/known_<fingerprint>.parquet; returns the seconds it took."""
    started = time.monotonic()
    scratch = directory / "_scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    build_vars = {
        **dbt_vars,
        "warehouse_dir": str(scratch),  # the scratch database; the raw zone stays the warehouse's
        "known_on": build.known_on.isoformat(),
        "as_of_date": build.known_on.isoformat(),
    }
    command = [
        dbt_executable,
        "build",
        "--select",
        SELECTOR,
        "--exclude-resource-type",
        "test",
        "unit_test",
        "--vars",
        json.dumps(build_vars),
        "--project-dir",
        str(dbt_project_dir),
        "--profiles-dir",
        str(dbt_project_dir),
        "--target",
        "duckdb",
        "--target-path",
        str(scratch / "target"),
        "--log-path",
        str(scratch / "logs"),
        "--quiet",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"the 'as known' build for {build.known_on} failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
        )
    con = duckdb.connect(str(scratch / "warehouse.duckdb"), read_only=True)
    try:
        _write_statuses(con, build, directory)
    finally:
        con.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return time.monotonic() - started


@dataclass(frozen=True)
class Refreshed:
    """What refresh_known_statuses did, and what the build about to run computes from."""

    computed: list[tuple[date, float, str]]  # (known_on, seconds, "copied" or "built")
    record: dict[str, str]  # the project's fingerprint and loads_digest: remember_last_build after the build


def remember_last_build(warehouse_dir: Path, record: dict[str, str]) -> None:
    """After a successful dbt build of the whole project on DuckDB (Refreshed.record, taken before it)."""
    directory = known_dir(warehouse_dir)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / LAST_BUILD_FILE).write_text(json.dumps(record))


def _last_build(directory: Path) -> dict[str, str] | None:
    path = directory / LAST_BUILD_FILE
    return json.loads(path.read_text()) if path.exists() else None


def copy_from_last_build(build: KnownBuild, directory: Path, working_db: Path) -> bool:
    """Write build's statuses from the working database's own (which the caller knows were
    computed from the same loads and project); False when a status date is not in it."""
    con = duckdb.connect(str(working_db), read_only=True)
    try:
        [(missing,)] = con.execute(
            f"""
            select count(*) from ({build.pairs}) as pairs
            where not exists (
                select 1 from intermediate.{STATUS_MODEL} as statuses where statuses.as_of_date = pairs.as_of_date
            )
            """
        ).fetchall()
        if missing:
            return False
        _write_statuses(con, build, directory)
    finally:
        con.close()
    return True


def _write_statuses(con: duckdb.DuckDBPyConnection, build: KnownBuild, directory: Path) -> None:
    """<directory>/known_<fingerprint>.parquet: the statuses as of build's status dates, from the
    status model of the database con opened (a scratch build's or the working database)."""
    write_parquet(
        con,
        f"""
        select pairs.known_on, pairs.as_of_date, statuses.indicator_id, statuses.status,
            pairs.is_current_knowledge
        from ({build.pairs}) as pairs
        inner join intermediate.{STATUS_MODEL} as statuses on pairs.as_of_date = statuses.as_of_date
        """,
        _parquet(directory, build),
        directory / "_tmp",
    )


def refresh_known_statuses(
    warehouse_dir: Path,
    working_db: Path,
    zone: RawZone,
    dbt_executable: str,
    dbt_project_dir: Path,
    dbt_vars: dict[str, object],
) -> Refreshed:
    """Bring <warehouse>/known_status up to date with the meeting register and the ledger:
    compute what changed (copied from the previous build when it knew the same, else built),
    drop what no meeting needs, and keep the zero-row schema file the dbt source reads when
    there is nothing else. Call it just before the warehouse's dbt build: it forgets what the
    previous build knew, and returns what this one computes from (Refreshed.record)."""
    directory = known_dir(warehouse_dir)
    directory.mkdir(parents=True, exist_ok=True)
    schema = directory / "_schema.parquet"
    if not schema.exists():
        con = duckdb.connect()
        try:
            write_parquet(con, empty_select(COLUMNS), schema, directory / "_tmp")
        finally:
            con.close()
    project = project_fingerprint(dbt_project_dir, dbt_vars)
    loads = data_loads(zone)
    builds, current = plan_builds(meetings_by_date(zone), loads, project)
    con = duckdb.connect()
    try:
        rows = [(m, d, None, None, True) for m, dates in current.items() for d in dates]
        write_parquet(con, _values(rows), directory / "known_current.parquet", directory / "_tmp")
    finally:
        con.close()
    wanted = {_parquet(directory, b).name for b in builds}
    for stale in directory.glob("known_*.parquet"):
        if stale.name not in wanted and stale.name != "known_current.parquet":
            stale.unlink()
    last = _last_build(directory)
    ran = []
    for build in builds:
        if _parquet(directory, build).exists():
            continue
        started = time.monotonic()
        same = last is not None and last == {"project": project, "loads": build.loads}
        if same and working_db.exists() and copy_from_last_build(build, directory, working_db):
            how = "copied"
        else:
            run_known_build(build, directory, dbt_executable, dbt_project_dir, dbt_vars)
            how = "built"
        seconds = time.monotonic() - started
        log.info("statuses as known on %s %s in %.1f s", build.known_on, how, seconds)
        ran.append((build.known_on, seconds, how))
    (directory / LAST_BUILD_FILE).unlink(missing_ok=True)  # the build about to run replaces those statuses
    return Refreshed(ran, {"project": project, "loads": loads_digest(load_id for load_id, _ in loads)})
