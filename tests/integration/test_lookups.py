"""Kjernejournal lookup logs: DuckDB reader, row rules, and no clear identifier anywhere."""

import gzip
import json
import logging
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.pseudonym import KEY_ENV_VAR, pseudonym_key, pseudonym_uuid
from dagster_project.settings import WarehousePaths
from dagster_project.warehouse.ingest import ingest_files, parsing_connection
from dagster_project.warehouse.raw_zone import RawZone
from dagster_project.warehouse.working_db import attach_raw_zone
from tests.conftest import load


def lookup_files(inbox: Path):
    return [f for f in scan_inbox(inbox).files if f.feed.name == "kj_lookups"]


def records_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]


def write_records(path: Path, records: list[dict]) -> None:
    path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in records) + "\n").encode()))


def test_row_rules_quarantine_with_line_and_rule_and_withhold_the_identifier(con, zone, demo_inbox: Path) -> None:
    file = lookup_files(demo_inbox)[0]
    records = records_of(file.path)
    bad_fnr = records[0]["pasient_fnr"][:10] + str((int(records[0]["pasient_fnr"][10]) + 1) % 10)
    records[0]["pasient_fnr"] = bad_fnr
    records[1]["tidspunkt"] = "2021-01-02T10:00:00+01:00"  # the next day
    records[2]["virksomhetstype"] = "tannlege"
    write_records(file.path, records)

    [outcome] = load(con, zone, file)
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (len(records), len(records) - 3, 3)
    rows = con.execute("select line_number, rule, message, raw_values from raw.quarantine order by 1").fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        (1, "invalid_fnr"),
        (2, "timestamp_outside_file_date"),
        (3, "unknown_virksomhetstype"),
    ]
    assert rows[0][2].startswith(f"kjernejournal/{file.name} line 1:")
    assert all(bad_fnr not in r[2] and bad_fnr not in r[3] for r in rows)


def test_an_unreadable_file_is_rejected_by_position_without_quoting_content(con, zone, tmp_path: Path) -> None:
    folder = tmp_path / "kjernejournal"
    folder.mkdir()
    (folder / "kj_oppslag_2023-01-05.jsonl.gz").write_bytes(gzip.compress(b'{"pasient_fnr": "01010112345"\n{{\n'))
    [outcome] = load(con, zone, *lookup_files(tmp_path))
    assert outcome.status == "rejected" and outcome.reason.startswith("unreadable_file")
    assert "01010112345" not in outcome.reason


def test_clear_identifiers_reach_no_table_no_log_and_no_byte_of_the_file(
    demo_inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, "a-test-key")
    files = lookup_files(demo_inbox)[:40]
    first = records_of(files[0].path)
    first[0]["pasient_fnr"] = first[0]["pasient_fnr"][:10] + str((int(first[0]["pasient_fnr"][10]) + 1) % 10)
    write_records(files[0].path, first)  # an invalid number must not leak through the quarantine either
    clear = sorted({r[k] for f in files for r in records_of(f.path) for k in ("pasient_fnr", "hpr_nummer")})

    zone = RawZone(tmp_path / "raw")
    with caplog.at_level(logging.DEBUG):
        con = parsing_connection()
        outcomes = ingest_files(con, zone, files, workers=2)  # the parallel path, as the asset runs it
        con.close()
    assert sum(o.rows_loaded for o in outcomes) > 0 and sum(o.rows_quarantined for o in outcomes) == 1

    # Every text column of every Parquet file of the raw zone (rows, quarantine, ledger), searched.
    scanner = duckdb.connect()
    scanner.register("clear_values", pd.DataFrame({"v": clear}))
    parquet_files = sorted(zone.root.rglob("*.parquet"))
    assert parquet_files
    for path in parquet_files:
        columns = [
            name
            for name, data_type, *_ in scanner.execute(f"describe select * from read_parquet('{path}')").fetchall()
            if data_type == "VARCHAR"
        ]
        for column in columns:
            hits = scanner.execute(
                f"select count(*) from read_parquet('{path}') as t, clear_values as c "
                f'where position(c.v in t."{column}") > 0'
            ).fetchone()[0]
            assert hits == 0, f"{path}.{column} holds clear identifiers"
        content = path.read_bytes()
        assert not [v for v in clear if v.encode() in content], path
    scanner.close()
    logged = caplog.text
    assert not [v for v in clear if v in logged]


