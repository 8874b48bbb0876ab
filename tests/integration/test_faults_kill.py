"""The fault suite of issue 17 (see test_faults.py): kill -9 during publication and ingestion, a second run."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.feeds.inbox import scan_inbox
from dagster_project.publication.publish import publish
from dagster_project.settings import WarehousePaths
from dagster_project.warehouse.faults import run_lock
from dagster_project.warehouse.ingest import ingest_files, parsing_connection
from tests.integration.fault_checks import balanced, current_state, file_sha

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
    files = scan_inbox(Path(sys.argv[1])).files
    zone = WarehousePaths(Path(sys.argv[2])).raw_zone
    ingest_files(parsing_connection(), zone, files, progress=lambda outcome, done: print(done, flush=True))
    """
)


@pytest.mark.slow(seconds=60)
def test_kill_9_during_ingestion_then_rerun_equals_a_clean_load(published_readonly, tmp_path: Path):
    inbox, _ = published_readonly  # only read
    files = scan_inbox(inbox).files
    clean = WarehousePaths(tmp_path / "clean")
    started = time.monotonic()
    ingest_files(parsing_connection(), clean.raw_zone, files)
    half_a_file = (time.monotonic() - started) / len(files) / 2
    expected = current_state(clean.raw_zone)
    # Early, midway and late in the ingestion, whatever this machine's speed: after 10 %, 40 %
    # and 80 % of the files, half a file's average time into the next one.
    for fraction in (0.1, 0.4, 0.8):
        paths = WarehousePaths(tmp_path / f"killed-{fraction}")
        process = subprocess.Popen(
            [sys.executable, "-c", _INGEST, str(inbox), str(paths.root)], stdout=subprocess.PIPE, text=True
        )
        done = 0
        while done < fraction * len(files):
            line = process.stdout.readline()
            assert line, f"the killed ingestion ended after {done} of {len(files)} files"
            done = int(line)
        time.sleep(half_a_file)
        assert process.poll() is None, f"the ingestion ended before the kill after {done} files"
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert balanced(paths.raw_zone)
        ingest_files(parsing_connection(), paths.raw_zone, files)
        assert current_state(paths.raw_zone) == expected


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
    before = file_sha(warehouse / "published.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    started = time.monotonic()
    outcome = run_pipeline()
    assert not outcome.ok and "another run holds the warehouse since " in outcome.message, outcome.message
    assert time.monotonic() - started < 10
    assert file_sha(warehouse / "published.duckdb") == before
    holder.send_signal(signal.SIGKILL)  # the holder dies with -9: the lock goes with it
    holder.wait()
    outcome = run_pipeline()
    assert outcome.ok, outcome.message
    with run_lock(warehouse):
        pass
