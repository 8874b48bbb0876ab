"""The open publication's pure parts on a small published file: declarations from the columns,
selections as PxWebApi 2 takes them, withheld cells, SSB's CSV."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from dagster_project.open_data.cube import SelectionError, TooManyCells, build_cube, expand, select, split_codes
from dagster_project.open_data.formats import csv_text, jsonstat_dataset
from dagster_project.open_data.tables import load_publication, period_code


def small_publication(db: Path, extra_status_column: bool = False) -> Path:
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    con.execute(
        "create table marts.publication_log as "
        "select 'p1' as publication_id, timestamp '2026-01-02 03:04:05' as published_at"
    )
    con.execute(
        "create table marts.dim_measure as "
        "select * from (values ('1.1.1', 'Bruk'), ('4.2.6', 'PLL')) t(measure_id, name_nb)"
    )
    con.execute(
        """create table marts.fct_measure_value as select * from (values
        ('1.1.1', '2022-06', 'national', '0', 12.5, 25.0, 200.0, false),
        ('1.1.1', '2022-06', 'county', '03', null, null, null, true),
        ('1.1.1', '2022-06', 'municipality', '0301', 40.25, 7.0, 8.0, false),
        ('1.1.1', '2022', 'national', '0', 11.0, null, null, false),
        ('4.2.6', '2022-06', 'national', '0', 1234.0, null, null, false)
        ) t(measure_id, period, geography_level, geography_code, value, numerator, denominator, is_suppressed)"""
    )
    con.execute("comment on column marts.fct_measure_value.value is 'The value in the measure''s unit.'")
    status_extra = ", 2025 as target_year" if extra_status_column else ""
    con.execute(
        f"""create table marts.measure_status_history as
        select measure_id, as_of_date, status, latest_value{status_extra}
        from (values ('1.1.1', date '2022-05-31', 'green', 10.0), ('1.1.1', date '2022-06-15', 'yellow', 12.5))
        t(measure_id, as_of_date, status, latest_value)"""
    )
    con.execute("create table marts.goal_summary as select 1 as goal_id, 'Mål 1' as goal_name_nb, 3 as n_indicators")
    con.execute(
        "create table marts.municipality_adoption as select '0301' as municipality_code, 'Oslo' as municipality_name, "
        "'2022-06' as period, 700000 as population"
    )
    con.close()
    return db


@pytest.fixture
def publication(tmp_path: Path):
    return load_publication(small_publication(tmp_path / "published.duckdb"))


def test_period_codes_are_ssbs() -> None:
    assert period_code("2024-06") == "2024M06"
    assert period_code("2024") == "2024"


def test_dimensions_and_contents_come_from_the_published_columns(publication) -> None:
    data = publication.tables["fct_measure_value"]
    assert data.dimension_ids == ["measure", "Region", "ContentsCode", "Tid"]
    assert data.categories["Region"] == ["0", "03", "0301"]  # nation, county, municipality
    assert data.categories["Tid"] == ["2022", "2022M06"]
    assert data.categories["ContentsCode"] == ["value", "numerator", "denominator"]
    assert data.labels["no"]["Region"]["0301"] == "0301 Oslo"
    assert data.labels["no"]["measure"]["4.2.6"] == "4.2.6 PLL"
    assert data.contents[0].note == "The value in the measure's unit."
    # goal_summary_history is missing from this file: a table the publication lacks is not served.
    assert set(publication.tables) == {"fct_measure_value", "measure_status", "municipality_adoption"}


def test_a_column_added_to_a_mart_is_served_without_a_change(tmp_path: Path) -> None:
    publication = load_publication(small_publication(tmp_path / "p.duckdb", extra_status_column=True))
    status = publication.tables["measure_status"]
    assert status.categories["ContentsCode"] == ["status", "latest_value", "target_year"]
    assert status.categories["Tid"] == ["2022M05", "2022M06"]
    assert status.labels["no"]["Tid"]["2022M06"] == "2022-06-15"


def test_selection_expressions() -> None:
    codes = ["0", "03", "0301", "0302", "11"]
    assert split_codes("0,range(03,0302),top(2)") == ["0", "range(03,0302)", "top(2)"]
    assert expand(["03*"], codes, "Region") == ["03", "0301", "0302"]
    assert expand(["*1"], codes, "Region") == ["0301", "11"]
    assert expand(["*"], codes, "Region") == codes
    assert expand(["top(2)"], ["2021", "2022", "2023"], "Tid") == ["2022", "2023"]  # newest periods
    assert expand(["bottom(1)"], ["2021", "2022", "2023"], "Tid") == ["2021"]
    assert expand(["from(0301)"], codes, "Region") == ["0301", "0302", "11"]
    assert expand(["range(03,0302)"], codes, "Region") == ["03", "0301", "0302"]
    with pytest.raises(SelectionError, match="Non-existent value '9999' for variable 'Region'"):
        expand(["9999"], codes, "Region")


def test_withheld_cells_are_null_with_status_colon(publication) -> None:
    data = publication.tables["fct_measure_value"]
    cube = build_cube(data, select(data, {"measure": ["1.1.1"], "Tid": ["2022M06"]}))
    dataset = jsonstat_dataset(cube, publication)
    assert dataset["size"] == [1, 3, 3, 1]
    # Region 03 (withheld): value, numerator and denominator are null with status ':'.
    assert dataset["value"] == [12.5, 25.0, 200.0, None, None, None, 40.25, 7.0, 8.0]
    assert dataset["status"] == {"3": ":", "4": ":", "5": ":"}
    assert dataset["updated"] == "2026-01-02T03:04:05Z"


def test_too_many_cells_is_refused(publication) -> None:
    data = publication.tables["fct_measure_value"]
    with pytest.raises(TooManyCells, match="Too many cells selected: 36"):
        select(data, {}, max_cells=10)
    assert len(build_cube(data, select(data, {}, max_cells=math.inf)).values) == 2 * 3 * 3 * 2


def test_csv_the_ssb_way(publication) -> None:
    data = publication.tables["fct_measure_value"]
    cube = build_cube(data, select(data, {"measure": ["1.1.1"], "Tid": ["2022M06"], "ContentsCode": ["value"]}))
    text = csv_text(cube)
    assert text.startswith("\ufeff")
    lines = text[1:].split("\r\n")
    assert lines[0] == '"måleindikator";"region";"statistikkvariabel";"periode";"verdi"'
    assert lines[1] == '"1.1.1 Bruk";"0 Hele landet";"Verdi";"2022M06";12,5'
    assert lines[2] == '"1.1.1 Bruk";"03 Oslo";"Verdi";"2022M06";:'
    assert lines[3] == '"1.1.1 Bruk";"0301 Oslo";"Verdi";"2022M06";40,25'


def test_served_cells_hold_no_withheld_figure(publication) -> None:
    from dagster_project.open_data.cube import served_cells

    cells = served_cells(publication.tables["fct_measure_value"])
    withheld = [c for c in cells if c["withheld"]]
    assert {(c["Region"], c["ContentsCode"]) for c in withheld} == {
        ("03", "value"),
        ("03", "numerator"),
        ("03", "denominator"),
    }
    assert all(c["value"] is None for c in withheld)
    assert {
        "measure": "1.1.1",
        "Region": "0301",
        "ContentsCode": "value",
        "Tid": "2022M06",
        "value": 40.25,
        "withheld": False,
    } in cells
