"""Identifiers anywhere (issue 22; inputs.md, "Rules for every file"): every variant of a
fødselsnummer, a D-number and an HPR number planted in every feed's fields, in steward text,
in an acceptance and in file names; one pipeline run, then every file the run writes is read
(raw zone Parquet, ledger, quarantine, working and published databases, published Parquet,
the Dagster instance's storage, quality.html, the report, stdout and the logs) and none may
hold a clear value."""

from __future__ import annotations

import csv
import gzip
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest

from dagster_project import cli
from dagster_project.feeds.fnr import control_digits
from dagster_project.gate.quality import load_suites
from dagster_project.settings import ACCEPTANCES_ENV_VAR, DAGSTER_HOME_ENV_VAR

VALID_FNR = "150385" + "123" + control_digits("150385123")
WRONG_CHECK = "15038512363" if VALID_FNR != "15038512363" else "15038512364"
D_NUMBER = "550385" + "123" + (control_digits("550385123") or "00")
HPR = "7319246"


def _spaced(fnr: str) -> str:
    return f"{fnr[:6]} {fnr[6:]}"


def _dashed(fnr: str) -> str:
    return f"{fnr[:6]}-{fnr[6:]}"


def _clear_values() -> set[str]:
    values = {HPR}
    for fnr in (VALID_FNR, WRONG_CHECK, D_NUMBER):
        values |= {fnr, _spaced(fnr), _dashed(fnr)}
    return values


def _edit_csv(path: Path, edit) -> None:
    """Rewrite a `;` CSV with edit(rows): rows are lists, the header first."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\n").writerows(rows)


def _set(rows: list[list[str]], line: int, column: str, value: str) -> None:
    rows[line][rows[0].index(column)] = value


def _first(inbox: Path, pattern: str) -> Path:
    return sorted(inbox.glob(pattern))[0]


def _plant(inbox: Path, tmp_path: Path) -> None:
    # Quarantined rows: identifiers in fields whose rule they break.
    _edit_csv(
        _first(inbox, "helsenorge/helsenorge_bruk_*.csv"),
        lambda rows: (
            _set(rows, 1, "kommunenummer", WRONG_CHECK),
            _set(rows, 2, "tjeneste", f"hpr {HPR}"),
            _set(rows, 3, "kommunenummer", _dashed(D_NUMBER)),
        ),
    )
    _edit_csv(_first(inbox, "pll/pll_*.csv"), lambda rows: _set(rows, 1, "kommunenummer", _spaced(VALID_FNR)))
    _edit_csv(
        _first(inbox, "helsenorge/helsenorge_tjenestetilbud_*.csv"),
        lambda rows: _set(rows, 1, "tilbys_fra", f"{_dashed(WRONG_CHECK)}x"),
    )
    _edit_csv(_first(inbox, "kjernejournal/kj_innforing_*.csv"), lambda rows: _set(rows, 1, "kommunenummer", D_NUMBER))
    # Valid rows: identifiers inside steward text, titles and names, with text around them.
    _edit_csv(
        _first(inbox, "veikart/veikart_delmaal_*.csv"),
        lambda rows: _set(rows, 1, "tittel", f"Oppfølging av pasient {_spaced(WRONG_CHECK)} (ring)"),
    )
    (inbox / "manual" / "indikator_observasjoner.csv").write_text(
        f"measure_id;periode;verdi;kilde;kommentar\n1.5;2022;17;telefon med {_dashed(VALID_FNR)};fnr:{WRONG_CHECK}.\n",
        encoding="utf-8",
    )
    (inbox / "manual" / "indikator_kommentarer.csv").write_text(
        "id;gjelder_fra;kommentar;forfatter\n"
        f"1.5;2022-01-01;Gjelder D-nummer {_spaced(D_NUMBER)} og HPR-nr {HPR};Kari ({VALID_FNR})\n",
        encoding="utf-8",
    )
    (inbox / "portefolje").mkdir(exist_ok=True)
    (inbox / "portefolje" / "portefolje_tiltak_2022.csv").write_text(
        "aar;tiltak_id;navn;ansvarlig_virksomhet;strategisk_mal;midler_til_evaluering;planlagt_folgeforskning\n"
        f"2022;T-1;Tiltak for {_dashed(WRONG_CHECK)};Helse {_spaced(D_NUMBER)};1;ja;nei\n",
        encoding="utf-8",
    )
    _plant_lookups(_first(inbox, "kjernejournal/kj_oppslag_*.jsonl.gz"))
    _plant_survey(inbox)
    # File names: matched by no pattern, recorded in the ledger under their name.
    (inbox / "manual" / f"notat {WRONG_CHECK}.csv").write_text("x\n", encoding="utf-8")
    (inbox / "pll" / f"pll_{_dashed(VALID_FNR)}.csv").write_text("x\n", encoding="utf-8")


def _plant_lookups(path: Path) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    planted = []
    for field, value in (("oppslag_id", WRONG_CHECK), ("virksomhet_orgnr", HPR), ("kommunenummer", _spaced(D_NUMBER))):
        record = dict(lines[0], oppslag_id=f"00000000-0000-4000-8000-00000000000{len(planted)}")
        record[field] = value
        planted.append(record)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in lines + planted)


def _plant_survey(inbox: Path) -> None:
    surveys = sorted((inbox / "surveys").glob("*.xlsx"))
    if not surveys:
        return
    workbook = openpyxl.load_workbook(surveys[0])
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("respondent_id") + 1).value = _dashed(WRONG_CHECK)
    sheet.cell(row=3, column=header.index("aldersgruppe") + 1).value = f"{VALID_FNR} 30-39"
    sheet.cell(row=4, column=header.index("vekt") + 1).value = f"{HPR}x"  # quarantined: not a weight
    workbook.save(surveys[0])


def _acceptances(tmp_path: Path) -> Path:
    suite = load_suites()[0]
    check = f"{suite.name}.{suite.expectations[0]['meta']['id']}"
    path = tmp_path / "acceptances.csv"
    path.write_text(
        "check;period;reason;accepted_by;expires_on\n"
        f"{check};*;avklart med pasient {_spaced(VALID_FNR)};Ola {_dashed(D_NUMBER)};2099-12-31\n",
        encoding="utf-8",
    )
    return path


def _file_texts(root: Path) -> Iterator[tuple[Path, str]]:
    """Every file under root as the text it holds (tables read row by row, archives unpacked)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.name
        if name.endswith(".parquet"):
            con = duckdb.connect()
            yield path, repr(con.execute("select * from read_parquet(?)", [str(path)]).fetchall())
            con.close()
        elif name.endswith(".duckdb"):
            yield path, _duckdb_text(path)
        elif name.endswith((".db", ".sqlite")):
            yield path, _sqlite_text(path)
        elif name.endswith(".gz"):
            yield path, gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        else:
            yield path, path.read_bytes().decode("utf-8", "replace")


