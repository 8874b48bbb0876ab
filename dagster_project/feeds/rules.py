"""Row and file rules of inputs.md, per CSV family, as pure functions.

A row rule returns the violations of one row (it goes to quarantine with
them); a file rule raises FileRejected (the whole file is refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from dagster_project.feeds.base import Violation, period_out_of_range
from dagster_project.feeds.csv_io import CsvTable, FileRejected

UNKNOWN_MUNICIPALITY = "9999"
HELSENORGE_SERVICES = (  # in the order of inputs.md
    "timeavtaler",
    "pa_vegne_av_andre",
    "digital_dialog_fastlege",
    "digihelsestasjon",
    "digihelse",
    "resepter",
    "journalinnsyn",
    "provesvar",
)
VIRKSOMHETSTYPER = (
    "sykehus",
    "fastlege",
    "legevakt",
    "sykehjem",
    "hjemmetjeneste",
    "apotek",
    "avtalespesialist",
    "annet",
)
OFFERED_SERVICES = frozenset({"digihelsestasjon", "digihelsestasjon_ungdom", "digihelse"})
_MUNICIPALITY_CODE = re.compile(r"\d{4}")
_INTEGER = re.compile(r"-?\d+")
MAX_COUNT = 10**12  # a count above it is no count of Norway's (5.6 million people)
_DECIMAL = re.compile(r"-?\d+(,\d+)?")
_PERIOD = re.compile(r"\d{4}(-\d{2})?")


@dataclass(frozen=True)
class FileContext:
    file_name: str
    period: str
    known_codes: frozenset[str]  # every code of the 2019, 2020 and 2024 structures, and 9999
    manual_measures: frozenset[str] = frozenset()
    catalog_ids: frozenset[str] = frozenset()  # every measure_id and indicator_id of the catalog


Row = dict[str, str]
RowRule = Callable[[Row, FileContext], list[Violation]]
FileRule = Callable[[CsvTable, FileContext], None]


@dataclass(frozen=True)
class CsvSpec:
    columns: list[str]
    row_rules: list[RowRule]
    key: tuple[str, ...]  # unique within the file; later duplicates are quarantined
    file_rules: list[FileRule] = field(default_factory=list)
    # Columns added to a contract later: a file without them stays valid (read as blank).
    optional_columns: list[str] = field(default_factory=list)

    @property
    def all_columns(self) -> list[str]:
        return [*self.columns, *self.optional_columns]


# --------------------------------------------------------------------------- building blocks


def municipality(column: str, allow_unknown: bool = True) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        code = row[column]
        if not _MUNICIPALITY_CODE.fullmatch(code):
            return [Violation("invalid_municipality_code", f"{column} {code!r} is not a 4-digit code")]
        if code == UNKNOWN_MUNICIPALITY and not allow_unknown:
            return [Violation("unknown_municipality", f"{column} 9999 (unknown) is not allowed in this file")]
        if code not in ctx.known_codes:
            return [Violation("unknown_municipality", f"{column} {code} is not a known municipality code")]
        return []

    return rule


def one_of(column: str, allowed: frozenset[str], rule_name: str) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        if row[column] not in allowed:
            return [Violation(rule_name, f"{column} {row[column]!r} is not one of {', '.join(sorted(allowed))}")]
        return []

    return rule


def non_negative_integer(column: str) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        value = row[column]
        if not _INTEGER.fullmatch(value):
            return [Violation("not_an_integer", f"{column} {value!r} is not an integer")]
        if int(value) < 0:
            return [Violation("negative_count", f"{column} {value} is negative")]
        if int(value) > MAX_COUNT:
            # Beyond any real count (and near the limits of a bigint and of a double's exactness).
            return [Violation("implausible_count", f"{column} {value} is above {MAX_COUNT:.0e}")]
        return []

    return rule


def iso_date_not_after_snapshot(column: str) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        try:
            value = date.fromisoformat(row[column])
        except ValueError:
            return [Violation("invalid_date", f"{column} {row[column]!r} is not a YYYY-MM-DD date")]
        if value > date.fromisoformat(ctx.period):
            return [Violation("date_after_snapshot", f"{column} {value} is after the snapshot date {ctx.period}")]
        return []

    return rule


def period_matches_file(column: str) -> FileRule:
    """The content's period must be the file name's: otherwise the file is misfiled, not one bad row."""

    def rule(table: CsvTable, ctx: FileContext) -> None:
        for row in table.rows:
            if row.values[column] != ctx.period:
                raise FileRejected(
                    "period_mismatch",
                    f"line {row.line_number}: {column} {row.values[column]!r} differs from the "
                    f"file name's period {ctx.period}",
                )

    return rule


def unique_users_within_visits(row: Row, ctx: FileContext) -> list[Violation]:
    visits, users = row["antall_besok"], row["antall_unike_brukere"]
    if _INTEGER.fullmatch(visits) and _INTEGER.fullmatch(users) and int(users) > int(visits):
        return [Violation("unique_users_exceed_visits", f"antall_unike_brukere {users} > antall_besok {visits}")]
    return []


def yes_no(column: str) -> RowRule:
    return one_of(column, frozenset({"ja", "nei"}), "invalid_yes_no")


def manual_measure(row: Row, ctx: FileContext) -> list[Violation]:
    if row["measure_id"] not in ctx.manual_measures:
        return [
            Violation("unknown_measure", f"measure_id {row['measure_id']!r} is not a manual measure of the catalog")
        ]
    return []


def manual_period(row: Row, ctx: FileContext) -> list[Violation]:
    value = row["periode"]
    if not _PERIOD.fullmatch(value) or (len(value) == 7 and not 1 <= int(value[5:]) <= 12):
        return [Violation("invalid_period", f"periode {value!r} is not YYYY or YYYY-MM")]
    too_far = period_out_of_range(value, "month" if len(value) == 7 else "year")
    if too_far:
        return [Violation("period_out_of_range", too_far)]
    return []


def catalog_id(row: Row, ctx: FileContext) -> list[Violation]:
    if row["id"] not in ctx.catalog_ids:
        return [
            Violation(
                "unknown_id",
                f"id {row['id']!r} is neither a measure_id nor an indicator_id of the catalog, mal-N (1-5) nor rapport",
            )
        ]
    return []


# Seed 001's headings for a goal's or the report's comments (inputs.md, kategori).
COMMENT_CATEGORIES = frozenset({"hoydepunkt", "positiv_bevegelse", "laeringspunkt", "innspill", "grep"})


def comment_category(row: Row, ctx: FileContext) -> list[Violation]:
    """kategori: blank, or one of seed 001's headings, and only for mal-N and rapport."""
    category = row.get("kategori", "")
    if not category:
        return []
    if category not in COMMENT_CATEGORIES:
        return [
            Violation(
                "invalid_category", f"kategori {category!r} is not one of {', '.join(sorted(COMMENT_CATEGORIES))}"
            )
        ]
    if not (row["id"].startswith("mal-") or row["id"] == "rapport"):
        return [
            Violation("category_not_allowed", f"kategori {category!r} is for mal-N and rapport only, not {row['id']!r}")
        ]
    return []


