"""Every bad input of issue 17, each judged by the contract: it reaches the ledger (or the
quarantine) with a message naming the file, the line and the rule; nothing accepted is lost;
no identifier is stored or printed in clear; nothing outside the inbox is read."""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import duckdb
import openpyxl
import pytest

from dagster_project.feeds.csv_io import FileRejected, read_csv
from dagster_project.feeds.fnr import control_digits
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.pseudonym import DEMO_MARKER, KEY_ENV_VAR, KEY_FINGERPRINT_FILE, KeyRefused, check_key
from dagster_project.publication.publish import formula_condition
from dagster_project.runner import run_pipeline
from dagster_project.settings import ACCEPTANCES_ENV_VAR, WarehousePaths
from dagster_project.warehouse import ledger
from dagster_project.warehouse.ingest import ingest_files, parsing_connection, pending_files, record_unmatched

FNR = "010190100" + control_digits("010190100")  # passes mod-11 (synthetic)


def _load(inbox: Path, paths: WarehousePaths, *only: Path):
    """Ingest the inbox (its unmatched names recorded), or only the files `only` names: a test of
    one file's rules need not load the demo inbox's two years."""
    scan = scan_inbox(inbox)
    con = parsing_connection()
    files = [f for f in scan.files if f.path in only] if only else scan.files
    outcomes = ingest_files(con, paths.raw_zone, files)
    if not only:
        outcomes += [record_unmatched(con, paths.raw_zone, p, inbox) for p in scan.unmatched]
    con.close()
    return outcomes


def _ledger_text(paths: WarehousePaths) -> str:
    con = duckdb.connect()
    rows = ledger._rows(con, paths.raw_zone, "select file_name, status, reason from raw.load_ledger")
    quarantine = con.execute(
        f"select rule || ': ' || message, raw_values from read_parquet('{paths.raw_zone.quarantine_dir}/*.parquet', "
        "union_by_name = true)"
    ).fetchall()
    con.close()
    return json.dumps([list(r) for r in rows + quarantine], ensure_ascii=False)


@pytest.mark.parametrize(
    ("relative", "content", "rule"),
    [
        ("kjernejournal/kj_innforing_2099-12-31.csv", b"kommunenummer;innfort_dato\n0301;2020-01-01\n", "period"),
        ("pll/pll_1900-01.csv", b"maaned;kommunenummer\n", "period"),
        ("surveys/innbyggerundersokelsen_2199.xlsx", b"PK", "period"),
        ("helsenorge/helsenorge_bruk_2021-01 (copy).csv", b"x", "file_name"),
    ],
)
def test_impossible_periods_and_names_reach_the_ledger_once(tmp_path, relative, content, rule):
    inbox, paths = tmp_path / "inbox", WarehousePaths(tmp_path / "wh")
    (inbox / relative).parent.mkdir(parents=True)
    (inbox / relative).write_bytes(content)
    [outcome] = _load(inbox, paths)
    assert outcome.status == "rejected" and outcome.reason.startswith(rule), outcome.reason
    scan = scan_inbox(inbox)
    # Handled once: the next run has nothing pending and does not republish.
    assert not pending_files(paths.raw_zone, scan.files, scan.unmatched, inbox, paths.inbox_hashes)


def test_links_and_paths_outside_the_inbox_are_refused_unread(tmp_path):
    inbox, paths = tmp_path / "inbox", WarehousePaths(tmp_path / "wh")
    secret = tmp_path / "outside.csv"
    secret.write_text("root:x:0:0:SECRET-LINE\n")
    (inbox / "pll").mkdir(parents=True)
    (inbox / "pll" / "pll_2022-01.csv").symlink_to(secret)
    (inbox / "manual").mkdir()
    (inbox / "manual" / "passwd").symlink_to("/etc/passwd")
    outcomes = _load(inbox, paths)
    assert sorted(o.status for o in outcomes) == ["rejected", "rejected"]
    assert all("refused_path" in o.reason for o in outcomes)
    assert "SECRET-LINE" not in _ledger_text(paths) and "root:" not in _ledger_text(paths)


def test_file_names_are_stored_and_shown_escaped(tmp_path):
    inbox, paths = tmp_path / "inbox", WarehousePaths(tmp_path / "wh")
    (inbox / "pll").mkdir(parents=True)
    os.close(os.open(os.fsencode(inbox / "pll") + b"/evil\x1b[31mred\xff.csv", os.O_CREAT | os.O_WRONLY))
    [outcome] = _load(inbox, paths)
    assert outcome.status == "rejected"
    assert "\x1b" not in outcome.file_name and "\\x1b" in outcome.file_name and "\\udcff" in outcome.file_name
    assert "\x1b" not in _ledger_text(paths)


def test_a_field_over_the_csv_limit_is_a_rule_with_its_line(tmp_path):
    path = tmp_path / "pll_2022-01.csv"
    path.write_text("maaned;kommunenummer\n2022-01;0301\n2022-01;" + "9" * 200_000 + "\n")
    with pytest.raises(FileRejected) as rejected:
        read_csv(path, ["maaned", "kommunenummer"])
    assert rejected.value.rule == "malformed_csv" and "line 3" in rejected.value.message


