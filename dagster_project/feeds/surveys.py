"""Survey workbooks (innbyggerundersokelsen_YYYY.xlsx,
helsepersonellundersokelsen_YYYY.xlsx), read with pandas + openpyxl.

Respondent rows carry no direct identifiers, but they stay in the internal
layers: only aggregated shares are published. A respondent row that breaks
a rule (weight not > 0, an answer code outside the question's scale, ...)
is quarantined whole, with the Excel row number and every reason.
"""

from __future__ import annotations

import csv
import re
import zipfile
from functools import cache

import duckdb
import pandas as pd

from dagster_project.feeds.base import InboxFile, ParsedFile, Table, Violation
from dagster_project.feeds.csv_io import FileRejected
from dagster_project.feeds.hostile import scrub_row
from dagster_project.settings import SEEDS_DIR

RESPONDENT_COLUMNS = ("respondent_id", "vekt", "fylkesnummer", "aldersgruppe", "kjonn")
# Both survey feeds write these two raw tables; `survey` tells the surveys apart.
SURVEY_TABLES = (
    Table(
        "survey_respondents",
        {"survey": "varchar", "source_row": "bigint", **dict.fromkeys(RESPONDENT_COLUMNS, "varchar")},
    ),
    Table(
        "survey_answers",
        {"survey": "varchar", "respondent_id": "varchar", "question_code": "varchar", "answer_code": "varchar"},
    ),
)
_DECIMAL = re.compile(r"\d+([.,]\d+)?")


