"""Shared by the fault suite (test_faults*.py): the raw zone's state and balance, a restated
file and the stewards' comments (restate, STEWARD_COMMENTS), the environment of a child process
that imports this checkout, and the one restating run that readers hold every file through and
query while it runs (build_restated_publication, READER_SCRIPT, watching), which the archive's
and the status-as-of tests read too."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import (
    DAGSTER_HOME_ENV_VAR,
    INBOX_ENV_VAR,
    PROJECT_ROOT,
    WAREHOUSE_ENV_VAR,
    Settings,
    WarehousePaths,
)
from dagster_project.warehouse import ledger


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def current_state(zone) -> set[tuple]:
    """What the warehouse holds: the current loads (family, period, content) and their row counts."""
    con = duckdb.connect()
    try:
        return set(
            ledger._rows(
                con,
                zone,
                "select source_family, period, sha256, rows_loaded, rows_quarantined from raw.load_ledger "
                "where is_current",
            )
        )
    finally:
        con.close()


def balanced(zone) -> bool:
    con = duckdb.connect()
    try:
        [(bad,)] = ledger._rows(
            con,
            zone,
            "select count(*) from raw.load_ledger where status in ('loaded', 'restated') "
            "and rows_read <> rows_loaded + rows_quarantined",
        )
    finally:
        con.close()
    return bad == 0


def child_env() -> dict[str, str]:
    """The environment for a child process that imports this checkout of the project."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}


# The stewards' comments on 1.1 as test_status_as_of reads them as of 31.03.2023: an older one,
# the one in force then (HTML that must be escaped) and one written after that date.
STEWARD_COMMENTS = [
    ["1.1", "2022-01-01", "Gammel vurdering.", "A"],
    ["1.1", "2022-10-01", "Positive bevegelser <script>alert(1)</script>", "Norsk helsenett"],
    ["1.1.2", "2023-06-01", "Senere enn as-of-datoen.", "B"],
]


def write_comments(inbox: Path, rows: list[list[str]]) -> None:
    path = inbox / "manual" / "indikator_kommentarer.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["id", "gjelder_fra", "kommentar", "forfatter"])
        writer.writerows(rows)


def restate(inbox: Path) -> Path:
    """The inbox of the shared restating run (build_restated_publication), and of the dbt kill
    test's runs that must publish the same: one file restated (restate_usage, returned) and the
    stewards' comments of STEWARD_COMMENTS."""
    write_comments(inbox, STEWARD_COMMENTS)
    return restate_usage(inbox)


RESTATED_USAGE = Path("helsenorge") / "helsenorge_bruk_2022-06.csv"  # the file restate_usage changes


def restate_usage(inbox: Path) -> Path:
    """A changed version of an already loaded file: one municipality's visits in 2022-06, a little higher."""
    path = inbox / RESTATED_USAGE
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[3] = str(int(fields[3]) + 7)
    lines[1] = ";".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- readers holding the files

READER_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, os, sys
    from collections import Counter
    from pathlib import Path
    import duckdb
    from dagster_project.settings import WarehousePaths
    from dagster_project.warehouse.working_db import attach_raw_zone

    paths = WarehousePaths(Path(sys.argv[1]))
    zone = paths.raw_zone

    def connect(*args, **kwargs):
        con = duckdb.connect(*args, **kwargs)
        con.execute("set enable_progress_bar = false")  # stdout carries the answers only
        return con
    STATUS = "select * from marts.goal_summary order by all"
    USAGE = "select * from raw.helsenorge_usage order by all"

    def digest(fd):
        size = os.fstat(fd).st_size
        return hashlib.sha256(os.pread(fd, size, 0)).hexdigest()

    # (a) every raw-zone Parquet file of the current versions, the quarantine and the ledger,
    # and the published Parquet copies: open file descriptors, as a BI tool or a copy job holds them.
    con = connect()
    attach_raw_zone(paths, con)
    current = {r[0] for r in con.execute("select load_id from raw.load_ledger where is_current").fetchall()}
    held = {}
    for path in sorted(zone.root.glob("*/period=*/load_id=*/*.parquet")):
        if path.parent.name.removeprefix("load_id=") in current:
            held[str(path)] = "raw"
    held.update({str(p): "ledger" for p in zone.ledger_dir.glob("*.parquet")})
    held.update({str(p): "quarantine" for p in zone.quarantine_dir.glob("*.parquet")})
    held.update({str(p): "published parquet" for p in paths.parquet_dir.glob("*.parquet")})
    fds = {path: os.open(path, os.O_RDONLY) for path in held}
    before = {path: digest(fd) for path, fd in fds.items()}
    # (b) published.duckdb open read-only in DuckDB, as a BI client holds it.
    published = connect(str(paths.published_db), read_only=True)
    status = published.execute(STATUS).fetchall()
    # (c) a query over the raw zone in progress: the first batch read, the rest still to come.
    usage = con.execute(USAGE).fetchall()
    stream = connect()
    attach_raw_zone(paths, stream)
    reader = stream.sql(USAGE).to_arrow_reader(100)
    first = reader.read_next_batch()
    print(json.dumps({"held": held, "usage_rows": len(usage)}), flush=True)

    sys.stdin.readline()  # the run has published
    changed = {path: held[path] for path, fd in fds.items() if digest(fd) != before[path]}
    rest = reader.read_all()
    streamed = [tuple(r.values()) for r in first.to_pylist() + rest.to_pylist()]
    print(json.dumps({
        "changed": changed,
        "published_same": published.execute(STATUS).fetchall() == status,
        "stream_same": Counter(streamed) == Counter(usage),
    }), flush=True)
    """
)


def answer(process: subprocess.Popen) -> dict:
    """The reader's next answer: a line of JSON on its stdout (anything else it printed is skipped)."""
    for line in process.stdout:
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"the reader ended without answering (exit {process.wait()})")


