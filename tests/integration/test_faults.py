"""The fault suite of issue 17: real faults (a full tmpfs, a DuckDB memory limit, kill -9, a
second run, a reader holding the file), each judged by the contract's promise: the previous
publication byte-identical or the new one complete and verified, the ledger balanced, nothing
accepted lost, a message naming the fault, and a rerun that recovers without hand work.

A full disk is a real tmpfs (we are root in CI). Where mounting is impossible the disk tests
skip with the reason, unless EHELSE_REQUIRE_TMPFS=1 or CI is set: then they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.feeds.inbox import scan_inbox
from dagster_project.publication.publish import PUBLISHED_TABLES, PublicationRefused, publish
from dagster_project.settings import (
    DAGSTER_HOME_ENV_VAR,
    INBOX_ENV_VAR,
    PROJECT_ROOT,
    WAREHOUSE_ENV_VAR,
    Settings,
    WarehousePaths,
)
from dagster_project.warehouse import ledger
from dagster_project.warehouse.faults import ResourceFailure, run_lock
from dagster_project.warehouse.ingest import ingest_files, parsing_connection

PAGE = 4096


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 MiB tmpfs of our own: a disk that can be made full."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here ({done.stderr.decode().strip()}): the full-disk faults need one"
        if os.environ.get("EHELSE_REQUIRE_TMPFS") or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill_leaving(disk: Path, free_bytes: int) -> Path:
    """A filler file that leaves free_bytes free on the disk."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    stat = os.statvfs(disk)
    size = max(0, stat.f_bavail * stat.f_frsize - free_bytes)
    with filler.open("wb") as f:
        f.truncate(0)
        chunk = b"\0" * (1 << 20)
        while size > 0:
            f.write(chunk[: min(size, len(chunk))])
            size -= min(size, len(chunk))
    return filler


def _current_state(zone) -> set[tuple]:
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


def _balanced(zone) -> bool:
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


# --------------------------------------------------------------------------- full disk


def _small_files(inbox: Path) -> list:
    """One file of three feeds (CSV, JSON lines, snapshot): every write step of ingestion."""
    scan = scan_inbox(inbox)
    wanted = {"pll_monthly", "kj_lookups", "kj_adoption"}
    picked = {}
    for file in scan.files:
        if file.feed.name in wanted and file.feed.name not in picked:
            picked[file.feed.name] = file
    return list(picked.values())


