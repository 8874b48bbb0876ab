"""A ledger or raw-zone Parquet file truncated by hand (issue 22): named with the way out,
`ehelse raw set-aside <file>`, which moves the file and its load aside so that the next run
loads the inbox file again; never a traceback, nothing deleted."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project import cli
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.warehouse.damaged import SET_ASIDE_DIR, DamagedRawFile, damaged_file
from dagster_project.warehouse.ingest import ingest_files, parsing_connection, pending_files


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.fixture
def loaded(demo_inbox, paths):
    """Two PLL months of the demo inbox in a raw zone; the inbox holds only them."""
    keep = sorted((demo_inbox / "pll").glob("pll_*.csv"))[:2]
    for path in demo_inbox.rglob("*"):
        if path.is_file() and path not in keep and not path.name.startswith("."):
            path.unlink()
    scan = scan_inbox(demo_inbox)
    con = parsing_connection()
    assert [o.status for o in ingest_files(con, paths.raw_zone, scan.files)] == ["loaded", "loaded"]
    con.close()
    return demo_inbox, paths


def _pending(inbox, paths) -> list:
    scan = scan_inbox(inbox)
    return pending_files(paths.raw_zone, scan.files, scan.unmatched, inbox, paths.inbox_hashes)


def test_a_truncated_ledger_entry_is_named_with_the_way_out_and_set_aside(loaded, capsys):
    inbox, paths = loaded
    entry = sorted(p for p in paths.raw_zone.ledger_dir.glob("*.parquet") if p.name != "_schema.parquet")[0]
    _truncate(entry)

    with pytest.raises(DamagedRawFile) as damaged:
        _pending(inbox, paths)
    assert str(entry) in str(damaged.value) and f"ehelse raw set-aside {entry}" in str(damaged.value)
    # The command line says the same, in one message and no traceback.
    assert cli.main(["run", "--warehouse", str(paths.root), "--inbox", str(inbox)]) == 1
    err = capsys.readouterr().err
    assert f"ehelse raw set-aside {entry}" in err and "Traceback" not in err

    assert cli.main(["raw", "set-aside", str(entry), "--warehouse", str(paths.root)]) == 0
    assert not entry.exists()
    kept = list((paths.root / SET_ASIDE_DIR).rglob(entry.name))
    assert kept and kept[0].stat().st_size > 0  # moved, not deleted
    [again] = _pending(inbox, paths)  # its inbox file is loaded again by the next run
    con = parsing_connection()
    assert [o.status for o in ingest_files(con, paths.raw_zone, [again])] == ["loaded"]
    con.close()
    assert _pending(inbox, paths) == []


def test_a_truncated_table_file_is_named_and_set_aside_with_its_load(loaded):
    inbox, paths = loaded
    data = sorted(paths.raw_zone.root.glob("pll_monthly/period=20*/load_id=*/part-0.parquet"))[0]
    _truncate(data)
    con = duckdb.connect()
    with pytest.raises(duckdb.Error) as error:
        con.execute(f"select count(*) from {paths.raw_zone.read_table_sql('pll_monthly')}").fetchall()
    con.close()
    assert damaged_file(error.value, paths.raw_zone) == data

    assert cli.main(["raw", "set-aside", str(data), "--warehouse", str(paths.root)]) == 0
    load_id = data.parent.name.removeprefix("load_id=")
    assert not data.parent.exists()
    assert not list(paths.raw_zone.ledger_dir.glob(f"*-{load_id}.parquet"))  # its entry went with it
    assert [f.period for f in _pending(inbox, paths)] == [data.parent.parent.name.removeprefix("period=")]
