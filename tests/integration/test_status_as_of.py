"""Issue 14: the status as of a date, steward comments, the publication archive and
complementary suppression, on a real pipeline run (Dagster in-process, dbt build, publish)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.presentation.report import write_report
from dagster_project.presentation.status import format_status
from dagster_project.publication.publish import open_publication
from dagster_project.runner import run_pipeline
from dagster_project.settings import Settings, WarehousePaths
from tests.conftest import private_copy

STATUS_COLUMNS = "measure_id, latest_period, latest_value, expected_value, achieved_fraction, status"


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.mark.slow(seconds=60)
def test_a_status_as_of_a_past_date_is_what_a_run_as_of_that_date_publishes(
    restated_publication: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run as of today is conftest's restated_publication, whose inbox has the stewards'
    # comments on 1.1 (fault_checks.STEWARD_COMMENTS): its daily rows hold 31.03.2023 too.
    # The first plan version is valid from 2023-01-01: no status before (issue 21).
    shared = restated_publication
    _, warehouse = private_copy(shared / "inbox", shared / "warehouse", tmp_path, monkeypatch)
    paths = WarehousePaths(warehouse)
    day = "2023-03-31"
    then = rows(
        paths.published_db,
        f"select {STATUS_COLUMNS}, comment_nb from marts.measure_status_daily where as_of_date = ? order by 1",
        [day],
    )
    goals_then = rows(
        paths.published_db,
        "select * exclude (as_of_date) from marts.goal_summary_daily where as_of_date = ? order by goal_id",
        [day],
    )
    with open_publication(paths) as con:
        printed = format_status(con, date.fromisoformat(day))

    outcome = run_pipeline(Settings.from_env(as_of_date=day))
    assert outcome.ok and outcome.published, outcome.message
    now = rows(paths.published_db, f"select {STATUS_COLUMNS}, comment_nb from marts.measure_status order by 1")
    assert now == then
    assert rows(paths.published_db, "select distinct as_of_date from marts.measure_status") == [(date(2023, 3, 31),)]
    assert rows(paths.published_db, "select * from marts.goal_summary order by goal_id") == goals_then
    assert printed.startswith("Status per 31.03.2023")
    statuses = {r[0]: r for r in now}
    # Values of 2022 count as of 31.03.2023, and monthly measures are fresh then (not as of today).
    assert statuses["1.1.1"][1] == "2022-12" and statuses["1.1.1"][5] != "no_data"
    # The indicator's comment in force on the day, for a measure without its own.
    assert statuses["1.1.2"][6] == statuses["1.1.1"][6] == "Positive bevegelser <script>alert(1)</script>"

    # History: month ends from the plan's valid_from (not the baselines of 2022) to the as-of date.
    history = rows(
        paths.published_db,
        "select as_of_date, count(*) from marts.measure_status_history "
        "where measure_id = '1.1.1' group by 1 order by 1",
    )
    assert [d for d, _ in history] == [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)]
    assert rows(paths.published_db, "select count(*) from marts.goal_summary_history where goal_id = 0")[0][0] == 3
    assert rows(paths.published_db, "select min(as_of_date) from marts.measure_status_daily") == [(date(2023, 1, 1),)]

    # The comment is escaped in the report, never rendered as HTML.
    html = write_report(paths.published_db, warehouse / "r.html").read_text(encoding="utf-8")
    assert "Status per 31.03.2023" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    # The steward's kommentar is published beside the manual value it explains.
    assert rows(
        paths.published_db, "select distinct comment_nb from marts.fct_measure_value where measure_id = '1.5'"
    ) == [("Årlig rapportering",)]


def _recoverable(cells: pd.DataFrame) -> list[tuple]:
    """Every withheld cell that one subtraction recovers: a group (municipalities of a county or
    of the nation, counties of the nation) with a published total and exactly one withheld member."""
    found = []
    for partition, part in cells.groupby("partition"):
        totals = {("county", c): r for c, r in part[part.level == "county"].set_index("code").iterrows()}
        national = part[part.level == "national"]
        groups: dict[tuple, list] = defaultdict(list)
        for _, cell in part[part.level == "municipality"].iterrows():
            groups[("national", "municipalities")].append(cell)
            if ("county", cell.county) in totals:
                groups[("county", cell.county)].append(cell)
        for _, cell in part[part.level == "county"].iterrows():
            groups[("national", "counties")].append(cell)
        for key, members in groups.items():
            total = national.iloc[0] if key[0] == "national" else totals[key]
            withheld = [m for m in members if m.withheld]
            if total.withheld or len(withheld) != 1:
                continue
            value = total.value - sum(m.value for m in members if not m.withheld)
            found.append((partition, key, withheld[0].code, value))
    return found


def test_no_withheld_cell_can_be_recovered_by_subtraction(published_readonly) -> None:
    _, warehouse = published_readonly
    parquet = WarehousePaths(warehouse).parquet_dir
    con = duckdb.connect()
    counties = "(select municipality_code, county_code from read_parquet('{p}/municipality_adoption.parquet'))"
    measures = con.execute(
        f"""
        select f.measure_id || ' ' || f.period as partition, f.geography_level as level, f.geography_code as code,
               c.county_code as county, coalesce(f.numerator, f.value) as value, f.is_suppressed as withheld
        from read_parquet('{parquet}/fct_measure_value.parquet') as f
        inner join read_parquet('{parquet}/dim_measure.parquet') as d using (measure_id)
        left join (select distinct * from {counties.format(p=parquet)}) as c on f.geography_code = c.municipality_code
        where d.is_person_level_count and f.geography_level in ('national', 'municipality')
        """
    ).df()
    pll = con.execute(
        f"""
        select 'pll ' || p.period as partition, p.geography_level as level, p.geography_code as code,
               c.county_code as county, p.patients_with_pll as value, p.is_suppressed as withheld
        from read_parquet('{parquet}/pll_usage_monthly.parquet') as p
        left join (select distinct * from {counties.format(p=parquet)}) as c on p.geography_code = c.municipality_code
        """
    ).df()
    con.close()
    cells = pd.concat([measures, pll])
    assert cells.withheld.sum() > 0  # there is something to protect
    assert _recoverable(cells) == []