def test_files_ingested_in_parallel_load_what_one_at_a_time_loads(demo_inbox: Path, tmp_path: Path) -> None:
    files = lookup_files(demo_inbox)[:12]
    loaded = []
    for workers in (1, 2):
        paths = WarehousePaths(tmp_path / f"workers{workers}")
        con = parsing_connection()
        outcomes = ingest_files(con, paths.raw_zone, files, workers=workers)
        attach_raw_zone(paths, con)
        assert [o.file_name for o in outcomes] == [f.name for f in files]
        loaded.append(
            con.execute(
                "select file_period, tidspunkt, oppslag_id, hpr_pseudonym, patient_pseudonym, virksomhet_orgnr,"
                " kommunenummer, virksomhetstype, handling from raw.kj_lookups order by oppslag_id"
            ).fetchall()
        )
        con.close()
    assert loaded[0] == loaded[1]
    assert len(loaded[0]) == sum(len(records_of(f.path)) for f in files)

    # The pseudonyms DuckDB computed are the HMAC-SHA256 of the clear values (as Python computes it).
    record = records_of(files[0].path)[0]
    [row] = [r for r in loaded[0] if str(r[2]) == record["oppslag_id"]]
    assert row[3] == str(pseudonym_uuid(record["hpr_nummer"], pseudonym_key()))
    assert row[4] == str(pseudonym_uuid(record["pasient_fnr"], pseudonym_key()))


def _repeat_in_next_day(inbox: Path) -> tuple[Path, Path, str]:
    """Day 2's log gets day 1's first oppslag_id (its own timestamp stays on day 2)."""
    first, second = sorted(lookup_files(inbox), key=lambda f: f.period)[:2]
    repeated = records_of(first.path)[0]["oppslag_id"]
    records = records_of(second.path)
    records[0]["oppslag_id"] = repeated
    write_records(second.path, records)
    return first.path, second.path, repeated


def test_an_oppslag_id_of_another_days_file_is_quarantined_naming_both_files(con, zone, demo_inbox: Path) -> None:
    first, second, repeated = _repeat_in_next_day(demo_inbox)
    files = sorted(lookup_files(demo_inbox), key=lambda f: f.period)[:2]
    loaded, outcome = load(con, zone, *files)
    assert loaded.rows_quarantined == 0
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (outcome.rows_read - 1, 1)
    [(rule, message, line)] = con.execute("select rule, message, line_number from raw.quarantine").fetchall()
    assert rule == "duplicate_oppslag_id_across_files"
    assert f"kjernejournal/{second.name}" in message and first.name in message and repeated in message
    # The id is stored once: the first file's row stays, the repeat is not counted twice.
    [(n,)] = con.execute("select count(*) from raw.kj_lookups where oppslag_id = ?", [repeated]).fetchall()
    assert n == 1


def test_a_restated_day_replaces_its_ids_in_the_index(con, zone, demo_inbox: Path) -> None:
    first, second, repeated = _repeat_in_next_day(demo_inbox)
    by_period = {f.path: f for f in lookup_files(demo_inbox)}
    load(con, zone, by_period[first])
    # Day 1 is re-delivered without the lookup; its own ids never count against its new version.
    write_records(first, [r for r in records_of(first) if r["oppslag_id"] != repeated])
    [restated] = load(con, zone, by_period[first])
    assert restated.status == "restated" and restated.rows_quarantined == 0
    [outcome] = load(con, zone, by_period[second])
    assert outcome.rows_quarantined == 0 and outcome.rows_loaded == outcome.rows_read


def test_the_index_is_built_from_the_raw_zone_when_missing(con, zone, demo_inbox: Path) -> None:
    from dagster_project.warehouse import id_index

    first, second, repeated = _repeat_in_next_day(demo_inbox)
    by_path = {f.path: f for f in lookup_files(demo_inbox)}
    load(con, zone, by_path[first])
    id_index.drop_index(zone, "kj_lookups")  # a warehouse loaded before the index existed
    [outcome] = load(con, zone, by_path[second])
    assert outcome.rows_quarantined == 1
