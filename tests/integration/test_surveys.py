"""Survey workbooks: row rules, file rules, real xlsx files, real DuckDB."""

from pathlib import Path

import pandas as pd

from dagster_project.feeds.inbox import scan_inbox
from tests.conftest import load


def survey_file(inbox: Path, name: str):
    return next(f for f in scan_inbox(inbox).files if f.name == name)


def rewrite(path: Path, change) -> pd.DataFrame:
    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    change(sheets)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return sheets.get("data")


def test_an_answer_code_outside_the_scale_quarantines_the_respondent_with_row_and_rule(
    con, zone, demo_inbox: Path
) -> None:
    name = "innbyggerundersokelsen_2022.xlsx"

    def break_rows(sheets):
        sheets["data"].loc[4, "INB_TILGANG_ENKLE"] = 8  # Excel row 6
        sheets["data"].loc[9, "vekt"] = 0  # Excel row 11

    data = rewrite(demo_inbox / "surveys" / name, break_rows)
    outcome = load(con, zone, survey_file(demo_inbox, name))[0]
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (len(data), len(data) - 2, 2)
    rows = con.execute("select line_number, rule, message from raw.quarantine order by line_number").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(6, "answer_outside_scale"), (11, "invalid_weight")]
    assert rows[0][2] == (f"surveys/{name} line 6: INB_TILGANG_ENKLE answer '8' is not one of 1, 2, 3, 4, 5, 9")
    loaded = con.execute("select count(*) from raw.survey_respondents").fetchone()[0]
    assert loaded == len(data) - 2


def test_a_workbook_without_the_data_sheet_is_rejected(con, zone, demo_inbox: Path) -> None:
    name = "helsepersonellundersokelsen_2021.xlsx"
    rewrite(demo_inbox / "surveys" / name, lambda sheets: sheets.update({"svar": sheets.pop("data")}))
    outcome = load(con, zone, survey_file(demo_inbox, name))[0]
    assert outcome.status == "rejected"
    assert outcome.reason == "missing_sheet: no sheet named 'data' (found: sporsmal, svar)"


def test_a_missing_weight_column_rejects_the_file(con, zone, demo_inbox: Path) -> None:
    name = "helsepersonellundersokelsen_2022.xlsx"
    rewrite(demo_inbox / "surveys" / name, lambda sheets: sheets.update(data=sheets["data"].drop(columns="vekt")))
    outcome = load(con, zone, survey_file(demo_inbox, name))[0]
    assert outcome.status == "rejected" and "missing column(s): vekt" in outcome.reason
