"""The fault suite of issue 17 (see test_faults.py): readers holding every file during a restating run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from dagster_project.publication.publish import PUBLISHED_TABLES
from dagster_project.settings import WarehousePaths
from dagster_project.warehouse import ledger
from tests.integration.fault_checks import balanced, child_env, restate_usage

# --------------------------------------------------------------------------- readers holding the files

_READER = textwrap.dedent(
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


def test_readers_holding_every_file_neither_block_a_restating_run_nor_see_it(published_env, monkeypatch):
    """While a run restates a file, publishes and (retention 0 days) sweeps the superseded version
    from the raw zone, another process holds every raw-zone, ledger and published file open,
    published.duckdb in a read-only DuckDB connection and a raw-zone query half read. The run
    needs no exclusive access; each reader keeps reading the bytes it opened (Linux unlinks and
    renames directory entries, never an open file); a new reader sees the new publication whole."""
    from dagster_project.runner import run_pipeline

    inbox, warehouse = published_env
    paths = WarehousePaths(warehouse)
    monkeypatch.setenv("EHELSE_RAW_RETENTION_DAYS", "0")
    log_before = _publication_count(paths.published_db)
    restated = restate_usage(inbox)
    env = child_env()
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        holding = _answer(reader)
        held = holding["held"]
        kinds = set(held.values())
        assert kinds == {"raw", "ledger", "quarantine", "published parquet"}, kinds
        superseded = [Path(p) for p, kind in held.items() if kind == "raw" and "/helsenorge_usage/period=2022-06/" in p]
        assert len(superseded) == 1, superseded

        outcome = run_pipeline()

        assert outcome.ok and outcome.published, outcome.message
        assert "superseded or uncommitted file version(s) removed" in outcome.message, outcome.message
        assert not superseded[0].exists(), "the sweep kept the superseded version a reader holds"
        reader.stdin.write("published\n")
        reader.stdin.flush()
        seen = _answer(reader)
    finally:
        reader.kill()
        reader.wait()
    assert seen["changed"] == {}, f"a held file changed under its reader: {seen['changed']}"
    assert seen["published_same"], "the reader of published.duckdb saw the new publication mid-session"
    assert seen["stream_same"], "the raw-zone query in progress did not finish on the data it started on"
    # The new publication, for a new reader: complete, with the restated file's new content.
    assert _publication_count(paths.published_db) == log_before + 1
    # Every table whole: as many rows as the working database's mart (some, e.g. report_comments,
    # are empty on this fixture), and the ones every publication fills are not empty.
    working = duckdb.connect(str(paths.working_db), read_only=True)
    built = {t: working.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in PUBLISHED_TABLES}
    working.close()
    con = duckdb.connect(str(paths.published_db), read_only=True)
    for table in PUBLISHED_TABLES:
        assert con.execute(f"select count(*) from marts.{table}").fetchone()[0] == built[table], table
    for table in ("dim_measure", "fct_measure_value", "measure_status", "goal_summary", "meeting_status"):
        assert built[table] > 0, table
    [(sha,)] = con.execute("select sha256 from marts.publication_files where file_name = ?", [restated.name]).fetchall()
    con.close()
    assert sha == ledger.sha256_of(restated)
    assert balanced(paths.raw_zone)


def _answer(process: subprocess.Popen) -> dict:
    """The reader's next answer: a line of JSON on its stdout (anything else it printed is skipped)."""
    for line in process.stdout:
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"the reader ended without answering (exit {process.wait()})")


def _publication_count(published_db: Path) -> int:
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        return con.execute("select count(*) from marts.publication_log").fetchone()[0]
    finally:
        con.close()