@cache
def question_codes(survey: str) -> dict[str, frozenset[int]]:
    """Question code -> the answer codes its scale allows (9 = vet ikke included), from the seeds."""
    with (SEEDS_DIR / "survey_questions.csv").open(encoding="utf-8") as f:
        questions = {r["question_code"] for r in csv.DictReader(f) if r["survey"] == survey}
    allowed: dict[str, set[int]] = {q: set() for q in questions}
    with (SEEDS_DIR / "survey_answer_codes.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["question_code"] in allowed:
                allowed[row["question_code"]].add(int(row["answer_code"]))
    return {q: frozenset(codes) for q, codes in allowed.items()}


@cache
def county_codes() -> frozenset[str]:
    with (SEEDS_DIR / "municipalities.csv").open(encoding="utf-8") as f:
        return frozenset(r["county_code"] for r in csv.DictReader(f) if r["county_code"] != "99")


def _text(value: object) -> str:
    """A cell as text: blanks are '', whole floats lose their '.0' (Excel stores 4 as 4.0 at times)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


def _read_workbook(file: InboxFile) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(file.path, sheet_name=None, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as err:
        raise FileRejected("unreadable_file", f"not a readable xlsx workbook ({type(err).__name__})") from None
    if "data" not in sheets:
        raise FileRejected("missing_sheet", f"no sheet named 'data' (found: {', '.join(sheets) or 'none'})")
    data = sheets["data"]
    data.columns = [str(c).strip() for c in data.columns]
    _reject_formulas_without_values(file, data)
    return data


def _reject_formulas_without_values(file: InboxFile, data: pd.DataFrame) -> None:
    """A formula cell whose workbook holds no computed value reads as blank, which would mean
    "not asked": the file is refused with the cell instead (issue 17)."""
    import openpyxl

    workbook = openpyxl.load_workbook(file.path, read_only=True, data_only=False)
    try:
        for row in workbook["data"].iter_rows(min_row=2):
            for cell in row:
                if cell.data_type != "f" or cell.column is None:
                    continue
                value = data.iat[cell.row - 2, cell.column - 1] if cell.row - 2 < len(data) else None
                if _text(value) == "":
                    raise FileRejected(
                        "formula_without_value",
                        f"sheet data, cell {cell.coordinate}: a formula with no computed value (open and save the "
                        "workbook in Excel, or paste values) would read as 'not asked'",
                    )
    finally:
        workbook.close()


def _respondent_violations(row: dict[str, str], seen: dict[str, int]) -> list[Violation]:
    violations = []
    if not row["respondent_id"]:
        violations.append(Violation("missing_respondent_id", "respondent_id is blank"))
    elif row["respondent_id"] in seen:
        violations.append(Violation("duplicate_respondent", f"respondent_id repeats row {seen[row['respondent_id']]}"))
    weight = row["vekt"]
    if not _DECIMAL.fullmatch(weight) or float(weight.replace(",", ".")) <= 0:
        violations.append(Violation("invalid_weight", f"vekt {weight!r} is not a number > 0"))
    if row["fylkesnummer"] not in county_codes():
        violations.append(Violation("unknown_county", f"fylkesnummer {row['fylkesnummer']!r} is not a county code"))
    if row["kjonn"] not in ("K", "M"):
        violations.append(Violation("invalid_gender", f"kjonn {row['kjonn']!r} is not K or M"))
    if not row["aldersgruppe"]:
        violations.append(Violation("missing_age_group", "aldersgruppe is blank"))
    return violations


def _answer_violations(answers: dict[str, str], allowed: dict[str, frozenset[int]]) -> list[Violation]:
    violations = []
    for question, code in answers.items():
        if code and (not code.isdigit() or int(code) not in allowed[question]):
            violations.append(
                Violation(
                    "answer_outside_scale",
                    f"{question} answer {code!r} is not one of {', '.join(map(str, sorted(allowed[question])))}",
                )
            )
    return violations


def parse_survey(con: duckdb.DuckDBPyConnection, file: InboxFile) -> ParsedFile:
    survey = file.feed.extra["survey"]
    allowed = question_codes(survey)
    data = _read_workbook(file)
    missing = [c for c in RESPONDENT_COLUMNS if c not in data.columns]
    questions = [c for c in data.columns if c in allowed]
    if missing or not questions:
        detail = f"missing column(s): {', '.join(missing)}" if missing else "no question column of the codebook"
        raise FileRejected("missing_columns", f"sheet data, row 1: {detail}")
    if data.empty:
        raise FileRejected("empty_file", "sheet data has no respondent rows")

    respondents: list[list[object]] = []
    answers: list[list[str]] = []
    quarantined: list[tuple[int | None, dict, Violation]] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(data.to_dict("records")):
        excel_row = index + 2  # the header is row 1
        row = {c: _text(record[c]) for c in RESPONDENT_COLUMNS}
        if row["fylkesnummer"].isdigit() and len(row["fylkesnummer"]) == 1:
            row["fylkesnummer"] = row["fylkesnummer"].zfill(2)  # a county typed as a number loses its zero
        given = {q: _text(record[q]) for q in questions}
        violations = _respondent_violations(row, seen) + _answer_violations(given, allowed)
        if violations:
            message = "; ".join(v.message for v in violations)
            quarantined.append((excel_row, {**row, **given}, Violation(violations[0].rule, message)))
            continue
        seen[row["respondent_id"]] = excel_row
        # Stored (respondents and answers alike) with identifiers pseudonymised: a respondent_id
        # typed as a fødselsnummer keeps its one pseudonym in both tables.
        row = scrub_row(row)
        given = scrub_row(given)
        respondents.append([excel_row, *row.values()])
        answers += [[row["respondent_id"], q, code] for q, code in given.items() if code]

    respondent_frame = pd.DataFrame([[survey, *r] for r in respondents], columns=list(SURVEY_TABLES[0].columns)).astype(
        {"source_row": "int64"}
    )
    answer_frame = pd.DataFrame([[survey, *a] for a in answers], columns=list(SURVEY_TABLES[1].columns))
    views = {table.name: f"incoming_{table.name}" for table in SURVEY_TABLES}
    con.register(views["survey_respondents"], respondent_frame)
    con.register(views["survey_answers"], answer_frame)

    def cleanup(con: duckdb.DuckDBPyConnection) -> None:
        for view in views.values():
            con.unregister(view)

    selects = {
        table.name: "select "
        + ", ".join(f"cast({c} as {t}) as {c}" for c, t in table.columns.items())
        + f" from {views[table.name]}"
        for table in SURVEY_TABLES
    }
    return ParsedFile("xlsx", len(data), len(respondents), quarantined, selects, cleanup)
