"""The raw zone: an old warehouse (raw rows and ledger inside warehouse.duckdb) is migrated
by `ehelse migrate` (the first step of `ehelse run`), and the ledger's rule of what is current
is the same in Python and in dbt."""

from pathlib import Path

import duckdb

from dagster_project import cli
from dagster_project.settings import WarehousePaths
from dagster_project.warehouse.working_db import connect, migrate_legacy_raw

LEGACY_DDL = """
create schema raw;
create table raw.load_ledger (
    load_id varchar primary key, file_name varchar not null, file_path varchar not null,
    source_family varchar not null, period varchar, sha256 varchar not null, size_bytes bigint not null,
    encoding varchar, rows_read bigint not null, rows_loaded bigint not null, rows_quarantined bigint not null,
    status varchar not null, reason varchar, is_current boolean not null, superseded_by varchar,
    started_at timestamp not null, finished_at timestamp not null, run_id varchar
);
create table raw.quarantine (
    load_id varchar not null, file_name varchar not null, source_family varchar not null, period varchar,
    line_number bigint, rule varchar not null, message varchar not null, raw_values varchar,
    quarantined_at timestamp not null
);
create table raw.pll_monthly (
    load_id varchar not null, file_period varchar not null, source_line bigint not null,
    maaned varchar, kommunenummer varchar, tilrettelagt varchar, antall_pasienter_med_pll varchar,
    antall_oppslag varchar, antall_virksomheter_som_oppdaterer varchar
);
create table raw.kj_lookups (
    load_id varchar not null, file_period date not null, tidspunkt timestamp with time zone not null,
    oppslag_id uuid not null, hpr_pseudonym uuid not null, patient_pseudonym uuid not null,
    virksomhet_orgnr varchar not null, kommunenummer varchar not null, virksomhetstype varchar not null,
    handling varchar not null
);
create schema marts;
create table marts.kept as select 42 as answer;
insert into raw.load_ledger values
    ('L1', 'pll_2023-01.csv', '/in/pll/pll_2023-01.csv', 'pll', '2023-01', 'aaa', 10, 'utf-8', 2, 2, 0,
     'loaded', null, false, 'L2', '2023-02-05 06:00', '2023-02-05 06:01', 'r1'),
    ('L2', 'pll_2023-01.csv', '/in/pll/pll_2023-01.csv', 'pll', '2023-01', 'bbb', 12, 'utf-8', 3, 2, 1,
     'restated', null, true, null, '2023-03-05 06:00', '2023-03-05 06:01', 'r2'),
    ('L3', 'indikator_observasjoner.csv', '/in/manual/indikator_observasjoner.csv', 'manual', 'all', 'ccc', 5,
     null, 0, 0, 0, 'rejected', 'missing_columns: periode', false, null, '2023-03-05 06:00', '2023-03-05 06:02', 'r2'),
    ('L4', 'kj_oppslag_2023-01-02.jsonl.gz', '/in/kj/kj_oppslag_2023-01-02.jsonl.gz', 'kj_lookups', '2023-01-02',
     'ddd', 99, 'utf-8', 1, 1, 0, 'loaded', null, true, null, '2023-01-03 06:00', '2023-01-03 06:01', 'r0');
insert into raw.pll_monthly values
    ('L2', '2023-01', 2, '2023-01', '0301', 'ja', '100', '5', '3'),
    ('L2', '2023-01', 4, '2023-01', '4601', 'nei', '0', '0', '0');
insert into raw.quarantine values
    ('L2', 'pll_2023-01.csv', 'pll', '2023-01', 3, 'invalid_yes_no', 'pll/pll_2023-01.csv line 3: ...', '{}',
     '2023-03-05 06:01');
insert into raw.kj_lookups values
    ('L4', '2023-01-02', '2023-01-02 10:00:00+01', '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
     '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '999999999', '0301',
     'sykehus', 'les');
"""


