"""Issue 21's later columns, against a real raw zone: veikart's initiativ_id and
planlagt_presisjon, the comments' kategori and the ids mal-N and rapport. A file without the
later columns stays valid and reads them as blank."""

from pathlib import Path

import pytest

from tests.integration.test_goal5_feeds import GOOD_SUBGOAL, VEIKART_HEADER, load_all, write

LATER_HEADER = VEIKART_HEADER + ";initiativ_id;planlagt_presisjon"
COMMENT_HEADER = "id;gjelder_fra;kommentar;forfatter"


def test_a_roadmap_without_the_later_columns_stays_valid_and_reads_them_blank(con, zone, tmp_path: Path) -> None:
    write(tmp_path, "veikart/veikart_delmaal_2023-03-31.csv", VEIKART_HEADER, [GOOD_SUBGOAL])
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1)
    assert con.execute("select initiativ_id, planlagt_presisjon from raw.veikart_subgoals").fetchall() == [("", "")]


def test_the_later_roadmap_columns_load_as_written(con, zone, tmp_path: Path) -> None:
    rows = [GOOD_SUBGOAL + ";1A;", "KJ-2;Kjernejournal;Innføring;innforing;4;2023-06-30;;;planlagt;nei;4.B;kvartal"]
    write(tmp_path, "veikart/veikart_delmaal_2023-03-31.csv", LATER_HEADER, rows)
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 2, 0)
    loaded = con.execute(
        "select delmaal_id, initiativ_id, planlagt_presisjon from raw.veikart_subgoals order by 1"
    ).fetchall()
    assert loaded == [("KJ-1", "1A", ""), ("KJ-2", "4.B", "kvartal")]


@pytest.mark.parametrize(
    ("tail", "rule"),
    [
        ("2023-06-30;;;planlagt;nei;;maaned", "invalid_precision"),
        ("2023-06-15;;;planlagt;nei;;kvartal", "planned_date_not_period_end"),
        ("2023-06-30;;;planlagt;nei;;aar", "planned_date_not_period_end"),
    ],
)
def test_a_bad_precision_is_quarantined_naming_line_and_rule(con, zone, tmp_path: Path, tail: str, rule: str) -> None:
    rows = [GOOD_SUBGOAL + ";;", "KJ-2;Kjernejournal;Innføring;innforing;4;" + tail]
    write(tmp_path, "veikart/veikart_delmaal_2023-03-31.csv", LATER_HEADER, rows)
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (1, 1)
    [(line, found_rule)] = con.execute("select line_number, rule from raw.quarantine").fetchall()
    assert (line, found_rule) == (3, rule)


def test_goal_and_report_comments_with_a_category_load_and_a_misplaced_category_is_quarantined(
    con, zone, tmp_path: Path
) -> None:
    rows = [
        "mal-1;2024-03-01;Digihelsestasjon i flere kommuner.;Helsedirektoratet;hoydepunkt",
        "mal-1;2024-03-01;Flere timeavtaler.;Helsedirektoratet;positiv_bevegelse",
        "rapport;2024-03-01;6 av 16 er gule.;Helsedirektoratet;",
        "1.3;2024-03-01;Innenfor usikkerheten.;Helsedirektoratet;",
        "1.3;2024-04-01;Kategori på et måltall.;Helsedirektoratet;grep",
        "mal-6;2024-03-01;Ukjent mål.;Helsedirektoratet;",
        "mal-2;2024-03-01;Ukjent kategori.;Helsedirektoratet;hoydepunkter",
    ]
    write(tmp_path, "manual/indikator_kommentarer.csv", COMMENT_HEADER + ";kategori", rows)
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (4, 3)
    quarantined = con.execute("select line_number, rule from raw.quarantine order by 1").fetchall()
    assert quarantined == [(6, "category_not_allowed"), (7, "unknown_id"), (8, "invalid_category")]


def test_a_comments_file_without_kategori_stays_valid(con, zone, tmp_path: Path) -> None:
    write(tmp_path, "manual/indikator_kommentarer.csv", COMMENT_HEADER, ["1.3;2024-03-01;Tekst.;Helsedirektoratet"])
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1)
    assert con.execute("select kategori from raw.manual_comments").fetchall() == [("",)]


def test_a_raw_zone_made_before_a_later_column_gets_it_in_its_schema_file(con, zone) -> None:
    """A warehouse whose schema file predates kategori: ensure_tables rewrites it, so the older
    file versions read the new column as NULL instead of the table missing it."""
    from dagster_project.warehouse.raw_zone import SCHEMA_PARTITION, ensure_tables, parquet_columns

    schema = zone.root / "manual_comments" / SCHEMA_PARTITION / "part-0.parquet"
    old = {"source_line": "bigint", "id": "varchar", "gjelder_fra": "varchar"}
    schema.unlink()
    ensure_tables(zone, con, {"manual_comments": old})
    assert "kategori" not in parquet_columns(con, schema)
    ensure_tables(zone, con, {"manual_comments": {**old, "kategori": "varchar"}})
    assert {*old, "kategori"} <= parquet_columns(con, schema)
