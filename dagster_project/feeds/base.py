"""What a feed is: the one declaration from which everything else about it is derived.

A feed is one kind of inbox file (inputs.md): where it lands, how its name
carries its period, how it is parsed and checked, and which raw tables of the
raw zone it fills. The Dagster assets, checks, jobs, schedules and sensors, the
runner's pending-file logic, the dbt sources, the report's source names and the
demo inbox are all read from these declarations (feeds/registry.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import duckdb

Grain = Literal["day", "month", "year", "whole"]
PERIOD_REGEX: dict[Grain, str] = {
    "day": r"(?P<period>\d{4}-\d{2}-\d{2})",
    "month": r"(?P<period>\d{4}-\d{2})",
    "year": r"(?P<period>\d{4})",
    "whole": "",
}
WHOLE_FILE_PERIOD = "all"  # the period of a feed whose every file is the whole truth


@dataclass(frozen=True)
class Table:
    """A raw-zone table: its name (also the Dagster key raw/<name>, the dbt source table
    and the GX suite raw__<name>) and its stored columns with their types. The partition
    columns `period` and `load_id` come from the Hive layout, not from the file."""

    name: str
    columns: dict[str, str]
    # A column whose values are unique across all files of the table (not only within one):
    # ingestion checks a new version against the index of ids (warehouse/id_index.py).
    unique_across_files: str | None = None


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str


@dataclass
class ParsedFile:
    """A file read and checked, not yet written.

    `selects` maps each raw table of the feed to a query on the parsing connection that
    returns the rows to store (the table's columns, in order); `quarantined` holds
    (line, values as read with identifiers pseudonymised, violation) of the rows set aside.
    """

    encoding: str | None
    rows_read: int
    rows_loaded: int
    quarantined: list[tuple[int | None, dict, Violation]]
    selects: dict[str, str]
    cleanup: Callable[[duckdb.DuckDBPyConnection], None] = lambda con: None


@dataclass(frozen=True)
class InboxFile:
    """A file in the inbox that matched a feed's pattern."""

    path: Path
    feed: Feed
    period: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Freshness:
    """How late a feed's next file may be, counted from when its last file was loaded (the
    delivery cadence, not the period a file covers): dbt source freshness warns, then errors."""

    warn_after_days: int
    error_after_days: int | None = None


Parser = Callable[["duckdb.DuckDBPyConnection", InboxFile], ParsedFile]
# Writes the feed's files for the demo inbox; returns (path relative to the inbox, bytes) pairs.
DemoWriter = Callable[..., Iterable[tuple[str, bytes]]]


@dataclass(frozen=True, eq=False)  # a feed is its declaration: compared and hashed by identity
class Feed:
    name: str  # one name everywhere: the ledger's source_family, the Dagster asset, the report
    folder: str  # inbox/<folder>/
    file_pattern: str  # the file name, with {period} where the period stands
    grain: Grain
    parse: Parser
    tables: tuple[Table, ...]
    display_name: str  # bokmål, for the report and the steward
    description: str
    freshness: Freshness | None = None
    demo: DemoWriter | None = None  # None: written by the shared demo world (demo/demo_data.py)
    extra: dict = field(default_factory=dict)  # feed-specific settings its parser reads
    # A snapshot feed delivers a file per snapshot date, not one per day or month: its Dagster
    # partitions are the dates its files carry (defs/ingestion/assets.snapshot_partitions).
    snapshot: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.file_pattern, self.grain)

    @property
    def partitioned(self) -> bool:
        """Daily and monthly feeds are Dagster-partitioned (backfills): by day or month, or, for a
        snapshot feed, by the dates its files carry; the others load whole."""
        return self.grain in ("day", "month")

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    @property
    def suites(self) -> tuple[str, ...]:
        return tuple(f"raw__{t}" for t in self.table_names)

    def file_name(self, period: str) -> str:
        """The name of this feed's file for a period (the demo inbox writes these)."""
        return self.file_pattern.format(period=period)

    def inbox_path(self, period: str) -> str:
        return f"{self.folder}/{self.file_name(period)}"

    def period_of(self, file_name: str) -> str | None:
        """The period in the file name, or None if the name does not match or the date is not real."""
        match = self.pattern.fullmatch(file_name)
        if not match:
            return None
        period = match.groupdict().get("period") or WHOLE_FILE_PERIOD
        return period if is_real_period(period, self.grain) else None


def _compiled(file_pattern: str, grain: Grain) -> re.Pattern[str]:
    before, _, after = file_pattern.partition("{period}")
    return re.compile(re.escape(before) + (PERIOD_REGEX[grain] + re.escape(after) if _ else ""))


def is_real_period(period: str, grain: Grain) -> bool:
    """True when the period string names a real month, day or year."""
    try:
        if grain == "month":
            date.fromisoformat(f"{period}-01")
        elif grain == "day":
            date.fromisoformat(period)
        elif grain == "year":
            return 1900 < int(period) < 2200
    except ValueError:
        return False
    return True


FIRST_PLAUSIBLE_YEAR = 2000
# The day a period is judged by: Norway's. The Dagster partitions of the daily and monthly
# feeds (defs/ingestion/assets.py) span the same periods in the same time zone, so a file
# accepted here always has its partition (issue 22).
PERIOD_TIMEZONE = "Europe/Oslo"


def current_day() -> date:
    return datetime.now(ZoneInfo(PERIOD_TIMEZONE)).date()


def period_out_of_range(
    period: str, grain: Grain, today: date | None = None, first_month: str | None = None
) -> str | None:
    """Why a real period cannot be data (before 2000, or after the current period), or None.

    The one rule for periods in file names and in manual rows (inputs.md, "Rules for every
    file"): the running day, month or year is the last one accepted (decisions.md, issue 22).
    """
    if grain == "whole" or not is_real_period(period, grain):
        return None
    today = today or current_day()
    year = int(period[:4])
    if year < FIRST_PLAUSIBLE_YEAR:
        return f"period {period} is before {FIRST_PLAUSIBLE_YEAR}"
    # The partitioned feeds start where the warehouse's partitions start (EHELSE_PARTITIONS_START).
    if first_month and grain in ("day", "month") and period[:7] < first_month:
        return f"period {period} is before the first month the warehouse loads ({first_month}, EHELSE_PARTITIONS_START)"
    if grain == "day":
        latest = today.isoformat()
    elif grain == "month":
        latest = today.isoformat()[:7]
    else:
        latest = str(today.year)
    if period > latest:
        return f"period {period} is after the current period {latest}"
    return None
