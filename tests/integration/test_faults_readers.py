"""The fault suite of issue 17 (see test_faults.py): readers holding every file during a restating run."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.publication.publish import PUBLISHED_TABLES
from dagster_project.settings import WarehousePaths
from dagster_project.warehouse import ledger
from tests.integration.fault_checks import balanced, publication_count


@pytest.mark.slow(seconds=60)  # whichever test comes first builds the shared run
def test_readers_holding_every_file_neither_block_a_restating_run_nor_see_it(restated_publication: Path) -> None:
    """While a run restates a file, publishes and (retention 0 days) sweeps the superseded version
    from the raw zone, another process holds every raw-zone, ledger and published file open,
    published.duckdb in a read-only DuckDB connection and a raw-zone query half read. The run
    needs no exclusive access; each reader keeps reading the bytes it opened (Linux unlinks and
    renames directory entries, never an open file); a new reader sees the new publication whole.
    The run is conftest's restated_publication (fault_checks.build_restated_publication)."""
    record = json.loads((restated_publication / "run.json").read_text(encoding="utf-8"))
    paths = WarehousePaths(restated_publication / "warehouse")
    held = record["holding"]["held"]
    kinds = set(held.values())
    assert kinds == {"raw", "ledger", "quarantine", "published parquet"}, kinds
    superseded = [p for p, kind in held.items() if kind == "raw" and "/helsenorge_usage/period=2022-06/" in p]
    assert len(superseded) == 1, superseded

    outcome = record["outcome"]
    assert outcome["ok"] and outcome["published"], outcome["message"]
    assert "superseded or uncommitted file version(s) removed" in outcome["message"], outcome["message"]
    assert superseded[0] not in record["still_there"], "the sweep kept the superseded version a reader holds"
    seen = record["seen"]
    assert seen["changed"] == {}, f"a held file changed under its reader: {seen['changed']}"
    assert seen["published_same"], "the reader of published.duckdb saw the new publication mid-session"
    assert seen["stream_same"], "the raw-zone query in progress did not finish on the data it started on"
    # The new publication, for a new reader: complete, with the restated file's new content.
    assert publication_count(paths.published_db) == record["publications_before"] + 1
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
    [(sha,)] = con.execute(
        "select sha256 from marts.publication_files where file_name = ?", [record["restated"]]
    ).fetchall()
    con.close()
    assert sha == ledger.sha256_of(restated_publication / "inbox" / "helsenorge" / record["restated"])
    assert balanced(paths.raw_zone)


def test_a_dashboard_querying_during_the_run_sees_the_old_publication_whole_then_the_new(
    restated_publication: Path,
) -> None:
    """A process queried the publication every half second from a connection opened before the
    run (fault_checks.watching): every answer while the run wrote, and after it on that
    connection, is the old publication's; a new connection gets the new one whole: the restated
    file's checksum and its figure (1.1.1: +7 visits), the fact's size kept."""
    record = json.loads((restated_publication / "run.json").read_text(encoding="utf-8"))
    watched = record["watched"]
    assert watched["polls"] >= 5, watched  # it kept asking while the run ran
    assert len(watched["during"]) == 1, f"the reader saw the publication change under it: {watched['during']}"
    [before] = watched["during"]
    assert watched["after"] == before
    rows, visits, sha = watched["fresh"]
    restated = ledger.sha256_of(restated_publication / "inbox" / "helsenorge" / record["restated"])
    assert before[2] == record["sha_before"] != restated and sha == restated
    assert visits == before[1] + 7
    assert rows == before[0] > 1000
