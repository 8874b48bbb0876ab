"""The fault suite of issue 17: real faults (a full tmpfs, a DuckDB memory limit, kill -9, a
second run, a reader holding the file), each judged by the contract's promise: the previous
publication byte-identical or the new one complete and verified, the ledger balanced, nothing
accepted lost, a message naming the fault, and a rerun that recovers without hand work.

A full disk is a real tmpfs (we are root in CI). Where mounting is impossible the disk tests
skip with the reason, unless EHELSE_REQUIRE_TMPFS=1 or CI is set: then they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dagster_project.feeds.inbox import scan_inbox
from dagster_project.publication.publish import PublicationRefused, publish
from dagster_project.settings import Settings, WarehousePaths
from dagster_project.warehouse import ledger
from dagster_project.warehouse.faults import ResourceFailure
from dagster_project.warehouse.ingest import ingest_files, parsing_connection
from tests.integration.fault_checks import balanced, current_state, file_sha

PAGE = 4096


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
    expected = current_state(clean.raw_zone)
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
                assert balanced(paths.raw_zone)
        filler.unlink()
        ingest_files(con, paths.raw_zone, files)  # the rerun, with space again
        assert current_state(paths.raw_zone) == expected
        assert not list((paths.raw_zone.tmp_dir).glob("*")), "a half-written file was left behind"
        shutil.rmtree(paths.root)
    con.close()
    assert {"rows", "ledger"} <= failed_at, failed_at


def test_full_disk_at_publication_keeps_the_previous_one_byte_identical(published_env, tmpfs: Path):
    _, warehouse = published_env
    paths = WarehousePaths(tmpfs / "warehouse")
    shutil.copytree(warehouse, paths.root)
    before = file_sha(paths.published_db)
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
            assert file_sha(paths.published_db) == before
            assert not list(paths.root.glob(".published-*")), "a failed publication left files behind"
        else:
            before = file_sha(paths.published_db)  # a complete publication: verified below
        filler.unlink()
        check = duckdb.connect(str(paths.published_db), read_only=True)
        assert check.execute("select count(*) from marts.measure_status").fetchone()[0] > 0
        check.close()
        assert reader.execute("select count(*) from marts.goal_summary").fetchone()[0] > 0
    reader.close()
    assert refused >= 3
    publish(paths)  # space again: the rerun publishes without hand work
    assert file_sha(paths.published_db) != before


@pytest.mark.slow(seconds=145)
def test_full_disk_in_the_gate_or_the_dbt_build_names_the_fault_and_keeps_the_publication(published_env, tmpfs: Path):
    """The gate's validations and dbt's working database are written during a run: a full disk
    there is a fault, never a verdict of the gate or a failed model."""
    from dagster_project.runner import run_pipeline

    _, warehouse = published_env
    paths = WarehousePaths(tmpfs / "warehouse")
    shutil.copytree(warehouse, paths.root)
    before = file_sha(paths.published_db)
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
        assert file_sha(paths.published_db) == before
        assert balanced(paths.raw_zone)
    assert stopped_in == {"quality gate", "dbt build"}, stopped_in

    again = run_pipeline(settings)  # space again: the same run publishes without hand work
    assert again.ok and again.published, again.message
    assert file_sha(paths.published_db) != before


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
