"""moter/moter.csv: the register of meetings that treat the strategy's status (NUIT, then
Nasjonalt e-helseråd, twice a year). The whole file is the truth; meeting_status and
`ehelse report --meeting` are computed from it."""

from datetime import date

from dagster_project.feeds.base import Violation
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.csv_io import CsvTable, FileRejected
from dagster_project.feeds.meetings.demo import write_demo_files
from dagster_project.feeds.rules import CsvSpec, FileContext, Row, iso_date, non_empty

KEY = ("organ", "dato", "saksnummer")  # unique (inputs.md); saksnummer alone repeats across meetings


def status_date_not_after_meeting(row: Row, ctx: FileContext) -> list[Violation]:
    """A meeting treats a status as of a date on or before the meeting itself."""
    try:
        meeting, status = date.fromisoformat(row["dato"]), date.fromisoformat(row["statusdato"])
    except ValueError:
        return []  # the date format is its own rule
    if status > meeting:
        return [Violation("status_date_after_meeting", f"statusdato {status} is after the meeting date dato {meeting}")]
    return []


def unique_meeting_or_reject(table: CsvTable, ctx: FileContext) -> None:
    """Two rows for one (organ, dato, saksnummer) make the register ambiguous: the file is
    rejected naming the lines, and the register loaded before stays."""
    lines: dict[tuple[str, ...], list[int]] = {}
    for row in table.rows:
        lines.setdefault(tuple(row.values[c].strip() for c in KEY), []).append(row.line_number)
    repeated = {key: found for key, found in lines.items() if len(found) > 1}
    if repeated:
        raise FileRejected(
            "duplicate_meeting",
            "; ".join(
                f"{', '.join(KEY)} {key!r} on lines {', '.join(map(str, found))}" for key, found in repeated.items()
            ),
        )


FEED = csv_feed(
    name="meetings",
    folder="moter",
    file_pattern="moter.csv",
    grain="whole",
    spec=CsvSpec(
        columns=["organ", "dato", "motenummer", "saksnummer", "tittel", "etikett", "statusdato"],
        row_rules=[
            non_empty("organ"),
            iso_date("dato"),
            non_empty("tittel"),
            non_empty("etikett"),
            iso_date("statusdato"),
            status_date_not_after_meeting,
        ],
        key=KEY,
        file_rules=[unique_meeting_or_reject],
    ),
    display_name="Møteregister",
    description="The meetings that treat the strategy's status: body, date, meeting and case number, "
    "label and status date (moter.csv; the whole file is the truth).",
    demo=write_demo_files,
)
