"""Compaction of the raw zone (issue 26): a closed month's ledger entries and id-index files
folded into one file each, with every promise of the raw zone kept, and kill -9 at every
step of it leaving a readable zone that reads the same and that the next run compacts."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.feeds.inbox import scan_inbox
from dagster_project.settings import PROJECT_ROOT
from dagster_project.warehouse import compaction, id_index, ledger
from dagster_project.warehouse.ingest import ingest_files, parsing_connection
from dagster_project.warehouse.raw_zone import RawZone

# Entries are finished now: compacting "as of" two months on closes their month.
LATER = datetime.now(UTC) + timedelta(days=62)


def _some_files(inbox: Path) -> list:
    """A few lookup logs over two months and two months of usage files: a few entries of
    several feeds and periods (the kill test runs the compaction once per step)."""
    days = ("2021-01-01", "2021-01-02", "2021-01-03", "2021-02-01", "2021-02-02")
    return [
        f
        for f in scan_inbox(inbox).files
        if (f.feed.name == "kj_lookups" and f.period in days)
        or (f.feed.name == "helsenorge_usage" and f.period in ("2021-01", "2021-02"))
    ]


def _ledger(zone: RawZone) -> list[tuple]:
    """Every field of every entry, with what is derived from them (is_current, superseded_by)."""
    con = duckdb.connect()
    try:
        return sorted(ledger._rows(con, zone, "select * from raw.load_ledger"), key=lambda r: r[0])
    finally:
        con.close()


def _current_lookups(zone: RawZone) -> list[tuple]:
    """The current versions' rows, each as often as it is read (a row read twice shows)."""
    return [r for r in _all_lookups(zone) if r[-1]]


def _all_lookups(zone: RawZone) -> list[tuple]:
    """Every committed version's rows, superseded ones included (what "as known on" a date reads)."""
    con = duckdb.connect()
    try:
        ledger._rows(con, zone, "select 1")
        return sorted(
            con.execute(
                f"select r.load_id, r.period, r.oppslag_id, l.is_current from {zone.read_table_sql('kj_lookups')} as r "
                "inner join raw.load_ledger as l on r.load_id = l.load_id"
            ).fetchall()
        )
    finally:
        con.close()


def _day_folders(zone: RawZone) -> list[Path]:
    return sorted(zone.root.glob("kj_lookups/period=20*/load_id=*"))


def _loaded(demo_inbox: Path, root: Path) -> RawZone:
    zone = RawZone(root / "raw")
    files = _some_files(demo_inbox)
    ingest_files(parsing_connection(), zone, files)
    # A restatement, so the ledger has a superseded version to keep traceable.
    day = next(f for f in files if f.feed.name == "kj_lookups")
    lines = gzip.decompress(day.path.read_bytes()).splitlines()
    day.path.write_bytes(gzip.compress(b"\n".join(lines[:-1]) + b"\n"))
    ingest_files(parsing_connection(), zone, [day])
    return zone


def test_compaction_folds_closed_months_and_the_ledger_answers_the_same(demo_inbox: Path, tmp_path: Path) -> None:
    zone = _loaded(demo_inbox, tmp_path)
    before, lookups, fingerprint = _ledger(zone), _current_lookups(zone), ledger.state_fingerprint(zone)
    entry_files = len(list(zone.ledger_dir.glob("*.parquet")))

    assert compaction.compact(zone, datetime.now(UTC)).ledger_files_folded == 0  # this month is open
    report = compaction.compact(zone, LATER)

    assert report.ledger_files_folded == entry_files - 1  # all but the schema file
    names = sorted(p.name for p in zone.ledger_dir.glob("*.parquet"))
    assert names[0] == "_schema.parquet" and len(names) == 2 and names[1].startswith(ledger.COMPACTED_PREFIX)
    assert _ledger(zone) == before  # every field, the superseded version and its successor included
    assert any(row[-1] is not None for row in before)  # (there is a superseded version)
    assert _current_lookups(zone) == lookups
    assert ledger.state_fingerprint(zone) == fingerprint  # no run mistakes compaction for news
    for month in id_index.table_dir(zone, "kj_lookups").glob("month=*"):
        assert len(list(month.glob("*.parquet"))) == 1
    again = compaction.compact(zone, LATER)
    assert again.ledger_files_folded == 0 and again.versions_folded == 0  # nothing left to fold


