"""The landing zone of inputs.md: which file families exist, how their names
look, and which period (partition) a file belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class FileFamily:
    """One kind of file in the inbox."""

    name: str
    folder: str
    pattern: re.Pattern[str]
    grain: str  # "month", "day", "year" or "whole" (the file is the whole truth)
    raw_table: str
    extra_tables: tuple[str, ...] = ()  # further raw tables a load writes (cleared with it on restatement)

    def period_of(self, file_name: str) -> str | None:
        """The period in the file name, or None if the name does not match or the date is not real."""
        match = self.pattern.fullmatch(file_name)
        if not match:
            return None
        period = match.groupdict().get("period", "all")
        return period if is_real_period(period, self.grain) else None


def _family(name: str, folder: str, regex: str, grain: str, raw_table: str, *extra_tables: str) -> FileFamily:
    return FileFamily(name, folder, re.compile(regex), grain, raw_table, extra_tables)


MONTH = r"(?P<period>\d{4}-\d{2})"
DAY = r"(?P<period>\d{4}-\d{2}-\d{2})"
YEAR = r"(?P<period>\d{4})"

FAMILIES: tuple[FileFamily, ...] = (
    _family("helsenorge_usage", "helsenorge", rf"helsenorge_bruk_{MONTH}\.csv", "month", "raw.helsenorge_usage"),
    _family(
        "helsenorge_offering",
        "helsenorge",
        rf"helsenorge_tjenestetilbud_{DAY}\.csv",
        "day",
        "raw.helsenorge_offering",
    ),
    _family("kj_lookups", "kjernejournal", rf"kj_oppslag_{DAY}\.jsonl\.gz", "day", "raw.kj_lookups"),
    _family("kj_adoption", "kjernejournal", rf"kj_innforing_{DAY}\.csv", "day", "raw.kj_adoption"),
    _family("pll", "pll", rf"pll_{MONTH}\.csv", "month", "raw.pll_monthly"),
    _family(
        "survey_citizens",
        "surveys",
        rf"innbyggerundersokelsen_{YEAR}\.xlsx",
        "year",
        "raw.survey_respondents",
        "raw.survey_answers",
    ),
    _family(
        "survey_personnel",
        "surveys",
        rf"helsepersonellundersokelsen_{YEAR}\.xlsx",
        "year",
        "raw.survey_respondents",
        "raw.survey_answers",
    ),
    _family("manual", "manual", r"indikator_observasjoner\.csv", "whole", "raw.manual_observations"),
    _family("manual_comments", "manual", r"indikator_kommentarer\.csv", "whole", "raw.manual_comments"),
)
FAMILY_BY_NAME = {f.name: f for f in FAMILIES}


def is_real_period(period: str, grain: str) -> bool:
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


@dataclass(frozen=True)
class InboxFile:
    """A file in the inbox that matched a family pattern."""

    path: Path
    family: FileFamily
    period: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class InboxScan:
    files: list[InboxFile]
    unmatched: list[Path]  # reported, never loaded


def scan_inbox(inbox: Path) -> InboxScan:
    """Every file under the inbox, classified by family. Hidden files (.tmp, .DS_Store) are ignored."""
    files: list[InboxFile] = []
    unmatched: list[Path] = []
    if not inbox.exists():
        return InboxScan(files, unmatched)
    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(".")):
        folder = path.parent.relative_to(inbox).as_posix()
        match = next(
            (
                (family, period)
                for family in FAMILIES
                if family.folder == folder and (period := family.period_of(path.name)) is not None
            ),
            None,
        )
        if match:
            files.append(InboxFile(path, match[0], match[1]))
        else:
            unmatched.append(path)
    return InboxScan(files, unmatched)
