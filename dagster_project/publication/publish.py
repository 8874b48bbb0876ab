"""Publication: copy the marts of the working database into a fresh DuckDB
file, verify it, and move it into place with an atomic rename.

A reader holding the old published.duckdb open keeps reading the old file
(the rename replaces the directory entry, not the open inode) and never
blocks the publication; a new reader sees the new file whole.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.settings import DBT_PIPELINE_MANIFEST, DEFAULT_ARCHIVE_MONTHS, WarehousePaths
from dagster_project.warehouse import ledger
from dagster_project.warehouse.faults import ResourceFailure, resource_guard
from dagster_project.warehouse.working_db import attach_raw_zone

log = logging.getLogger(__name__)

PUBLISHED_TABLES = (
    "dim_measure",
    "fct_measure_value",
    "measure_status",
    "measure_status_history",
    "measure_status_daily",
    "goal_summary",
    "goal_summary_history",
    "goal_summary_daily",
    "municipality_adoption",
    "kjernejournal_lookups_monthly",
    "pll_usage_monthly",
    "roadmap_subgoals",
    # The plan over time (issue 21).
    "dim_plan_version",
    "dim_plan_owner",
    "dim_measure_version",
    "measure_targets",
    "report_comments",
    "initiative_status",
    "initiative_status_history",
    "initiative_status_daily",
    "roadmap_subgoals_history",
    "meeting_status",
)
# Column names that would mean person-level data leaked into a published table.
FORBIDDEN_COLUMNS = re.compile(r"fnr|fodselsnummer|hpr|pseudonym|respondent|pasient_id", re.IGNORECASE)


# DuckDB 2.0 writes storage version 69 by default, which no 1.x client opens (Evidence bundles
# DuckDB 1.4.2; BI drivers lag). The marts need nothing newer than the v1.0.0 format (plain
# types, comments), which every 1.x and 2.x reader opens.
PUBLISHED_STORAGE_VERSION = "v1.0.0"
# The tables the publication writes itself (not dbt models), described as in outputs.md.
PUBLICATION_TABLE_COMMENTS = {
    "publication_log": "One row per publication: when, how many files, quarantined rows and checks behind it.",
    "publication_files": "The file versions (name, sha256, load) the publication contains.",
    "publication_checks": "The quality-gate results behind the publication: warnings and accepted failures included.",
}
# Their columns, described beside the SQL that creates them (dbt describes the marts' columns).
PUBLICATION_COLUMN_COMMENTS = {
    "publication_log": {
        "publication_id": "The publication's id: its UTC time and a random suffix (e.g. 20261205T050000Z-1a2b3c4d).",
        "published_at": "When the publication was made, in UTC.",
        "files_loaded": "Current file versions the publication contains (rows of publication_files).",
        "rows_quarantined": "Rows of those files held back in quarantine, with a reason, not published.",
        "checks_run": "Quality checks the gate ran before the publication.",
        "checks_failed": "Blocking checks that failed: always 0, since a failing gate publishes nothing.",
        "source_files": "Where to find the file versions: a pointer to marts.publication_files.",
    },
    "publication_files": {
        "publication_id": "The publication that contains this file version.",
        "source_family": "The feed the file belongs to (e.g. kj_lookups, helsenorge_usage).",
        "period": "The period the file delivers (YYYY-MM, YYYY or a date, as the feed names it).",
        "file_name": "The file's name as delivered to the inbox.",
        "sha256": "SHA-256 of the file's bytes, to tell one version of a file from another.",
        "load_id": "The load that read this file version into the raw zone.",
        "rows_loaded": "Rows of the file loaded into the raw zone.",
        "rows_quarantined": "Rows of the file held back in quarantine, with a reason.",
    },
    "publication_checks": {
        "publication_id": "The publication this check result stands behind.",
        "check_name": "The check's name (<suite>.<id>), the name an acceptance uses.",
        "table_name": "The table the check reads.",
        "description": "What the check requires, in words.",
        "severity": "error (blocks a publication) or warn (reported only), after acceptances.",
        "passed": "True when no row failed the check.",
        "failing_rows": "How many rows failed the check (counts only, never the rows).",
        "accepted_by": "Who accepted a failure of this check, when a steward did.",
        "acceptance_reason": "Why the failure was accepted, as the acceptance file gives it.",
    },
}


class PublicationRefused(Exception):
    pass


class PublicationNotFound(Exception):
    pass


@dataclass(frozen=True)
class Publication:
    publication_id: str
    published_at: datetime
    path: Path
    row_counts: dict[str, int]
    files_loaded: int
    rows_quarantined: int
    checks_run: int

    def goal_summary_markdown(self) -> str:
        """The published goal summary as a Markdown table (a preview for the Dagster UI)."""
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            rows = con.execute(
                "select goal_id, goal_name_nb, n_indicators, n_green, n_yellow, n_red, n_no_target, n_no_data "
                "from marts.goal_summary order by goal_id = 0, goal_id"
            ).fetchall()
            warnings = con.execute(
                "select count(*), count(accepted_by) from marts.publication_checks where not passed"
            ).fetchone()
        finally:
            con.close()
        lines = [
            "| mål | navn | indikatorer | grønn | gul | rød | uten mål | mangler data |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
        lines.append("")
        lines.append(f"Gate: {self.checks_run} checks passed; {warnings[0]} warning(s), {warnings[1]} accepted.")
        return "\n".join(lines)


def write_build_summary(paths: WarehousePaths, run_results: dict) -> None:
    """Tests run and failed in the last dbt build, for the publication log; and how many unit
    tests it ran (none when the project's had passed already: gate/dbt_tests.py)."""
    tests = [r for r in run_results["results"] if r["unique_id"].startswith("test.")]
    summary = {
        "tests_run": len(tests),
        "tests_failed": sum(r["status"] in ("fail", "error") for r in tests),
        "unit_tests_run": sum(r["unique_id"].startswith("unit_test.") for r in run_results["results"]),
    }
    paths.build_summary.write_text(json.dumps(summary))


def dbt_test_count(paths: WarehousePaths) -> tuple[int, int]:
    """(tests run, tests failed) of the last dbt build."""
    if not paths.build_summary.exists():
        return 0, 0
    summary = json.loads(paths.build_summary.read_text())
    return summary["tests_run"], summary["tests_failed"]


def first_unpublished_day(paths: WarehousePaths, family: str = "kj_lookups") -> str:
    """The earliest period of `family` whose current load the last publication does not
    contain ('0001-01-01' with no publication, '9999-12-31' when nothing is new).

    The dbt tests on the lookup history start there (EHELSE_LOOKUPS_TESTED_FROM): rows
    that were published were tested then, so a monthly run tests its month, not the
    history. A refused run publishes nothing, so the next run tests its days again.
    """
    if not (paths.published_db.exists() and ledger.has_entries(paths.raw_zone)):
        return "0001-01-01"
    con = duckdb.connect()
    try:
        attach_raw_zone(paths, con)
        con.execute(f"attach '{paths.published_db}' as published (read_only)")
        first = ledger.first_current_period_not_in(con, family, "select load_id from published.marts.publication_files")
    except duckdb.CatalogException:
        return "0001-01-01"
    finally:
        con.close()
    return first or "9999-12-31"


def new_publication_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def blocking_failures_in_run(paths: WarehousePaths, run_id: str | None) -> list[str]:
    """Great Expectations results of this run that are errors nobody accepted."""
    if run_id is None:
        return []
    con = duckdb.connect(str(paths.working_db), read_only=True)
    try:
        return [
            row[0]
            for row in con.execute(
                "select distinct check_name from audit.check_results "
                "where run_id = ? and not passed and severity = 'error'",
                [run_id],
            ).fetchall()
        ]
    except duckdb.CatalogException:  # no audit table yet: no suite has run
        return []
    finally:
        con.close()


def publish(
    paths: WarehousePaths,
    other_checks_run: int = 0,
    run_id: str | None = None,
    archive_months: int = DEFAULT_ARCHIVE_MONTHS,
) -> Publication:
    """Build published.duckdb from the working database's marts and swap it in atomically."""
    now = datetime.now(UTC).replace(tzinfo=None)
    publication_id = new_publication_id(now)
    tests_run, tests_failed = dbt_test_count(paths)
    if tests_failed:
        raise PublicationRefused(f"{tests_failed} dbt test(s) failed in the last build")
    failed_checks = blocking_failures_in_run(paths, run_id)
    if failed_checks:
        raise PublicationRefused(f"blocking check(s) failed in this run: {', '.join(failed_checks)}")
    tmp = paths.root / f".published-{publication_id}.duckdb"
    staging = paths.root / ".published-parquet"
    try:
        with resource_guard(tmp):
            row_counts, files_loaded, rows_quarantined = _build(
                paths, tmp, publication_id, now, run_id, tests_run + other_checks_run
            )
            _verify_written(tmp, row_counts)
        with resource_guard(staging):
            _write_parquet_staging(tmp, staging)
    except BaseException:
        _remove_unpublished(tmp, staging)
        raise
    os.replace(tmp, paths.published_db)
    _swap_in_parquet(paths, staging)
    with resource_guard(archive_dir(paths)):
        _archive(paths, publication_id, now, archive_months)
    return Publication(
        publication_id,
        now,
        paths.published_db,
        row_counts,
        files_loaded,
        rows_quarantined,
        tests_run + other_checks_run,
    )


def _build(
    paths: WarehousePaths, tmp: Path, publication_id: str, now: datetime, run_id: str | None, checks: int
) -> tuple[dict[str, int], int, int]:
    """The new publication as the file tmp: (row counts, files loaded, rows quarantined)."""
    con = _connect_new_publication(tmp)
    try:
        con.execute(f"attach '{paths.working_db}' as working (read_only)")
        attach_raw_zone(paths, con)
        con.execute("create schema marts")
        for table in PUBLISHED_TABLES:
            con.execute(f"create table marts.{table} as select * from working.marts.{table}")
        files_loaded, rows_quarantined = ledger.current_loads_summary(con)
        _write_publication_files(con, publication_id)
        _write_publication_checks(con, publication_id, run_id)
        _write_publication_log(con, paths, publication_id, now, files_loaded, rows_quarantined, checks)
        _neutralise_formulas(con)
        row_counts = _verify(con)
        write_comments(con, dbt_descriptions())
        con.execute("detach working")
        con.execute("detach raw")
        con.execute("checkpoint")  # the data into the file now, where a full disk still raises
    finally:
        con.close()
    return row_counts, files_loaded, rows_quarantined


# Text a spreadsheet would evaluate (CSV/formula injection): starting with =, +, @, tab or CR,
# or with - unless the whole text is a plain negative number ("-5", "-3,5"): "-2+3" is a formula.
FORMULA_START_REGEX = r"^[=+@\t\r]"
NEGATIVE_NUMBER_REGEX = r"^-[0-9]*([.,][0-9]+)?$"


def formula_condition(column: str) -> str:
    """SQL that is true for a text in `column` a spreadsheet would evaluate as a formula."""
    quoted = f'"{column}"'
    return (
        f"(regexp_matches({quoted}, '{FORMULA_START_REGEX}') "
        f"or (starts_with({quoted}, '-') and not regexp_matches({quoted}, '{NEGATIVE_NUMBER_REGEX}')))"
    )


def _neutralise_formulas(con: duckdb.DuckDBPyConnection) -> None:
    """Every published text that starts like a formula (acceptance reasons, steward comments:
    `=HYPERLINK(...)`) gets a leading quote, as spreadsheets do: shown, never evaluated."""
    columns = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'marts' and data_type = 'VARCHAR'"
    ).fetchall()
    for table, column in columns:
        con.execute(f"update marts.{table} set \"{column}\" = '''' || \"{column}\" where {formula_condition(column)}")


