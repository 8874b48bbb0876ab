"""Kjernejournal lookup logs: DuckDB reader, row rules, and no clear identifier anywhere."""

import gzip
import json
import logging
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.inbox import FAMILIES, scan_inbox
from dagster_project.lib.ingest import ensure_raw_tables, ingest_file, ingest_files
from dagster_project.lib.pseudonym import KEY_ENV_VAR, pseudonym_key, pseudonym_uuid, pseudonymise


def lookup_files(inbox: Path):
    return [f for f in scan_inbox(inbox).files if f.family.name == "kj_lookups"]


def records_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]


def write_records(path: Path, records: list[dict]) -> None:
    path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in records) + "\n").encode()))


def test_row_rules_quarantine_with_line_and_rule_and_withhold_the_identifier(con, demo_inbox: Path) -> None:
    file = lookup_files(demo_inbox)[0]
    records = records_of(file.path)
    bad_fnr = records[0]["pasient_fnr"][:10] + str((int(records[0]["pasient_fnr"][10]) + 1) % 10)
    records[0]["pasient_fnr"] = bad_fnr
    records[1]["tidspunkt"] = "2021-01-02T10:00:00+01:00"  # the next day
    records[2]["virksomhetstype"] = "tannlege"
    write_records(file.path, records)

    outcome = ingest_file(con, file)
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (len(records), len(records) - 3, 3)
    rows = con.execute("select line_number, rule, message, raw_values from raw.quarantine order by 1").fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        (1, "invalid_fnr"),
        (2, "timestamp_outside_file_date"),
        (3, "unknown_virksomhetstype"),
    ]
    assert rows[0][2].startswith(f"kjernejournal/{file.name} line 1:")
    assert all(bad_fnr not in r[2] and bad_fnr not in r[3] for r in rows)


def test_an_unreadable_file_is_rejected_by_position_without_quoting_content(con, tmp_path: Path) -> None:
    folder = tmp_path / "kjernejournal"
    folder.mkdir()
    (folder / "kj_oppslag_2023-01-05.jsonl.gz").write_bytes(gzip.compress(b'{"pasient_fnr": "01010112345"\n{{\n'))
    [outcome] = [ingest_file(con, f) for f in lookup_files(tmp_path)]
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

    db = tmp_path / "scan.duckdb"
    with caplog.at_level(logging.DEBUG):
        con = duckdb.connect(str(db))
        ensure_raw_tables(con, FAMILIES)
        outcomes = ingest_files(con, files, workers=2)  # the parallel path, as the asset runs it
        con.close()
    assert sum(o.rows_loaded for o in outcomes) > 0 and sum(o.rows_quarantined for o in outcomes) == 1

    # Every text column of every table, searched from outside the file.
    scanner = duckdb.connect()
    scanner.execute(f"attach '{db}' as wh (read_only)")
    scanner.register("clear_values", pd.DataFrame({"v": clear}))
    columns = scanner.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = 'wh' and data_type = 'VARCHAR'"
    ).fetchall()
    assert columns
    for schema, table, column in columns:
        hits = scanner.execute(
            f'select count(*) from wh."{schema}"."{table}" as t, clear_values as c '
            f'where position(c.v in t."{column}") > 0'
        ).fetchone()[0]
        assert hits == 0, f"{schema}.{table}.{column} holds clear identifiers"
    scanner.close()

    content = db.read_bytes()
    assert not [v for v in clear if v.encode() in content]
    logged = caplog.text
    assert not [v for v in clear if v in logged]


def test_files_ingested_in_parallel_load_what_one_at_a_time_loads(demo_inbox: Path, tmp_path: Path) -> None:
    files = lookup_files(demo_inbox)[:12]
    loaded = []
    for workers in (1, 2):
        con = duckdb.connect(str(tmp_path / f"workers{workers}.duckdb"))
        ensure_raw_tables(con, FAMILIES)
        outcomes = ingest_files(con, files, workers=workers)
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
    assert row[3] == pseudonym_uuid(record["hpr_nummer"], pseudonym_key())
    assert row[4] == pseudonym_uuid(record["pasient_fnr"], pseudonym_key())


def test_a_warehouse_with_text_lookup_columns_is_converted_in_place() -> None:
    from dagster_project.lib.lookups import ensure_raw_table

    con = duckdb.connect()
    con.execute("create schema raw")
    columns = "load_id, file_period, tidspunkt, oppslag_id, hpr_pseudonym, patient_pseudonym, virksomhet_orgnr"
    columns += ", kommunenummer, virksomhetstype, handling"
    con.execute(f"create table raw.kj_lookups ({', '.join(c + ' varchar not null' for c in columns.split(', '))})")
    key = b"an-old-key"
    old_row = ["l1", "2024-01-02", "2024-01-02T10:00:00+01:00", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"]
    old_row += [pseudonymise("1234567", key), pseudonymise("01010112345", key), "999999999", "0301", "sykehus", "les"]
    con.execute("insert into raw.kj_lookups values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", old_row)

    ensure_raw_table(con)
    ensure_raw_table(con)  # a second time changes nothing

    [row] = con.execute("select file_period, tidspunkt, oppslag_id, patient_pseudonym from raw.kj_lookups").fetchall()
    assert str(row[0]) == "2024-01-02" and row[1].timestamp() == 1704186000
    assert str(row[2]) == old_row[3] and row[3] == pseudonym_uuid("01010112345", key)