def test_an_old_warehouse_is_migrated_into_the_raw_zone_once_and_loses_nothing(tmp_path: Path, capsys) -> None:
    paths = WarehousePaths(tmp_path / "warehouse")
    paths.root.mkdir()
    legacy = duckdb.connect(str(paths.working_db))
    legacy.execute(LEGACY_DDL)
    legacy.close()

    # `ehelse migrate` (which `ehelse run` does first): a step of its own, not of every connection.
    assert cli.main(["migrate", "--warehouse", str(paths.root)]) == 0
    assert "moved into the raw zone" in capsys.readouterr().out
    assert not migrate_legacy_raw(paths)  # once
    assert cli.main(["migrate", "--warehouse", str(paths.root)]) == 0
    assert "nothing to migrate" in capsys.readouterr().out

    with connect(paths, "1GB", read_only=True) as con:
        assert con.execute("select answer from marts.kept").fetchone() == (42,)  # dbt's tables stay
        ledger = con.execute(
            "select load_id, source_family, status, is_current, superseded_by from raw.load_ledger order by load_id"
        ).fetchall()
        assert ledger == [
            ("L1", "pll_monthly", "loaded", False, "L2"),
            ("L2", "pll_monthly", "restated", True, None),
            ("L3", "manual_observations", "rejected", False, None),
            ("L4", "kj_lookups", "loaded", True, None),
        ]
        assert con.execute(
            "select file_period, source_line, kommunenummer, antall_pasienter_med_pll from raw.pll_monthly order by 2"
        ).fetchall() == [("2023-01", 2, "0301", "100"), ("2023-01", 4, "4601", "0")]
        [lookup] = con.execute(
            "select file_period, tidspunkt, oppslag_id, patient_pseudonym from raw.kj_lookups"
        ).fetchall()
        assert lookup[0] == "2023-01-02" and lookup[1].timestamp() == 1672650000
        assert lookup[2:] == ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "00000000-0000-0000-0000-000000000002")
        assert con.execute("select source_family, line_number, rule from raw.quarantine").fetchall() == [
            ("pll_monthly", 3, "invalid_yes_no")
        ]
        schemas = {
            r[0]
            for r in con.execute(
                "select schema_name from information_schema.schemata where catalog_name = 'working'"
            ).fetchall()
        }
        assert "raw" not in schemas
    # The versions are open Parquet files in the Hive layout, readable without DuckDB's catalog.
    assert (paths.raw_zone.load_dir("pll_monthly", "2023-01", "L2") / "part-0.parquet").exists()


def test_python_and_dbt_agree_on_what_is_current(published_readonly) -> None:
    """dbt's staging model applies the ledger's rule in dbt's SQL (one copy per language):
    on a warehouse with restatements both name the same current loads."""
    _, warehouse = published_readonly
    paths = WarehousePaths(warehouse)
    with connect(paths, "1GB", read_only=True) as con:
        python = con.execute("select load_id, is_current, superseded_by from raw.load_ledger order by 1").fetchall()
        dbt = con.execute(
            "select load_id, is_current, superseded_by from staging.stg_ingestion__file_loads order by 1"
        ).fetchall()
    assert python == dbt and any(current for _, current, _ in python)


def test_a_superseded_version_stays_on_disk_until_retention_removes_it(con, zone, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from dagster_project.feeds.inbox import scan_inbox
    from dagster_project.warehouse import ledger
    from tests.conftest import load

    inbox = tmp_path / "inbox"
    path = inbox / "pll" / "pll_2023-01.csv"
    path.parent.mkdir(parents=True)
    header = (
        "maaned;kommunenummer;tilrettelagt;antall_pasienter_med_pll;antall_oppslag;antall_virksomheter_som_oppdaterer\n"
    )
    path.write_text(header + "2023-01;0301;ja;100;5;3\n")
    [first] = load(con, zone, *scan_inbox(inbox).files)
    path.write_text(header + "2023-01;0301;ja;120;5;3\n")
    [second] = load(con, zone, *scan_inbox(inbox).files)
    assert (first.status, second.status) == ("loaded", "restated")
    old, new = [r[0] for r in con.execute("select load_id from raw.load_ledger order by finished_at").fetchall()]
    assert (zone.load_dir("pll_monthly", "2023-01", old) / "part-0.parquet").exists()  # traceable
    assert con.execute("select antall_pasienter_med_pll from raw.pll_monthly").fetchall() == [("120",)]

    # A load that died before its ledger entry: invisible, and swept once a day old.
    orphan = zone.load_dir("pll_monthly", "2023-02", "never-committed")
    orphan.mkdir(parents=True)
    (orphan / "part-0.parquet").write_bytes(b"")

    now = datetime.now(UTC)
    assert ledger.sweep(zone, None, now) == []
    assert ledger.sweep(zone, 30, now) == []  # superseded a moment ago
    removed = ledger.sweep(zone, 30, now + timedelta(days=31))
    assert sorted(p.name for p in removed) == sorted([f"load_id={old}", "load_id=never-committed"])
    assert (zone.load_dir("pll_monthly", "2023-01", new) / "part-0.parquet").exists()
    assert con.execute("select count(*) from raw.load_ledger").fetchone()[0] == 2  # entries always stay
