"""veikart/veikart_delmaal_YYYY-MM-DD.csv: snapshots of the roadmap for national e-health
solutions, one row per sub-goal (delmål). Measures 5.2 and 5.3 and the mart roadmap_subgoals
are computed from them."""

from datetime import date

from dagster_project.feeds.base import Freshness, Violation
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import (
    CsvSpec,
    FileContext,
    Row,
    integer_between,
    iso_date,
    non_empty,
    one_of,
    optional_iso_date,
    unique_or_reject,
    yes_no,
)
from dagster_project.feeds.veikart_subgoals.demo import write_demo_files

PHASES = frozenset({"utvikling", "innforing"})
STATUSES = frozenset({"planlagt", "pagar", "fullfort", "utsatt", "avbrutt"})
CLOSED = frozenset({"fullfort", "avbrutt"})
# How precise planlagt_dato is (inputs.md); a quarter or a year is entered as its last day.
PRECISIONS = frozenset({"dag", "kvartal", "aar"})
QUARTER_ENDS = frozenset({"03-31", "06-30", "09-30", "12-31"})


def planned_precision(row: Row, ctx: FileContext) -> list[Violation]:
    """planlagt_presisjon is blank (dag), dag, kvartal or aar; a quarter or a year is entered as
    its last day, so the delay rule counts from the right period."""
    precision, planned = row.get("planlagt_presisjon", ""), row["planlagt_dato"]
    if not precision:
        return []
    if precision not in PRECISIONS:
        return [
            Violation("invalid_precision", f"planlagt_presisjon {precision!r} is not one of dag, kvartal, aar or blank")
        ]
    if precision == "kvartal" and planned[5:] not in QUARTER_ENDS:
        return [Violation("planned_date_not_period_end", f"planlagt_dato {planned} is not the last day of a quarter")]
    if precision == "aar" and planned[5:] != "12-31":
        return [Violation("planned_date_not_period_end", f"planlagt_dato {planned} is not the last day of a year")]
    return []


def completion_matches_status(row: Row, ctx: FileContext) -> list[Violation]:
    """fullfort_dato is set exactly when status is fullfort, and never after the snapshot date."""
    completed_on, status = row["fullfort_dato"].strip(), row["status"]
    if status == "fullfort" and not completed_on:
        return [Violation("completion_date_missing", "status fullfort without fullfort_dato")]
    if status != "fullfort" and completed_on:
        return [Violation("completion_date_without_status", f"fullfort_dato {completed_on} with status {status!r}")]
    try:
        if completed_on and date.fromisoformat(completed_on) > date.fromisoformat(ctx.period):
            return [
                Violation(
                    "date_after_snapshot", f"fullfort_dato {completed_on} is after the snapshot date {ctx.period}"
                )
            ]
    except ValueError:
        return []  # the date format is its own rule
    return []


def no_forecast_when_closed(row: Row, ctx: FileContext) -> list[Violation]:
    """prognose_dato is blank for a completed or cancelled sub-goal (inputs.md)."""
    if row["status"] in CLOSED and row["prognose_dato"].strip():
        return [Violation("forecast_when_closed", f"prognose_dato {row['prognose_dato']} with status {row['status']}")]
    return []


FEED = csv_feed(
    name="veikart_subgoals",
    folder="veikart",
    file_pattern="veikart_delmaal_{period}.csv",
    grain="day",
    snapshot=True,  # a file per snapshot date: partitioned by the dates the files carry
    spec=CsvSpec(
        columns=[
            "delmaal_id",
            "losning",
            "tittel",
            "fase",
            "strategisk_mal",
            "planlagt_dato",
            "prognose_dato",
            "fullfort_dato",
            "status",
            "prioritert_av_radsmodellen",
        ],
        row_rules=[
            non_empty("delmaal_id"),
            non_empty("tittel"),
            one_of("fase", PHASES, "invalid_phase"),
            integer_between("strategisk_mal", 1, 5, "invalid_goal"),
            iso_date("planlagt_dato"),
            optional_iso_date("prognose_dato"),
            optional_iso_date("fullfort_dato"),
            one_of("status", STATUSES, "invalid_status"),
            completion_matches_status,
            no_forecast_when_closed,
            yes_no("prioritert_av_radsmodellen"),
            planned_precision,
        ],
        key=("delmaal_id",),
        file_rules=[unique_or_reject("delmaal_id")],
        # Later columns (issue 21): files without them stay valid. An initiativ_id the plan
        # does not know is a warning (dbt test warn_unknown_initiative_ids), not a quarantine.
        optional_columns=["initiativ_id", "planlagt_presisjon"],
    ),
    freshness=Freshness(100, 200),
    display_name="Veikart: delmål",
    description="Snapshots of the roadmap for national e-health solutions, one row per sub-goal "
    "(veikart_delmaal_YYYY-MM-DD.csv).",
    demo=write_demo_files,
)