def iso_date(column: str) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        try:
            date.fromisoformat(row[column])
        except ValueError:
            return [Violation("invalid_date", f"{column} {row[column]!r} is not a YYYY-MM-DD date")]
        return []

    return rule


def non_empty(column: str) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        if not row[column].strip():
            return [Violation("empty_value", f"{column} is empty")]
        return []

    return rule


def decimal(column: str) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        if not _DECIMAL.fullmatch(row[column]):
            return [
                Violation("not_a_decimal", f"{column} {row[column]!r} is not a decimal number (comma as separator)")
            ]
        return []

    return rule


def optional_iso_date(column: str) -> RowRule:
    """A YYYY-MM-DD date or blank."""

    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        return iso_date(column)(row, ctx) if row[column].strip() else []

    return rule


def integer_between(column: str, low: int, high: int, rule_name: str) -> RowRule:
    def rule(row: Row, ctx: FileContext) -> list[Violation]:
        value = row[column]
        if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
            return [Violation(rule_name, f"{column} {value!r} is not an integer from {low} to {high}")]
        return []

    return rule


def unique_or_reject(column: str) -> FileRule:
    """An id that repeats makes the whole file ambiguous (which row is the truth?): the file is
    rejected naming every line of every repeated id, rather than keeping whichever came first."""

    def rule(table: CsvTable, ctx: FileContext) -> None:
        lines: dict[str, list[int]] = {}
        for row in table.rows:
            lines.setdefault(row.values[column], []).append(row.line_number)
        repeated = {value: found for value, found in lines.items() if len(found) > 1}
        if repeated:
            raise FileRejected(
                "duplicate_id",
                "; ".join(
                    f"{column} {value!r} on lines {', '.join(map(str, found))}" for value, found in repeated.items()
                ),
            )

    return rule


def check_rows(table: CsvTable, spec: CsvSpec, ctx: FileContext) -> tuple[list, list[tuple[int, Row, Violation]]]:
    """Split parsed rows into valid rows and (line, row, violation) to quarantine.

    A row with several violations is quarantined once, with all of them in
    the message, so rows read = rows loaded + rows quarantined holds.
    """
    for file_rule in spec.file_rules:
        file_rule(table, ctx)
    valid = []
    quarantined: list[tuple[int, Row, Violation]] = []
    for line_number, fields in table.malformed:
        values = {f"field_{i + 1}": v for i, v in enumerate(fields)}
        quarantined.append(
            (
                line_number,
                values,
                Violation("wrong_field_count", f"{len(fields)} fields, header has {len(table.columns)}"),
            )
        )
    seen_keys: dict[tuple[str, ...], int] = {}
    for row in table.rows:
        violations = [v for rule in spec.row_rules for v in rule(row.values, ctx)]
        key = tuple(row.values.get(c, "") for c in spec.key)  # an optional key column may be absent
        if not violations and key in seen_keys:
            violations = [Violation("duplicate_key", f"{', '.join(spec.key)} repeats line {seen_keys[key]}")]
        if violations:
            rule = violations[0].rule
            message = "; ".join(v.message for v in violations)
            quarantined.append((row.line_number, row.values, Violation(rule, message)))
        else:
            seen_keys[key] = row.line_number
            valid.append(row)
    return valid, quarantined