def test_compaction_folds_closed_months_daily_versions_into_one_file_each(demo_inbox: Path, tmp_path: Path) -> None:
    """Five days (one restated: six versions) of two closed months become two folded files; every
    version's rows read the same, each once, superseded ones included, until retention."""
    zone = _loaded(demo_inbox, tmp_path)
    everything, usage_folders = _all_lookups(zone), sorted(zone.root.glob("helsenorge_usage/period=*/load_id=*"))
    assert len(_day_folders(zone)) == 6 and len({r[0] for r in everything}) == 6

    report = compaction.compact(zone, LATER)

    assert report.versions_folded == 6 and _day_folders(zone) == []
    assert sorted(p.name for p in zone.root.glob("kj_lookups/period=*")) == ["period=none"]  # no empty folders
    folded = sorted(p.name for p in zone.folded_dir("kj_lookups").glob("*.parquet") if p.name != "_schema.parquet")
    assert [name[:7] for name in folded] == ["2021-01", "2021-02"]
    assert _all_lookups(zone) == everything  # the superseded version too, every row once
    assert sorted(zone.root.glob("helsenorge_usage/period=*/load_id=*")) == usage_folders  # monthly: left alone

    # Retention: the superseded version leaves the folded file; its ledger entry stays.
    ledger_before = _ledger(zone)
    assert compaction.compact(zone, LATER, retention_days=0).versions_expired == 1
    assert _all_lookups(zone) == [r for r in everything if r[-1]]
    assert _ledger(zone) == ledger_before

    # A fold map lost by hand: the folded files hold the only copy, so compaction keeps them.
    folded_files = sorted(zone.folded_dir("kj_lookups").glob("*.parquet"))
    zone.fold_map_path("kj_lookups").unlink()
    compaction.compact(zone, LATER)
    assert sorted(zone.folded_dir("kj_lookups").glob("*.parquet")) == folded_files


def test_the_index_still_finds_a_repeat_after_compaction(demo_inbox: Path, tmp_path: Path) -> None:
    zone = _loaded(demo_inbox, tmp_path)
    compaction.compact(zone, LATER)
    files = sorted((f for f in scan_inbox(demo_inbox).files if f.feed.name == "kj_lookups"), key=lambda f: f.period)
    earlier = next(f for f in files if f.period == "2021-01-02")
    later = next(f for f in files if f.period == "2021-03-01")  # not loaded yet
    repeated = json.loads(gzip.decompress(earlier.path.read_bytes()).splitlines()[0])["oppslag_id"]
    records = [json.loads(line) for line in gzip.decompress(later.path.read_bytes()).splitlines()]
    records[0]["oppslag_id"] = repeated
    later.path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in records) + "\n").encode()))
    [outcome] = ingest_files(parsing_connection(), zone, [later])
    assert outcome.rows_quarantined == 1


_COMPACT = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from pathlib import Path
    from dagster_project.warehouse.compaction import compact
    from dagster_project.warehouse.raw_zone import RawZone
    compact(RawZone(Path(sys.argv[1])), datetime.fromisoformat(sys.argv[2]))
    print("done", flush=True)
    """
)


def test_kill_9_at_every_step_of_a_compaction_leaves_a_zone_that_reads_the_same(
    demo_inbox: Path, tmp_path: Path
) -> None:
    template = _loaded(demo_inbox, tmp_path / "template")
    before, lookups, everything = _ledger(template), _current_lookups(template), _all_lookups(template)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    step = 0
    while True:
        step += 1
        root = tmp_path / f"step-{step}"
        subprocess.run(["cp", "-a", str(template.root), str(root)], check=True)
        zone = RawZone(root)
        child = subprocess.Popen(
            [sys.executable, "-c", _COMPACT, str(root), LATER.isoformat()],
            env={**env, compaction.PAUSE_ENV_VAR: str(step)},
            stdout=subprocess.PIPE,
            text=True,
        )
        line = child.stdout.readline()
        if line.startswith("done"):
            child.wait(timeout=60)
            break  # the compaction has fewer steps than this: every one was killed at once
        assert line.startswith(f"paused at step {step}"), line
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        # Killed there: the zone reads the same rows, and the next compaction completes.
        assert _ledger(zone) == before, f"after a kill at {line}"
        assert _current_lookups(zone) == lookups, f"after a kill at {line}"
        assert _all_lookups(zone) == everything, f"after a kill at {line}"
        compaction.compact(zone, LATER)
        assert _ledger(zone) == before and _current_lookups(zone) == lookups
        assert len([p for p in zone.ledger_dir.glob("*.parquet") if p.name != "_schema.parquet"]) == 1
        assert _day_folders(zone) == [] and _all_lookups(zone) == everything
    assert step > 12  # the ledger's write and removals, the data's and the index's were all reached