def _verify_written(tmp: Path, row_counts: dict[str, int]) -> None:
    """Reopen the written file as a reader would, before it replaces anything (decisions.md,
    issue 17): DuckDB's close() reports no error when its last checkpoint hits a full disk,
    and leaves a file without the marts and the data stranded in its WAL."""
    wal = Path(f"{tmp}.wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ResourceFailure(f"disk full at {tmp}: the publication was not checkpointed into its file")
    try:
        con = duckdb.connect(str(tmp), read_only=True)
    except duckdb.Error as err:
        raise PublicationRefused(f"the written publication {tmp} cannot be opened: {type(err).__name__}") from None
    try:
        for table, expected in row_counts.items():
            try:
                [(found,)] = con.execute(f"select count(*) from marts.{table}").fetchall()
            except duckdb.Error:
                found = None
            if found != expected:
                raise PublicationRefused(
                    f"the written publication {tmp} holds {found} rows in marts.{table}, not {expected}"
                )
    finally:
        con.close()


def _remove_unpublished(tmp: Path, staging: Path) -> None:
    """A publication that failed leaves nothing behind to fill the disk or confuse the next run."""
    for path in (tmp, Path(f"{tmp}.wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def _connect_new_publication(path: Path) -> duckdb.DuckDBPyConnection:
    """A new published file in the storage format DuckDB 1.x clients can open."""
    return duckdb.connect(str(path), config={"storage_compatibility_version": PUBLISHED_STORAGE_VERSION})


def dbt_descriptions(manifest: Path = DBT_PIPELINE_MANIFEST) -> dict[str, tuple[str, dict[str, str]]]:
    """{table: (description, {column: description})} of dbt's marts models, from the manifest."""
    if not manifest.exists():
        log.warning("no dbt manifest at %s: the published tables carry no descriptions", manifest)
        return {}
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {
        node["name"]: (
            node.get("description", "").strip(),
            {name: column.get("description", "").strip() for name, column in node.get("columns", {}).items()},
        )
        for node in nodes
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_comments(con: duckdb.DuckDBPyConnection, descriptions: dict[str, tuple[str, dict[str, str]]]) -> None:
    """COMMENT ON the published tables and columns, so a BI tool shows dbt's descriptions."""
    described = {
        **descriptions,
        **{t: (c, PUBLICATION_COLUMN_COMMENTS.get(t, {})) for t, c in PUBLICATION_TABLE_COMMENTS.items()},
    }
    columns = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'marts'"
    ).fetchall()
    tables = {table for table, _ in columns}
    for table in sorted(tables & described.keys()):
        if described[table][0]:
            con.execute(f"comment on table marts.{table} is {_sql_string(described[table][0])}")
    for table, column in columns:
        text = described.get(table, ("", {}))[1].get(column)
        if text:
            con.execute(f'comment on column marts.{table}."{column}" is {_sql_string(text)}')


def _write_publication_files(con: duckdb.DuckDBPyConnection, publication_id: str) -> None:
    """Which file versions this publication contains: the trace from a number back to its files."""
    con.execute(
        """
        create table marts.publication_files as
        select ? as publication_id, source_family, period, file_name, sha256, load_id, rows_loaded, rows_quarantined
        from raw.load_ledger
        where is_current
        order by source_family, period
        """,
        [publication_id],
    )


def _write_publication_checks(con: duckdb.DuckDBPyConnection, publication_id: str, run_id: str | None) -> None:
    """The quality-gate results behind this publication (warnings and accepted failures included),
    so the status report can show them from the published file alone. No example rows: only counts."""
    con.execute(
        """
        create table marts.publication_checks (
            publication_id varchar, check_name varchar, table_name varchar, description varchar,
            severity varchar, passed boolean, failing_rows bigint, accepted_by varchar, acceptance_reason varchar
        )
        """
    )
    has_audit = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = 'working' and table_schema = 'audit' and table_name = 'check_results'"
    ).fetchone()[0]
    if run_id is None or not has_audit:
        return
    con.execute(
        """
        insert into marts.publication_checks
        select ?, check_name, table_name, description, severity, passed, failing_rows, accepted_by, acceptance_reason
        from working.audit.check_results
        where run_id = ?
        order by check_name
        """,
        [publication_id, run_id],
    )


def _write_publication_log(con, paths: WarehousePaths, publication_id, now, files_loaded, rows_quarantined, checks):
    """The log carries over every earlier publication, then appends this one."""
    con.execute(
        """
        create table marts.publication_log (
            publication_id varchar, published_at timestamp, files_loaded bigint, rows_quarantined bigint,
            checks_run bigint, checks_failed bigint, source_files varchar
        )
        """
    )
    if paths.published_db.exists():
        con.execute(f"attach '{paths.published_db}' as previous (read_only)")
        con.execute("insert into marts.publication_log select * from previous.marts.publication_log")
        con.execute("detach previous")
    con.execute(
        "insert into marts.publication_log values (?, ?, ?, ?, ?, 0, ?)",
        [
            publication_id,
            now,
            files_loaded,
            rows_quarantined,
            checks,
            "see marts.publication_files for the file versions of this publication",
        ],
    )


def _verify(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for table in PUBLISHED_TABLES:
        published = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
        working = con.execute(f"select count(*) from working.marts.{table}").fetchone()[0]
        if published != working:
            raise PublicationRefused(f"marts.{table}: {published} rows published, {working} in the working database")
        counts[table] = published
    columns = con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
    ).fetchall()
    leaked = [f"{t}.{c}" for t, c in columns if FORBIDDEN_COLUMNS.search(c)]
    if leaked:
        raise PublicationRefused(f"person-level columns must never be published: {', '.join(leaked)}")
    if counts["measure_status"] == 0:
        raise PublicationRefused("marts.measure_status is empty")
    return counts


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of a published file's schema marts (the marts and publication_*), by name."""
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        ).fetchall()
    ]


