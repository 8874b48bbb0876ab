"""The fault suite of issue 17 (see test_faults.py): kill -9 during the dbt build, and the rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.publication.publish import PUBLISHED_TABLES
from dagster_project.settings import WarehousePaths
from dagster_project.warehouse import ledger
from tests.integration.fault_checks import balanced, child_env, file_sha, restate

# --------------------------------------------------------------------------- kill -9 during the dbt build

TABLES_COMPARED = ("goal_summary", "measure_status")


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


def _start_run(env: dict[str, str], as_of: str, output: Path) -> subprocess.Popen:
    """`ehelse run` in a process group of its own (the run and the dbt it starts), its output in `output`."""
    with output.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "run", "--verbose", "--as-of", as_of],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def _kill_during_the_build(run: subprocess.Popen, nodes_done: int, output: Path) -> None:
    """SIGKILL the run's process group while dbt is building, with `nodes_done` nodes finished."""
    try:
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
        assert done < 200, f"dbt had nearly finished ({done} nodes): not a kill during the build"
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        while _group_members(run.pid):  # dbt, killed with its run, is gone too
            time.sleep(0.05)


@pytest.mark.slow(seconds=150)
def test_kill_9_during_the_dbt_build_keeps_the_publication_and_a_rerun_publishes(
    published_env, restated_publication: Path, tmp_path: Path
):
    """A run that restates a file is killed (SIGKILL to the run and its dbt) as dbt starts; the
    next run, with nothing left to ingest, is killed again with 60 nodes built; the run after
    that publishes what an uninterrupted run of the same inbox published (conftest's
    restated_publication). After each kill the publication and the raw zone are as they were."""
    inbox, warehouse = published_env
    as_of = json.loads((restated_publication / "run.json").read_text(encoding="utf-8"))["as_of"]
    expected = _published_marts(WarehousePaths(restated_publication / "warehouse").published_db)
    paths = WarehousePaths(warehouse)
    before = file_sha(paths.published_db)
    restated = restate(inbox)
    env = child_env()
    for nodes_done in (0, 60):
        output = tmp_path / f"run-killed-at-{nodes_done}.txt"
        _kill_during_the_build(_start_run(env, as_of, output), nodes_done, output)

        assert file_sha(paths.published_db) == before, "a run killed during dbt changed the publication"
        assert not list(warehouse.glob(".published-*")), "a run killed during dbt left a publication behind"
        assert balanced(paths.raw_zone)
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
        pytest.fail(f"the rerun after the kills did not finish in 15 minutes:\n{message[-2000:]}")
    assert rerun.returncode == 0 and "published " in message, message
    assert file_sha(paths.published_db) != before
    assert _published_marts(paths.published_db) == expected
    assert balanced(paths.raw_zone)