def test_a_stray_quote_pair_refuses_the_file_naming_the_line(tmp_path):
    path = tmp_path / "helsenorge_bruk_2022-01.csv"
    lines = ["maaned;kommunenummer;tjeneste;antall_besok;antall_unike_brukere"]
    lines += [f"2022-01;0301;timeavtaler;{i};1" for i in range(60)]
    lines[3] = '2022-01;0301;"timeavtaler;3;1'
    lines[54] = '2022-01;0301;timeavtaler";54;1'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FileRejected) as rejected:
        read_csv(path, lines[0].split(";"))
    assert rejected.value.rule == "stray_quote" and "line 4" in rejected.value.message


def test_absurd_counts_and_manual_values_are_quarantined_with_their_rule(demo_inbox, paths):
    usage = sorted((demo_inbox / "helsenorge").glob("helsenorge_bruk_*.csv"))[0]
    text = usage.read_text(encoding="utf-8").splitlines()
    fields = text[1].split(";")
    fields[3] = "1" + "0" * 20
    text[1] = ";".join(fields)
    usage.write_text("\n".join(text) + "\n", encoding="utf-8")
    manual = demo_inbox / "manual" / "indikator_observasjoner.csv"
    manual.write_text(
        manual.read_text(encoding="utf-8").rstrip("\n") + "\n1.5;2099;999999999;test;\n", encoding="utf-8"
    )
    outcomes = {o.file_name: o for o in _load(demo_inbox, paths, usage, manual)}
    assert outcomes[usage.name].rows_quarantined == 1
    assert outcomes["indikator_observasjoner.csv"].rows_quarantined >= 1
    stored = _ledger_text(paths)
    assert "implausible_count" in stored and f"{usage.name} line 2" in stored
    assert "period_out_of_range" in stored


def test_an_identifier_in_the_wrong_field_is_pseudonymised_before_it_is_stored(demo_inbox, paths, caplog):
    usage = sorted((demo_inbox / "helsenorge").glob("helsenorge_bruk_*.csv"))[0]
    text = usage.read_text(encoding="utf-8").splitlines()
    fields = text[1].split(";")
    fields[1] = FNR  # a fødselsnummer as the municipality
    text[1] = ";".join(fields)
    fields = text[2].split(";")
    fields[2] = "1234567"  # an HPR number as the service
    text[2] = ";".join(fields)
    usage.write_text("\n".join(text) + "\n", encoding="utf-8")
    outcomes = _load(demo_inbox, paths, usage)
    assert sum(o.rows_quarantined for o in outcomes if o.file_name == usage.name) == 2
    stored = _ledger_text(paths)
    assert FNR not in stored and "1234567" not in stored and "pseudonym:" in stored
    assert FNR not in caplog.text and "1234567" not in caplog.text


def test_survey_formulas_without_values_refuse_the_file(demo_inbox, paths):
    survey = sorted((demo_inbox / "surveys").glob("innbyggerundersokelsen_*.xlsx"))[0]
    workbook = openpyxl.load_workbook(survey)
    sheet = workbook["data"]
    sheet.cell(row=2, column=sheet.max_column).value = "=1+3"  # saved by openpyxl: no cached value
    workbook.save(survey)
    outcomes = {o.file_name: o for o in _load(demo_inbox, paths, survey)}
    outcome = outcomes[survey.name]
    assert outcome.status == "rejected" and outcome.reason.startswith("formula_without_value"), outcome.reason
    assert "cell " in outcome.reason


