"""The council's meeting cycle (indicators.md): the meeting register, meeting_status and
`ehelse report --meeting`, on the published test warehouse (loaded today, so no load
precedes the demo register's meetings), and one restatement run with the clock fixed after
a meeting registered today."""

from __future__ import annotations

import csv
import html
import io
import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs import build_defs
from dagster_project.presentation.meeting import AmbiguousMeeting
from dagster_project.presentation.report import roadmap_summary, write_report
from dagster_project.runner import run_pipeline
from dagster_project.settings import CLOCK_ENV_VAR, DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings, WarehousePaths
from dagster_project.warehouse import known_status

# The published fixture holds 2022; statuses start with the first plan version (2023-01-01), when
# 2022's values are still fresh.
STATUS_DATE = date(2023, 6, 30)


def section_text(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}"')
    body = page[start : page.index("</section>", start)]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def meeting_rows(warehouse: Path, dato: date) -> dict[str, tuple]:
    con = duckdb.connect(str(WarehousePaths(warehouse).published_db), read_only=True)
    try:
        rows = con.execute(
            "select indicator_id, status_as_of, status_as_known, has_loads_by_meeting from marts.meeting_status "
            "where dato = ? and organ = 'Nasjonalt e-helseråd'",
            [dato],
        ).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_a_warehouse_built_after_the_meeting_says_so_and_a_label_of_two_bodies_asks_for_the_body(
    published_readonly, tmp_path: Path
) -> None:
    _, warehouse = published_readonly
    rows = meeting_rows(warehouse, date(2024, 3, 21))
    assert len(rows) == 16
    assert {r[1] for r in rows.values()} == {"no_data"} and not any(r[2] for r in rows.values())

    out = write_report(WarehousePaths(warehouse).published_db, tmp_path / "r.html", meeting="2024-03-21")
    page = out.read_text(encoding="utf-8")
    assert 'data-as-of="31.12.2023"' in page  # the meeting's status date
    meeting = section_text(page, "mote")
    assert "Nasjonalt e-helseråd 21.03.2024, sak 04/24" in meeting
    assert "ingen innlasting fra før møtedagen 21.03.2024" in meeting
    assert "Kjent på møtedagen" not in meeting  # only the status as of the status date
    assert "Endring siden forrige møte" in meeting
    assert page.count('<tr data-indicator="') == 16

    with pytest.raises(AmbiguousMeeting) as asked:
        write_report(WarehousePaths(warehouse).published_db, tmp_path / "q.html", meeting="Q1 2024")
    assert "NUIT 29.02.2024" in str(asked.value) and "Nasjonalt e-helseråd 21.03.2024" in str(asked.value)
    assert "--organ" in str(asked.value)
    out = write_report(WarehousePaths(warehouse).published_db, tmp_path / "n.html", meeting="q1 2024", organ="NUIT")
    assert "NUIT 29.02.2024" in section_text(out.read_text(encoding="utf-8"), "mote")


def test_as_of_shows_the_roadmap_snapshot_in_force_on_that_date(published_readonly, tmp_path: Path) -> None:
    _, warehouse = published_readonly
    # The report's roadmap section as of a date (the report itself starts at the first plan
    # version, 2023-01-01, after this fixture's snapshots): the fixture has a snapshot at each
    # quarter end of 2022, so 30.06 is in force on 15.08, not the latest 31.12.
    con = duckdb.connect(str(WarehousePaths(warehouse).published_db), read_only=True)
    try:
        goals = con.execute("select goal_id, goal_name_nb from marts.goal_summary").df()
        assert roadmap_summary(con, goals, date(2022, 8, 15))[0] == "30.06.2022"
        assert roadmap_summary(con, goals)[0] == "31.12.2022"
    finally:
        con.close()