def _write_parquet_staging(db: Path, staging: Path) -> None:
    """<table>.parquet of every table of db, into the folder staging (swapped in after the rename)."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in published_tables(con):
            con.execute(f"copy marts.{table} to '{staging / (table + '.parquet')}' (format parquet)")
    finally:
        con.close()


def _swap_in_parquet(paths: WarehousePaths, staging: Path) -> None:
    """published/<table>.parquet from the staging folder: renames only, no space needed."""
    paths.parquet_dir.mkdir(parents=True, exist_ok=True)
    for file in staging.iterdir():
        os.replace(file, paths.parquet_dir / file.name)
    staging.rmdir()


def _write_parquet(paths: WarehousePaths) -> None:
    """published/<table>.parquet, written to a temporary folder and swapped in."""
    staging = paths.root / ".published-parquet"
    _write_parquet_staging(paths.published_db, staging)
    _swap_in_parquet(paths, staging)


# --------------------------------------------------------------------------- publication history


def archive_dir(paths: WarehousePaths) -> Path:
    return paths.parquet_dir / "archive"


def _archive(paths: WarehousePaths, publication_id: str, now: datetime, months: int) -> None:
    """published/archive/<publication_id>/: the Parquet copies as published, so the report a council
    saw can be rendered again whatever is restated later (outputs.md, "Publication history")."""
    target = archive_dir(paths) / publication_id
    staging = archive_dir(paths) / f".{publication_id}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
        for file in paths.parquet_dir.glob("*.parquet"):
            shutil.copy2(file, staging / file.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # no half archive (a full disk stays a clean failure)
        raise
    os.replace(staging, target)  # a reader sees the archived publication whole or not at all
    _apply_retention(paths, now, months)


def _published_at(publication_id: str) -> datetime | None:
    try:
        return datetime.strptime(publication_id[:16], "%Y%m%dT%H%M%SZ")
    except ValueError:
        return None


def _apply_retention(paths: WarehousePaths, now: datetime, months: int) -> None:
    """Keep every publication of the last `months` months (setting, default 24); the newest always stays."""
    cutoff_index = now.year * 12 + now.month - 1 - months
    # Only folders named by a publication id are ours: never delete what we did not write.
    ours = sorted(
        (published_at, d)
        for d in archive_dir(paths).iterdir()
        if d.is_dir() and (published_at := _published_at(d.name)) is not None
    )
    for published_at, directory in ours[:-1]:
        index = published_at.year * 12 + published_at.month - 1
        if index < cutoff_index or (index == cutoff_index and published_at.day < now.day):
            shutil.rmtree(directory)


def archived_publications(paths: WarehousePaths) -> list[str]:
    if not archive_dir(paths).exists():
        return []
    return sorted(d.name for d in archive_dir(paths).iterdir() if d.is_dir() and not d.name.startswith("."))


@contextmanager
def open_publication(paths: WarehousePaths, publication_id: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only view of a publication as schema `marts`: published.duckdb, or (with an id) the
    archived Parquet copies, so the status and the report read both the same way."""
    if publication_id is None:
        if not paths.published_db.exists():
            raise PublicationNotFound(f"no publication yet: {paths.published_db} does not exist (run `ehelse run`)")
        con = duckdb.connect(str(paths.published_db), read_only=True)
    else:
        # Only an archive's own id: `..`, `.` or a path would name another folder as if it were one.
        archived = archived_publications(paths)
        folder = archive_dir(paths) / publication_id
        if publication_id not in archived or not any(folder.glob("*.parquet")):
            kept = ", ".join(archived[-5:]) or "none"
            raise PublicationNotFound(f"publication {publication_id!r} is not in {archive_dir(paths)} (latest: {kept})")
        con = duckdb.connect()
        con.execute("create schema marts")
        for file in sorted(folder.glob("*.parquet")):
            con.execute(f"create view marts.{file.stem} as select * from read_parquet('{file}')")
    try:
        yield con
    finally:
        con.close()
