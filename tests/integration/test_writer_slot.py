"""One writer per warehouse, never a silent wait (issue 24): the pool belongs to the warehouse,
a run that must wait says for whom and since when, gives up after the set time, stops on
SIGTERM and Ctrl-C, and the claim of a run whose process is gone is released.

The holder is a real Dagster run in a child process (a real instance, the committed
dagster.yaml) whose one step sits in the warehouse's pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.settings import DAGSTER_HOME_ENV_VAR, PROJECT_ROOT, WarehousePaths
from dagster_project.writer_slot import PID_TAG, WriterBusy, holders, wait_for_writer_slot

_HOLD = textwrap.dedent(
    """
    import os, socket, sys, time
    import dagster as dg
    from dagster_project.writer_slot import HOST_TAG, PID_TAG

    @dg.asset(pool=sys.argv[1])
    def hold() -> None:
        print("holding", flush=True)
        time.sleep(600)

    with dg.DagsterInstance.get() as instance:
        dg.materialize([hold], instance=instance, tags={PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})
    """
)

_WAIT = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from dagster_project.writer_slot import wait_for_writer_slot

    with dg.DagsterInstance.get() as instance:
        wait_for_writer_slot(instance, sys.argv[1], timeout_seconds=600, poll_seconds=0.2)
    print("got the slot", flush=True)
    """
)


def _child(script: str, pool: str, home: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, DAGSTER_HOME_ENV_VAR: str(home)}
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, "-c", script, pool], env=env, text=True, **kwargs)


@pytest.fixture
def held(dagster_instance: Path, tmp_path: Path):
    """A warehouse whose writer pool a live run of another process holds: (instance, pool, holder)."""
    pool = WarehousePaths(tmp_path / "warehouse").writer_pool
    holder = _child(_HOLD, pool, dagster_instance, stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "holding"
    instance = dg.DagsterInstance.from_config(str(dagster_instance))
    yield instance, pool, holder
    holder.kill()
    holder.wait()
    instance.dispose()


def test_a_waiting_run_says_for_whom_and_since_when_then_gives_up(held, tmp_path: Path) -> None:
    instance, pool, holder = held
    [holding] = holders(instance, pool)
    assert instance.get_run_by_id(holding.run_id).tags[PID_TAG] == str(holder.pid)
    said: list[str] = []
    started = time.monotonic()
    with pytest.raises(WriterBusy) as refused:
        wait_for_writer_slot(instance, pool, timeout_seconds=2, say=said.append, poll_seconds=0.2)
    assert 2 <= time.monotonic() - started < 10
    assert len(said) == 1 and f"held by run {holding.run_id}" in said[0], said
    assert f"`ehelse run` pid {holder.pid}" in said[0] and " since 20" in said[0], said
    message = str(refused.value)
    assert message.startswith("gave up after 2 s waiting for the warehouse's writer slot, held by run "), message
    assert "EHELSE_WRITER_WAIT_SECONDS" in message
    # Another warehouse recorded in the same instance does not wait.
    other = WarehousePaths(tmp_path / "other").writer_pool
    wait_for_writer_slot(instance, other, timeout_seconds=0, say=said.append)
    assert len(said) == 1


def test_the_run_of_a_process_that_is_gone_is_released(held) -> None:
    instance, pool, holder = held
    [holding] = holders(instance, pool)
    holder.send_signal(signal.SIGKILL)  # the run stays STARTED in the instance, its process gone
    holder.wait()
    assert instance.get_run_by_id(holding.run_id).status == dg.DagsterRunStatus.STARTED
    said: list[str] = []
    wait_for_writer_slot(instance, pool, timeout_seconds=5, say=said.append)
    assert said == []
    assert instance.get_run_by_id(holding.run_id).status == dg.DagsterRunStatus.FAILURE
    assert holders(instance, pool) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_waiting_run_stops_on_sigterm_and_ctrl_c(held, dagster_instance: Path, sig: signal.Signals) -> None:
    _, pool, _ = held
    waiter = _child(_WAIT, pool, dagster_instance, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert "waiting for the warehouse's writer slot, held by run " in waiter.stderr.readline()
    waiter.send_signal(sig)
    out, _ = waiter.communicate(timeout=15)  # stops within seconds, not when the holder is done
    assert waiter.returncode != 0 and "got the slot" not in out