def _duckdb_text(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        return repr([con.execute(f'select * from "{s}"."{t}"').fetchall() for s, t in tables])
    finally:
        con.close()


def _sqlite_text(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in con.execute("select name from sqlite_master where type = 'table'")]
        return repr([con.execute(f'select * from "{t}"').fetchall() for t in tables])
    finally:
        con.close()


@pytest.mark.slow(seconds=80)
def test_no_identifier_planted_anywhere_reaches_any_file_the_run_writes(
    published_env, tmp_path, monkeypatch, capfd, caplog
):
    inbox, warehouse = published_env
    _plant(inbox, tmp_path)
    monkeypatch.setenv(ACCEPTANCES_ENV_VAR, str(_acceptances(tmp_path)))

    cli.main(["run"])
    cli.main(["quality"])
    cli.main(["report"])
    out = capfd.readouterr()

    texts = [(Path("<stdout>"), out.out), (Path("<stderr>"), out.err), (Path("<log>"), caplog.text)]
    texts += list(_file_texts(warehouse))
    texts += list(_file_texts(Path(os.environ[DAGSTER_HOME_ENV_VAR])))
    found = [(str(path), value) for path, text in texts for value in _clear_values() if value in text]
    assert not found, found
    # The planted rows were read: quarantined with their rule, or stored pseudonymised.
    stored = " ".join(text for _, text in texts)
    assert "invalid_municipality_code" in stored and "invalid_orgnr" in stored and "pseudonym:" in stored
    assert (warehouse / "quality.html").exists()
