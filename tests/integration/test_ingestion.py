"""Ingestion rules against a real DuckDB file and real inbox files."""

from pathlib import Path

import pytest

from dagster_project.feeds.inbox import scan_inbox
from tests.conftest import load

HEADER = "maaned;kommunenummer;tjeneste;antall_besok;antall_unike_brukere\r\n"


def usage_file(inbox: Path, month: str, rows: list[str], encoding: str = "utf-8", bom: bool = False) -> Path:
    path = inbox / "helsenorge" / f"helsenorge_bruk_{month}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (HEADER + "".join(r + "\r\n" for r in rows)).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def load_all(con, zone, inbox: Path):
    return load(con, zone, *scan_inbox(inbox).files)


def visits(con, month: str) -> int | None:
    return con.execute(
        "select sum(cast(antall_besok as bigint)) from raw.helsenorge_usage where maaned = ?", [month]
    ).fetchone()[0]


def test_same_file_twice_is_a_no_op(con, zone, tmp_path: Path) -> None:
    usage_file(tmp_path, "2023-01", ["2023-01;0301;timeavtaler;100;50"])
    assert [o.status for o in load_all(con, zone, tmp_path)] == ["loaded"]
    assert [o.status for o in load_all(con, zone, tmp_path)] == ["skipped"]
    assert con.execute("select count(*) from raw.load_ledger").fetchone()[0] == 1
    assert visits(con, "2023-01") == 100


def test_a_restatement_replaces_exactly_its_period_and_keeps_the_old_version_traceable(
    con, zone, tmp_path: Path
) -> None:
    usage_file(tmp_path, "2023-01", ["2023-01;0301;timeavtaler;100;50", "2023-01;4601;timeavtaler;40;20"])
    usage_file(tmp_path, "2023-02", ["2023-02;0301;timeavtaler;200;80"])
    load_all(con, zone, tmp_path)
    usage_file(tmp_path, "2023-01", ["2023-01;0301;timeavtaler;111;50"])
    outcomes = {o.period: o.status for o in load_all(con, zone, tmp_path)}
    assert outcomes == {"2023-01": "restated", "2023-02": "skipped"}
    assert visits(con, "2023-01") == 111  # the old 4601 row is gone with its version
    assert visits(con, "2023-02") == 200
    ledger = con.execute(
        "select status, is_current, superseded_by is not null from raw.load_ledger where period = '2023-01' "
        "order by started_at"
    ).fetchall()
    assert ledger == [("loaded", False, True), ("restated", True, False)]


def test_a_renamed_column_rejects_the_file_and_leaves_earlier_data_untouched(con, zone, tmp_path: Path) -> None:
    usage_file(tmp_path, "2023-01", ["2023-01;0301;timeavtaler;100;50"])
    load_all(con, zone, tmp_path)
    path = tmp_path / "helsenorge" / "helsenorge_bruk_2023-01.csv"
    path.write_text(HEADER.replace("antall_besok", "besok") + "2023-01;0301;timeavtaler;999;50\r\n")
    [outcome] = load_all(con, zone, tmp_path)
    assert outcome.status == "rejected"
    assert "missing column(s): antall_besok" in outcome.reason and "besok" in outcome.reason
    assert visits(con, "2023-01") == 100
    assert con.execute("select count(*) from raw.load_ledger where status = 'rejected'").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [("cp1252", False, "windows-1252"), ("utf-8", True, "utf-8-sig"), ("utf-8", False, "utf-8")],
)
def test_windows_1252_and_bom_files_load_with_norwegian_letters_intact(
    con, zone, tmp_path: Path, encoding: str, bom: bool, detected: str
) -> None:
    path = tmp_path / "manual" / "indikator_observasjoner.csv"
    path.parent.mkdir()
    text = "measure_id;periode;verdi;kilde;kommentar\r\n1.5;2023;18;Helsedirektoratet;Tromsø og Ålesund, ærlig talt\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    [outcome] = load_all(con, zone, tmp_path)
    assert outcome.status == "loaded"
    assert con.execute("select encoding from raw.load_ledger").fetchone()[0] == detected
    assert con.execute("select measure_id, kommentar from raw.manual_observations").fetchone() == (
        "1.5",
        "Tromsø og Ålesund, ærlig talt",
    )


def test_bad_rows_are_quarantined_with_file_line_and_rule_and_nothing_is_lost(con, zone, tmp_path: Path) -> None:
    usage_file(
        tmp_path,
        "2023-04",
        [
            "2023-04;0301;timeavtaler;100;50",
            "2023-04;4601;timeavtaler;-5;0",
            "2023-04;4601;resepter;10;20",
            "2023-04;0000;timeavtaler;10;5",
            "2023-04;3001;timeavtaler;10;5",  # Halden's 2020-2023 code: mapped later, not dropped
        ],
    )
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (5, 2, 3)
    quarantined = con.execute("select line_number, rule, message from raw.quarantine order by line_number").fetchall()
    assert [(q[0], q[1]) for q in quarantined] == [
        (3, "negative_count"),
        (4, "unique_users_exceed_visits"),
        (5, "unknown_municipality"),
    ]
    assert quarantined[0][2].startswith("helsenorge/helsenorge_bruk_2023-04.csv line 3:")


def test_a_file_whose_name_matches_no_pattern_is_reported_not_loaded(tmp_path: Path) -> None:
    (tmp_path / "helsenorge").mkdir()
    (tmp_path / "helsenorge" / "helsenorge_bruk_2023-13.csv").write_text(HEADER)
    (tmp_path / "helsenorge" / "bruk.csv").write_text(HEADER)
    scan = scan_inbox(tmp_path)
    assert scan.files == []
    assert sorted(p.name for p in scan.unmatched) == ["bruk.csv", "helsenorge_bruk_2023-13.csv"]
