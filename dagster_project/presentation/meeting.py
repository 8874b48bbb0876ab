"""The status for one council meeting (indicators.md, "The council's meeting cycle"), read from
a publication's marts.meeting_status: which meeting a date or label names, and the rows the
report's meeting section shows (as of the status date, as known on the meeting date, the
change since the body's previous meeting, and the indicators where the two differ)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb


class MeetingNotFound(Exception):
    """No registered meeting has that date or label."""


class AmbiguousMeeting(Exception):
    """More than one registered meeting matches: the message lists them and asks for the body."""


@dataclass(frozen=True)
class Meeting:
    organ: str
    dato: date
    etikett: str
    statusdato: date
    tittel: str | None
    motenummer: str | None
    saksnummer: str | None

    def describe(self) -> str:
        case = f", sak {self.saksnummer}" if self.saksnummer else ""
        return f"{self.organ} {self.dato:%d.%m.%Y}{case} ({self.etikett}, status per {self.statusdato:%d.%m.%Y})"


@dataclass
class MeetingIndicatorRow:
    indicator_id: str
    name: str
    status_as_of: str | None
    status_as_known: str
    previous_status: str | None
    changed: bool


@dataclass
class MeetingView:
    meeting: Meeting
    has_loads_by_meeting: bool
    previous_dato: date | None
    rows: list[MeetingIndicatorRow] = field(default_factory=list)

    @property
    def differing(self) -> list[MeetingIndicatorRow]:
        """Indicators whose status as known on the meeting date differs from the status as of
        (restated since); empty when the warehouse knew nothing by the meeting date."""
        if not self.has_loads_by_meeting:
            return []
        return [r for r in self.rows if r.status_as_of != r.status_as_known]

    def count(self, column: str, status: str = "yellow") -> int:
        return sum(getattr(r, column) == status for r in self.rows)


def _parse_date(text: str) -> date | None:
    for parse in (date.fromisoformat, lambda t: date(int(t[6:10]), int(t[3:5]), int(t[0:2]))):
        try:
            return parse(text.strip())
        except (ValueError, IndexError):
            continue
    return None


def has_meetings(con: duckdb.DuckDBPyConnection) -> bool:
    """False for a publication made before the meeting register existed."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'meeting_status'"
        ).fetchone()[0]
    )


def find_meeting(con: duckdb.DuckDBPyConnection, selector: str, organ: str | None = None) -> Meeting:
    """The one meeting a date (YYYY-MM-DD or DD.MM.YYYY) or a label (Q1 2024) names, narrowed
    by organ; raises MeetingNotFound or AmbiguousMeeting (which lists the candidates)."""
    if not has_meetings(con):
        raise MeetingNotFound("this publication has no meeting register (marts.meeting_status)")
    day = _parse_date(selector)
    where = "dato = ?" if day else "lower(etikett) = lower(?)"
    rows = con.execute(
        f"""
        select distinct organ, dato, etikett, statusdato, tittel, motenummer, saksnummer
        from marts.meeting_status where {where} order by dato, organ
        """,
        [day or selector.strip()],
    ).fetchall()
    meetings = [Meeting(*row) for row in rows]
    if organ:
        meetings = [m for m in meetings if m.organ.lower() == organ.strip().lower()]
    if not meetings:
        known = con.execute("select distinct etikett from marts.meeting_status order by etikett").fetchall()
        raise MeetingNotFound(
            f"no registered meeting matches {selector!r}{f' for {organ}' if organ else ''} "
            f"(moter/moter.csv); labels: {', '.join(r[0] for r in known) or 'none'}"
        )
    if len(meetings) > 1:
        listed = "\n".join(f"  {m.describe()}" for m in meetings)
        raise AmbiguousMeeting(
            f"{len(meetings)} meetings match {selector!r}:\n{listed}\n"
            "name the body with --organ (e.g. --organ NUIT or --organ 'Nasjonalt e-helseråd')"
        )
    return meetings[0]


def meeting_view(con: duckdb.DuckDBPyConnection, meeting: Meeting) -> MeetingView:
    """The meeting's rows of marts.meeting_status, with the indicators' names."""
    rows = con.execute(
        """
        select s.indicator_id, i.indicator_name_nb, s.status_as_of, s.status_as_known, s.previous_status,
               s.changed, s.has_loads_by_meeting, s.previous_dato
        from marts.meeting_status as s
        left join (select distinct indicator_id, indicator_name_nb from marts.dim_measure) as i
            on s.indicator_id = i.indicator_id
        where s.organ = ? and s.dato = ? and s.saksnummer is not distinct from ?
        order by s.indicator_id
        """,
        [meeting.organ, meeting.dato, meeting.saksnummer],
    ).fetchall()
    view = MeetingView(meeting, bool(rows and rows[0][6]), rows[0][7] if rows else None)
    view.rows = [MeetingIndicatorRow(r[0], r[1] or r[0], r[2], r[3], r[4], bool(r[5])) for r in rows]
    return view
