"""The meeting register (inputs.md, moter/) through the real ingestion, and the load-time
clock it is tested with."""

from datetime import UTC, datetime
from pathlib import Path

from dagster_project.feeds.inbox import scan_inbox
from dagster_project.warehouse.clock import fixed_clock
from dagster_project.warehouse.ingest import ingest_files

HEADER = "organ;dato;motenummer;saksnummer;tittel;etikett;statusdato\n"
COUNCIL = "Nasjonalt e-helseråd;2024-03-21;1/24;04/24;Oppfølging av Nasjonal e-helsestrategi Q1 2024;Q1 2024;2023-12-31"
NUIT = "NUIT;2024-02-29;;07/24;Oppfølging av Nasjonal e-helsestrategi Q1 2024;Q1 2024;2023-12-31"


def register(inbox: Path, *rows: str) -> None:
    path = inbox / "moter" / "moter.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def load_register(con, zone, inbox: Path, at: str = "2024-03-01T10:00:00+00:00"):
    return ingest_files(con, zone, scan_inbox(inbox).files, clock=fixed_clock(at))


def test_a_status_date_after_the_meeting_is_quarantined_naming_the_line(con, zone, tmp_path: Path) -> None:
    register(tmp_path, COUNCIL, "NUIT;2024-08-29;;31/24;Oppfølging;Q3 2024;2024-09-30")
    [outcome] = load_register(con, zone, tmp_path)
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 1, 1)
    rule, message = con.execute("select rule, message from raw.quarantine").fetchone()
    assert rule == "status_date_after_meeting"
    assert message == "moter/moter.csv line 3: statusdato 2024-09-30 is after the meeting date dato 2024-08-29"


def test_a_repeated_meeting_rejects_the_file_and_keeps_the_register_loaded_before(con, zone, tmp_path: Path) -> None:
    register(tmp_path, NUIT, COUNCIL)
    load_register(con, zone, tmp_path)
    register(tmp_path, NUIT, COUNCIL, COUNCIL.replace("Q1 2024;2023", "Q1 2024 (ny);2023"))
    [outcome] = load_register(con, zone, tmp_path, at="2024-03-02T10:00:00+00:00")
    assert outcome.status == "rejected"
    assert "duplicate_meeting" in outcome.reason and "on lines 3, 4" in outcome.reason
    assert con.execute("select count(*) from raw.meetings").fetchone()[0] == 2
    # Blank optional numbers are allowed, and NUIT and the council may share a label.
    assert con.execute("select count(distinct etikett) from raw.meetings").fetchone()[0] == 1


def test_the_fixed_clock_sets_the_ledger_times(con, zone, tmp_path: Path) -> None:
    register(tmp_path, NUIT)
    load_register(con, zone, tmp_path, at="2024-03-01T10:00:00")
    register(tmp_path, NUIT, COUNCIL)
    load_register(con, zone, tmp_path, at="2024-04-01T10:00:00+00:00")
    times = con.execute("select status, started_at, finished_at from raw.load_ledger order by finished_at").fetchall()
    assert [t[0] for t in times] == ["loaded", "restated"]
    assert times[0][1] == datetime(2024, 3, 1, 10, tzinfo=UTC)  # no offset given: UTC
    assert times[0][1] < times[0][2] < times[1][1] < times[1][2]  # one tick per reading keeps the order
    assert times[1][2] < datetime(2024, 4, 1, 10, 0, 1, tzinfo=UTC)