def publication_count(published_db: Path) -> int:
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        return con.execute("select count(*) from marts.publication_log").fetchone()[0]
    finally:
        con.close()


# A dashboard refreshing: a process with one read-only connection to published.duckdb opened
# before the run, asking every half second what it shows of the restated file's publication (the
# main fact's size, the 1.1.1 figure restate_usage changes: 12 months of national visits, +7, and
# the file's checksum) until told the run ended; then it answers with each distinct answer once,
# in order, how often it asked, and what that connection shows after the run. A process of its
# own: DuckDB hands a process's new connections to a file it already holds open, so a reader in
# the run's process would make the run's report and open data read the old publication.
WATCHED = (
    "select (select count(*) from marts.fct_measure_value), "
    "(select numerator from marts.fct_measure_value where measure_id = '1.1.1' "
    "and geography_level = 'national' and period = '2022-12'), "
    "(select sha256 from marts.publication_files where file_name = $file)"
)
WATCH_SCRIPT = textwrap.dedent(
    """
    import json, select, sys
    import duckdb

    published, file_name, WATCHED = sys.argv[1:4]
    con = duckdb.connect(published, read_only=True)
    con.execute("set enable_progress_bar = false")

    def ask():
        return list(con.execute(WATCHED, {"file": file_name}).fetchone())

    during, polls = [], 0
    print(json.dumps({"watching": ask()}), flush=True)
    while True:
        current = ask()
        polls += 1
        if not during or during[-1] != current:
            during.append(current)
        if select.select([sys.stdin], [], [], 0.5)[0]:
            break
    sys.stdin.readline()
    print(json.dumps({"during": during, "polls": polls, "after": ask()}), flush=True)
    """
)


@contextmanager
def watching(published_db: Path, file_name: str) -> Iterator[dict]:
    """WATCH_SCRIPT's process for the duration of the block; fills `during`, `polls` and `after`
    (its connection, once the block ended) and `fresh` (a new connection's answer)."""
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCH_SCRIPT, str(published_db), file_name, WATCHED],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    seen: dict = {}
    try:
        answer(watcher)  # connected and asked once: the run may start
        yield seen
        watcher.stdin.write("ended\n")
        watcher.stdin.flush()
        seen.update(answer(watcher))
    finally:
        watcher.kill()
        watcher.wait()
    with duckdb.connect(str(published_db), read_only=True) as fresh:
        seen["fresh"] = list(fresh.execute(WATCHED, {"file": file_name}).fetchone())


def build_restated_publication(root: Path, template: tuple[Path, Path]) -> None:
    """A copy of the published template (`<root>/inbox`, `<root>/warehouse`) whose inbox restates
    one file and has the stewards' comments (restate), run once as of today with raw-zone
    retention 0 days while another process holds every raw-zone, ledger and published file open,
    published.duckdb in a read-only DuckDB connection and a raw-zone query half read
    (READER_SCRIPT), and a third process queries the publication all the while (watching).
    One uninterrupted restating run serves the readers' tests, the archive's test, the status as
    of a past date (a copy, run again as of that date) and, as what a killed run's rerun owes,
    the dbt kill test (the readers change nothing the run writes, and retention 0 acts in the
    sweep after the publication, not in what is published). `<root>/run.json`: the as-of date,
    the publication count before, the restated file and its checksum before, what the reader
    process held and saw after the run, what the watching process saw, the run's outcome and
    whether the superseded version it held was swept."""
    from dagster_project.runner import run_pipeline
    from tests.conftest import instance_copy

    inbox, warehouse = root / "inbox", root / "warehouse"
    shutil.copytree(template[0], inbox)
    shutil.copytree(template[1], warehouse)
    paths = WarehousePaths(warehouse)
    as_of = date.today().isoformat()
    record: dict = {"as_of": as_of, "publications_before": publication_count(paths.published_db)}
    record["sha_before"] = ledger.sha256_of(inbox / RESTATED_USAGE)
    record["restated"] = restate(inbox).name
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_SCRIPT, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        record["holding"] = answer(reader)
        with pytest.MonkeyPatch.context() as patch, watching(paths.published_db, record["restated"]) as seen:
            patch.setenv(INBOX_ENV_VAR, str(inbox))
            patch.setenv(WAREHOUSE_ENV_VAR, str(warehouse))
            patch.setenv(DAGSTER_HOME_ENV_VAR, str(instance_copy(root / "dagster_home")))
            patch.setenv("EHELSE_RAW_RETENTION_DAYS", "0")
            patch.delenv("EHELSE_ACCEPTANCES", raising=False)
            outcome = run_pipeline(Settings.from_env(as_of_date=as_of))
        record["outcome"] = {"ok": outcome.ok, "published": outcome.published, "message": outcome.message}
        record["watched"] = seen
        record["still_there"] = sorted(p for p in record["holding"]["held"] if Path(p).exists())
        reader.stdin.write("published\n")
        reader.stdin.flush()
        record["seen"] = answer(reader)
    finally:
        reader.kill()
        reader.wait()
    (root / "run.json").write_text(json.dumps(record), encoding="utf-8")
    # A run that did not publish fails every test that reads it (built_once records the message).
    assert outcome.ok and outcome.published, outcome.message