@pytest.mark.slow(seconds=120)
def test_a_restatement_after_a_meeting_changes_as_of_and_leaves_as_known(
    published_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    inbox, warehouse = published_env
    today = datetime.now(UTC).date()  # the fixture's loads finished today (or before)
    con = duckdb.connect(str(WarehousePaths(warehouse).working_db), read_only=True)
    before = dict(
        con.execute(
            "select indicator_id, status from intermediate.int_indicator_statuses_summarised where as_of_date = ?",
            [STATUS_DATE],
        ).fetchall()
    )
    con.close()
    assert before["1.6"] != "red"
    # The register grows by a meeting held today (a register cut to one line would be a
    # restatement losing most of its rows, which the gate blocks).
    register = inbox / "moter" / "moter.csv"
    register.write_text(
        register.read_text(encoding="utf-8").rstrip("\r\n")
        + f"\nNasjonalt e-helseråd;{today};;01/99;Testmøte;Testmøte;{STATUS_DATE}\n",
        encoding="utf-8",
    )
    observations = inbox / "manual" / "indikator_observasjoner.csv"
    rows = list(csv.DictReader(io.StringIO(observations.read_text(encoding="utf-8")), delimiter=";"))
    for row in rows:
        if row["measure_id"] == "1.6":
            row["verdi"] = "1"  # far below the baseline: red
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    observations.write_text(buffer.getvalue(), encoding="utf-8")

    restated_on = today + timedelta(days=2)
    monkeypatch.setenv(CLOCK_ENV_VAR, f"{restated_on}T08:00:00+00:00")
    with caplog.at_level(logging.INFO, logger=known_status.__name__):
        outcome = run_pipeline()
    assert outcome.ok and outcome.published, outcome.message
    # The meeting knew exactly what the previous build did: its statuses are that build's, not rebuilt.
    assert f"statuses as known on {today} copied" in caplog.text
    record = known_status.known_dir(warehouse) / known_status.LAST_BUILD_FILE
    assert record.exists()
    # One mart rebuilt from the UI leaves the other models as they were: it leaves no record.
    mart = dg.AssetKey(["marts", "goal_summary"])
    with dg.DagsterInstance.get() as instance:
        job = build_defs(Settings.from_env()).resolve_implicit_job_def_def_for_assets([mart])
        assert job.execute_in_process(instance=instance, asset_selection=[mart]).success
    assert not record.exists()

    ledger_dates = duckdb.sql(
        f"select status, cast(timezone('UTC', finished_at) as date) from read_parquet("
        f"'{WarehousePaths(warehouse).raw_zone.ledger_dir}/*.parquet', union_by_name = true) "
        "where file_name = 'indikator_observasjoner.csv'"
    ).fetchall()
    assert ("restated", restated_on) in ledger_dates  # the clock set the load time

    rows_now = meeting_rows(warehouse, today)
    assert {k: v[1] for k, v in rows_now.items()} == before  # as known: what the warehouse said that day
    assert all(v[2] for v in rows_now.values())
    assert rows_now["1.6"][0] == "red"  # as of: the restated value
    assert {k: v[0] for k, v in rows_now.items() if k != "1.6"} == {k: v for k, v in before.items() if k != "1.6"}

    out = write_report(WarehousePaths(warehouse).published_db, tmp_path / "r.html", meeting="Testmøte")
    meeting = section_text(out.read_text(encoding="utf-8"), "mote")
    assert "Kjent på møtedagen" in meeting
    differing = meeting[meeting.index("endret etter møtet") : meeting.index("Indikator Status per")]
    assert "1.6 Utbredelse av velferdsteknologi" in differing and "1.5 " not in differing

    # Built from the raw zone's versions known that day instead (the previous build now knew the
    # restatement), the same statuses.
    paths = WarehousePaths(warehouse)
    [copied] = [
        f for f in known_status.known_dir(warehouse).glob("known_*.parquet") if f.name != "known_current.parquet"
    ]
    copied_rows = duckdb.sql(f"select * from read_parquet('{copied}') order by all").fetchall()
    copied.unlink()
    refreshed = known_status.refresh_known_statuses(
        warehouse, paths.working_db, paths.raw_zone, DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings.from_env().dbt_vars()
    )
    assert [(known_on, how) for known_on, _, how in refreshed.computed] == [(today, "built")]
    assert duckdb.sql(f"select * from read_parquet('{copied}') order by all").fetchall() == copied_rows