def test_full_disk_at_each_ingestion_write_is_no_verdict_and_a_rerun_recovers(demo_inbox: Path, tmpfs: Path):
    files = _small_files(demo_inbox)
    clean = WarehousePaths(tmpfs / "clean")
    con = parsing_connection()
    ingest_files(con, clean.raw_zone, files)
    expected = _current_state(clean.raw_zone)
    needed = sum(-(-p.stat().st_size // PAGE) * PAGE for p in clean.root.rglob("*") if p.is_file())
    shutil.rmtree(clean.root)

    failed_at: set[str] = set()
    for free in range(0, needed + 4 * PAGE, 2 * PAGE):
        paths = WarehousePaths(tmpfs / f"wh-{free}")
        filler = _fill_leaving(tmpfs, free)
        try:
            ingest_files(con, paths.raw_zone, files)
        except ResourceFailure as failure:
            message = str(failure)
            assert message.startswith("disk full at "), message
            failed_at.add("ledger" if "/_ledger/" in message else "quarantine" if "_quarantine" in message else "rows")
            # No verdict: no file of ours is rejected, every handled one balanced.
            if (paths.raw_zone.ledger_dir / "_schema.parquet").exists():
                assert not ledger.rejected_files(paths.raw_zone)
                assert _balanced(paths.raw_zone)
        filler.unlink()
        ingest_files(con, paths.raw_zone, files)  # the rerun, with space again
        assert _current_state(paths.raw_zone) == expected
        assert not list((paths.raw_zone.tmp_dir).glob("*")), "a half-written file was left behind"
        shutil.rmtree(paths.root)
    con.close()
    assert {"rows", "ledger"} <= failed_at, failed_at


def test_full_disk_at_publication_keeps_the_previous_one_byte_identical(published_env, tmpfs: Path):
    _, warehouse = published_env
    paths = WarehousePaths(tmpfs / "warehouse")
    shutil.copytree(warehouse, paths.root)
    before = _sha(paths.published_db)
    size = paths.published_db.stat().st_size
    parquet = sum(p.stat().st_size for p in paths.parquet_dir.glob("*.parquet"))
    reader = duckdb.connect(str(paths.published_db), read_only=True)  # a BI reader holding the file
    refused = 0
    for free in (0, 64 * 1024, size // 4, size // 2, size, size + parquet // 2):
        filler = _fill_leaving(tmpfs, free)
        try:
            publish(paths)
        except (ResourceFailure, PublicationRefused) as failure:
            refused += 1
            assert "disk full at " in str(failure), failure
            assert _sha(paths.published_db) == before
            assert not list(paths.root.glob(".published-*")), "a failed publication left files behind"
        else:
            before = _sha(paths.published_db)  # a complete publication: verified below
        filler.unlink()
        check = duckdb.connect(str(paths.published_db), read_only=True)
        assert check.execute("select count(*) from marts.measure_status").fetchone()[0] > 0
        check.close()
        assert reader.execute("select count(*) from marts.goal_summary").fetchone()[0] > 0
    reader.close()
    assert refused >= 3
    publish(paths)  # space again: the rerun publishes without hand work
    assert _sha(paths.published_db) != before


def test_full_disk_in_the_gate_or_the_dbt_build_names_the_fault_and_keeps_the_publication(published_env, tmpfs: Path):
    """The gate's validations and dbt's working database are written during a run: a full disk
    there is a fault, never a verdict of the gate or a failed model."""
    from dagster_project.runner import run_pipeline
    from dagster_project.settings import Settings

    _, warehouse = published_env
    paths = WarehousePaths(tmpfs / "warehouse")
    shutil.copytree(warehouse, paths.root)
    before = _sha(paths.published_db)
    # Another as-of date owes a publication without a new file: the run goes straight to the gate and dbt.
    settings = Settings.from_env(warehouse_dir=paths.root, as_of_date="2023-01-31")
    stopped_in = set()
    for free in (2 * 1024 * 1024, 256 * 1024):
        filler = _fill_leaving(tmpfs, free)
        outcome = run_pipeline(settings)
        filler.unlink()
        assert not outcome.ok and not outcome.published
        assert outcome.message.startswith("run stopped on a resource failure (")
        assert "; the previous publication is unchanged:" in outcome.message
        assert f"disk full at {paths.root} (" in outcome.message, outcome.message
        stopped_in |= {step for step in ("quality gate", "dbt build") if f"{paths.root} ({step})" in outcome.message}
        assert _sha(paths.published_db) == before
        assert _balanced(paths.raw_zone)
    assert stopped_in == {"quality gate", "dbt build"}, stopped_in

    again = run_pipeline(settings)  # space again: the same run publishes without hand work
    assert again.ok and again.published, again.message
    assert _sha(paths.published_db) != before


def _written(path: Path, rows: int, checkpointed: bool = True) -> Path:
    """A real DuckDB file with marts.measure_status of `rows` rows; unless checkpointed, its data
    stays in the WAL, as DuckDB leaves it when the last checkpoint of close() hits a full disk."""
    con = duckdb.connect(str(path))
    con.execute("set wal_autocheckpoint = '1TB'")
    if not checkpointed:
        con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("create schema marts")
    con.execute(f"create table marts.measure_status as select range as measure_id from range({rows})")
    con.close()
    return path


@pytest.mark.parametrize(
    ("checkpointed", "rows", "expected", "words"),
    [
        (False, 3, ResourceFailure, "not checkpointed"),  # the data stranded in the WAL
        (True, 2, PublicationRefused, "holds 2 rows in marts.measure_status, not 3"),
        (True, 0, PublicationRefused, "not 3"),
    ],
)
def test_a_publication_is_verified_by_reopening_it_before_the_rename(tmp_path, checkpointed, rows, expected, words):
    """The guard behind the full-disk test above, which no free-space level reaches on the small
    fixture (the checkpoint fails first): what close() can leave is refused before any rename."""
    from dagster_project.publication.publish import _verify_written

    written = _written(tmp_path / ".published-x.duckdb", rows, checkpointed)
    assert Path(f"{written}.wal").exists() != checkpointed
    with pytest.raises(expected, match=words):
        _verify_written(written, {"measure_status": 3})
    _verify_written(_written(tmp_path / "complete.duckdb", 3), {"measure_status": 3})


# --------------------------------------------------------------------------- memory


def test_out_of_memory_is_no_verdict_on_the_file(demo_inbox: Path, paths: WarehousePaths):
    files = [f for f in scan_inbox(demo_inbox).files if f.feed.name == "kj_lookups"][:3]
    tight = parsing_connection("8MB")
    tight.execute("set threads = 1")
    with pytest.raises(ResourceFailure, match="out of memory while handling kj_oppslag_"):
        ingest_files(tight, paths.raw_zone, files)
    tight.close()
    assert not ledger.rejected_files(paths.raw_zone)
    assert not ledger.handled_files(paths.raw_zone), "a file that ran out of memory must stay pending"
    outcomes = ingest_files(parsing_connection(), paths.raw_zone, files)  # default limit: loaded
    assert [o.status for o in outcomes] == ["loaded"] * 3


# --------------------------------------------------------------------------- kill -9 and concurrency

_PUBLISH = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from dagster_project.publication.publish import publish
    from dagster_project.settings import PROJECT_ROOT, WarehousePaths
    while True:
        publish(WarehousePaths(Path(sys.argv[1])))
    """
)


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0, 5.0])
def test_kill_9_during_publication(published_env, delay: float):
    _, warehouse = published_env
    paths = WarehousePaths(warehouse)
    process = subprocess.Popen([sys.executable, "-c", _PUBLISH, str(warehouse)])
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Whatever moment the kill hit: a complete publication, never a mix.
    con = duckdb.connect(str(paths.published_db), read_only=True)
    assert con.execute("select count(*) from marts.measure_status").fetchone()[0] > 0
    con.close()
    publish(paths)  # the rerun recovers; leftovers of the killed one are not in its way
    con = duckdb.connect(str(paths.published_db), read_only=True)
    assert con.execute("select count(*) from marts.publication_log").fetchone()[0] >= 2
    con.close()


_INGEST = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from dagster_project.feeds.inbox import scan_inbox
    from dagster_project.warehouse.ingest import ingest_files, parsing_connection
    from dagster_project.settings import WarehousePaths
    ingest_files(parsing_connection(), WarehousePaths(Path(sys.argv[2])).raw_zone, scan_inbox(Path(sys.argv[1])).files)
    """
)


def test_kill_9_during_ingestion_then_rerun_equals_a_clean_load(demo_inbox: Path, tmp_path: Path):
    files = scan_inbox(demo_inbox).files
    clean = WarehousePaths(tmp_path / "clean")
    ingest_files(parsing_connection(), clean.raw_zone, files)
    expected = _current_state(clean.raw_zone)
    for delay in (1.0, 3.0, 6.0):
        paths = WarehousePaths(tmp_path / f"killed-{delay}")
        process = subprocess.Popen([sys.executable, "-c", _INGEST, str(demo_inbox), str(paths.root)])
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if paths.raw_zone.root.exists():
            assert _balanced(paths.raw_zone)
        ingest_files(parsing_connection(), paths.raw_zone, files)
        assert _current_state(paths.raw_zone) == expected


_HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dagster_project.warehouse.faults import run_lock
    with run_lock(Path(sys.argv[1])):
        print("holding", flush=True)
        time.sleep(120)
    """
)


def test_a_second_run_fails_fast_naming_since_when(published_env):
    from dagster_project.runner import run_pipeline

    _, warehouse = published_env
    before = _sha(warehouse / "published.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    started = time.monotonic()
    outcome = run_pipeline()
    assert not outcome.ok and "another run holds the warehouse since " in outcome.message, outcome.message
    assert time.monotonic() - started < 10
    assert _sha(warehouse / "published.duckdb") == before
    holder.send_signal(signal.SIGKILL)  # the holder dies with -9: the lock goes with it
    holder.wait()
    outcome = run_pipeline()
    assert outcome.ok, outcome.message
    with run_lock(warehouse):
        pass


# --------------------------------------------------------------------------- kill -9 during the dbt build

TABLES_COMPARED = ("goal_summary", "measure_status")


def _child_env() -> dict[str, str]:
    """The environment for a child process that imports this checkout of the project."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}


def _restate_usage(inbox: Path) -> Path:
    """A changed version of an already loaded file: one municipality's visits in 2022-06, a little higher."""
    path = inbox / "helsenorge" / "helsenorge_bruk_2022-06.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[3] = str(int(fields[3]) + 7)
    lines[1] = ";".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _published_marts(published_db: Path) -> dict[str, object]:
    """What a reader of the publication sees: every mart's row count, the status tables row by
    row, and which file versions (name, content, rows) the publication holds."""
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        seen: dict[str, object] = {
            f"rows {table}": con.execute(f"select count(*) from marts.{table}").fetchone()[0]
            for table in PUBLISHED_TABLES
        }
        for table in TABLES_COMPARED:
            rows = con.execute(f"select * from marts.{table} order by all").fetchall()
            seen[table] = [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]
        seen["files"] = con.execute(
            "select source_family, period, file_name, sha256, rows_loaded, rows_quarantined "
            "from marts.publication_files order by all"
        ).fetchall()
    finally:
        con.close()
    return seen


def _group_members(pgid: int) -> list[int]:
    """The live processes of a process group (the run and the dbt it started)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _dbt_build_log(pgid: int) -> Path | None:
    """dbt.log of the `dbt build` running in the group (dagster-dbt gives each invocation its own
    target folder, named in DBT_LOG_PATH), or None while dbt has not started."""
    for pid in _group_members(pgid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            continue
        if b"build" in argv and any(a.endswith(b"/dbt") for a in argv[:2]):
            for item in environ:
                if item.startswith(b"DBT_LOG_PATH="):  # relative to dbt's working directory
                    return cwd / os.fsdecode(item.removeprefix(b"DBT_LOG_PATH=")) / "dbt.log"
    return None


def _nodes_done(log: Path) -> int:
    """Models, seeds and tests dbt has finished, from its JSON log (one NodeFinished event each)."""
    try:
        return log.read_bytes().count(b'"name": "NodeFinished"')
    except OSError:
        return 0


@pytest.fixture(scope="module")
def restated_clean_run(gate_templates: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    """The publication an uninterrupted run makes of the restated inbox: what a killed run's rerun owes."""
    from dagster_project.runner import run_pipeline
    from tests.conftest import instance_copy

    root = tmp_path_factory.mktemp("restated_clean")
    inbox, warehouse = root / "inbox", root / "warehouse"
    shutil.copytree(gate_templates[0], inbox)
    shutil.copytree(gate_templates[1], warehouse)
    _restate_usage(inbox)
    as_of = date.today().isoformat()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(INBOX_ENV_VAR, str(inbox))
        patch.setenv(WAREHOUSE_ENV_VAR, str(warehouse))
        patch.setenv(DAGSTER_HOME_ENV_VAR, str(instance_copy(root / "dagster_home")))
        patch.delenv("EHELSE_ACCEPTANCES", raising=False)
        outcome = run_pipeline(Settings.from_env(as_of_date=as_of))
    assert outcome.ok and outcome.published, outcome.message
    return as_of, _published_marts(WarehousePaths(warehouse).published_db)


@pytest.mark.xdist_group("restated_clean_run")  # its module fixture runs the pipeline: once, on one worker
@pytest.mark.parametrize("nodes_done", [0, 60])
def test_kill_9_during_the_dbt_build_keeps_the_publication_and_a_rerun_publishes(
    published_env, restated_clean_run, tmp_path: Path, nodes_done: int
):
    inbox, warehouse = published_env
    as_of, expected = restated_clean_run
    paths = WarehousePaths(warehouse)
    before = _sha(paths.published_db)
    restated = _restate_usage(inbox)
    env = _child_env()
    output = tmp_path / "run-output.txt"
    with output.open("w") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "run", "--verbose", "--as-of", as_of],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own process group: the run and the dbt it starts
        )
    try:
        # Killed while dbt is building: its process is up, with `nodes_done` nodes finished.
        deadline = time.monotonic() + 300
        log = None
        while time.monotonic() < deadline and run.poll() is None:
            log = log or _dbt_build_log(run.pid)
            if log is not None and log.exists() and _nodes_done(log) >= nodes_done:
                break
            time.sleep(0.05)
        assert run.poll() is None, f"the run ended before dbt was killed:\n{output.read_text()}"
        assert log is not None, f"dbt build never started:\n{output.read_text()}"
        done = _nodes_done(log)
        assert done < 250, f"dbt had nearly finished ({done} nodes): not a kill during the build"
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        while _group_members(run.pid):  # dbt, killed with its run, is gone too
            time.sleep(0.05)

    assert _sha(paths.published_db) == before, "a run killed during dbt changed the publication"
    assert not list(warehouse.glob(".published-*")), "a run killed during dbt left a publication behind"
    assert _balanced(paths.raw_zone)
    # Ingestion committed before dbt started: the changed file is the current version of its
    # period (restated), so nothing accepted is lost, and the next run sees no pending file.
    con = duckdb.connect()
    entries = ledger._rows(
        con,
        paths.raw_zone,
        "select status, is_current from raw.load_ledger where file_name = ? order by finished_at",
        [restated.name],
    )
    con.close()
    assert entries[-1] == ("restated", True), entries

    # The rerun, without hand work: `ehelse run` again (in a process, so that a rerun waiting
    # forever, e.g. on the Dagster pool slot the killed run held, fails the test instead).
    rerun = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.cli", "run", "--quiet", "--as-of", as_of],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        message, _ = rerun.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(rerun.pid, signal.SIGKILL)
        message, _ = rerun.communicate()
        pytest.fail(f"the rerun after the kill did not finish in 15 minutes:\n{message[-2000:]}")
    assert rerun.returncode == 0 and "published " in message, message
    assert _sha(paths.published_db) != before
    assert _published_marts(paths.published_db) == expected
    assert _balanced(paths.raw_zone)


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
    restated = _restate_usage(inbox)
    env = _child_env()
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
    assert _balanced(paths.raw_zone)


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
