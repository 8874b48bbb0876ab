"""Which "as known" builds a meeting register and a ledger need (warehouse/known_status.py)."""

from datetime import UTC, date, datetime

from dagster_project.warehouse.known_status import knowledge_cutoff, plan_builds

Q1 = (date(2023, 12, 31),)
MEETINGS = {date(2024, 2, 29): Q1, date(2024, 3, 21): Q1, date(2024, 9, 19): (date(2024, 6, 30),)}


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_a_warehouse_built_after_every_meeting_needs_no_build() -> None:
    builds, current = plan_builds(MEETINGS, [("a", at("2026-12-06")), ("b", at("2026-12-06"))], "p")
    assert builds == [] and current == {}


def test_meetings_after_the_last_load_knew_the_whole_ledger_and_need_no_build() -> None:
    builds, current = plan_builds(MEETINGS, [("a", at("2024-03-01")), ("b", at("2024-03-10"))], "p")
    assert builds == [] and current == {date(2024, 3, 21): Q1, date(2024, 9, 19): (date(2024, 6, 30),)}


def test_a_restatement_after_a_meeting_gives_that_meeting_one_build_of_what_it_knew() -> None:
    loads = [("a", at("2024-03-01")), ("b", at("2024-03-21", 23)), ("c", at("2024-04-01"))]
    builds, current = plan_builds(MEETINGS, loads, "p")
    assert current == {date(2024, 9, 19): (date(2024, 6, 30),)}
    [build] = builds
    assert build.meetings == ((date(2024, 3, 21), Q1),) and build.known_on == date(2024, 3, 21)
    # The fingerprint follows the loads known and the project, nothing else.
    assert plan_builds(MEETINGS, loads, "p")[0][0].fingerprint == build.fingerprint
    assert plan_builds(MEETINGS, loads, "q")[0][0].fingerprint != build.fingerprint


def test_meetings_that_knew_the_same_loads_share_one_build() -> None:
    meetings = {date(2024, 3, 20): Q1, date(2024, 3, 21): Q1}
    [build] = plan_builds(meetings, [("a", at("2024-03-01")), ("b", at("2024-05-01"))], "p")[0]
    assert build.known_on == date(2024, 3, 21) and len(build.meetings) == 2


def test_a_load_finished_on_the_meeting_day_was_known_that_day() -> None:
    assert knowledge_cutoff(date(2024, 3, 21)) == datetime(2024, 3, 22, tzinfo=UTC)