def test_a_one_line_gzip_does_not_replace_a_good_file(demo_inbox, paths):
    day = sorted((demo_inbox / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"))[0]
    only = {"kj_oppslag": day}
    scan = [f for f in scan_inbox(demo_inbox).files if f.path in only.values()]
    con = parsing_connection()
    [good] = ingest_files(con, paths.raw_zone, scan)
    assert good.status == "loaded"
    with gzip.open(day, "wb") as f:
        for _ in range(64):
            f.write(b"x" * (1 << 20))  # 64 MiB, one line
    [bad] = ingest_files(con, paths.raw_zone, scan)
    con.close()
    assert bad.status == "rejected" and bad.reason.startswith("line_too_long"), bad.reason
    con = duckdb.connect()
    [(current,)] = ledger._rows(
        con, paths.raw_zone, "select count(*) from raw.load_ledger where is_current and status = 'loaded'"
    )
    con.close()
    assert current == 1


def test_a_truncated_hash_cache_does_not_stop_a_run(demo_inbox, paths):
    paths.root.mkdir(parents=True)
    paths.inbox_hashes.write_text('{"truncated": [1, 2')
    scan = scan_inbox(demo_inbox)
    assert pending_files(paths.raw_zone, scan.files, scan.unmatched, demo_inbox, paths.inbox_hashes)


# --------------------------------------------------------------------------- the pseudonym key


def test_the_development_key_serves_only_the_demo_inbox(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with pytest.raises(KeyRefused, match=f"{KEY_ENV_VAR} is not set"):
        check_key(inbox, tmp_path / "wh")
    (inbox / DEMO_MARKER).write_text("demo")
    check_key(inbox, tmp_path / "wh")


def test_another_key_is_refused_naming_the_full_reload(tmp_path, monkeypatch):
    inbox, warehouse = tmp_path / "inbox", tmp_path / "wh"
    inbox.mkdir()
    monkeypatch.setenv(KEY_ENV_VAR, "first-key-0123456789")
    check_key(inbox, warehouse)
    recorded = (warehouse / KEY_FINGERPRINT_FILE).read_text()
    assert "first-key" not in recorded
    check_key(inbox, warehouse)
    monkeypatch.setenv(KEY_ENV_VAR, "second-key-0123456789")
    with pytest.raises(KeyRefused, match="full reload"):
        check_key(inbox, warehouse)


# --------------------------------------------------------------------------- formulas in published text

# What a steward may type that a spreadsheet would evaluate (OWASP's CSV injection list)...
FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd", "-2+3", "-cmd|' /C calc'!A0", "=1+1"]
# ...and text that only looks like it: a negative number stays as written.
NOT_FORMULAS = ["-5", "-3,5"]


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)


def _texts(con: duckdb.DuckDBPyConnection, relations: dict[str, str]) -> dict[str, set[str]]:
    """Every text value of every relation ({name: from-clause}), by table.column."""
    found: dict[str, set[str]] = {}
    for name, relation in relations.items():
        for column, kind, *_ in con.execute(f"describe select * from {relation}").fetchall():
            if kind == "VARCHAR":
                values = con.execute(f'select distinct "{column}" from {relation} where "{column}" is not null')
                found[f"{name}.{column}"] = {v for (v,) in values.fetchall()}
    return found


def test_formulas_in_acceptances_and_comments_are_published_quoted(published_env, tmp_path, monkeypatch):
    """A steward's acceptance or comment holding a formula reaches every published text column
    (published.duckdb and the Parquet copies) with a leading ', as a spreadsheet shows it:
    never evaluated. A negative number stays as written."""
    inbox, warehouse = published_env
    usage = inbox / "helsenorge" / "helsenorge_bruk_2022-06.csv"
    with usage.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    for row in rows[1:]:  # a 90 % collapse: a blocking check for the acceptance to accept
        row[3], row[4] = str(int(row[3]) // 10), str(int(row[4]) // 10)
    _write_csv(usage, rows)
    acceptances = tmp_path / "acceptances.csv"
    _write_csv(
        acceptances,
        [
            ["check", "period", "reason", "accepted_by", "expires_on"],
            ["raw__helsenorge_usage.monthly_volume_change", "*", "@SUM(1)", FORMULAS[0], "2099-12-31"],
        ],
    )
    monkeypatch.setenv(ACCEPTANCES_ENV_VAR, str(acceptances))
    _write_csv(
        inbox / "manual" / "indikator_kommentarer.csv",
        [
            ["id", "gjelder_fra", "kommentar", "forfatter"],
            ["1.2", "2022-01-01", FORMULAS[1], FORMULAS[2]],
            ["1.5", "2022-01-01", FORMULAS[3], FORMULAS[4]],
            ["1.3", "2022-01-01", NOT_FORMULAS[0], "Kari (forvalter)"],
            ["1.4", "2022-01-01", NOT_FORMULAS[1], "Kari (forvalter)"],
        ],
    )

    outcome = run_pipeline()

    assert outcome.ok and outcome.published, outcome.message
    paths = WarehousePaths(warehouse)
    con = duckdb.connect(str(paths.published_db), read_only=True)
    tables = [t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()]
    published = {t: f"marts.{t}" for t in tables}
    parquet = {p.stem: f"read_parquet('{p}')" for p in sorted(paths.parquet_dir.glob("*.parquet"))}
    assert set(parquet) == set(published)
    for relations in (published, parquet):
        texts = _texts(con, relations)
        left = [
            f"{column}: {value!r}"
            for column, values in texts.items()
            for value in values
            if con.execute(f"select {formula_condition('v')} from (select ? as v)", [value]).fetchone()[0]
        ]
        assert not left, left
        shown = set().union(*texts.values())
        assert {"'" + f for f in FORMULAS} <= shown and not set(FORMULAS) & shown
        assert set(NOT_FORMULAS) <= shown and not {"'" + n for n in NOT_FORMULAS} & shown
        # Where each went: the acceptance on record, the comments in every status table.
        assert texts["publication_checks.accepted_by"] >= {"'" + FORMULAS[0]}
        assert any("@SUM(1)" in reason for reason in texts["publication_checks.acceptance_reason"])
        for table in ("measure_status", "measure_status_history", "measure_status_daily"):
            assert {"'" + FORMULAS[1], "'" + FORMULAS[3], *NOT_FORMULAS} <= texts[f"{table}.comment_nb"], table
            assert {"'" + FORMULAS[2], "'" + FORMULAS[4]} <= texts[f"{table}.comment_author"], table
    con.close()
