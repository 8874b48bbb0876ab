"""The whole pipeline (Dagster in-process -> dbt build -> publish) on a generated inbox: what the
first run publishes, and a second run that finds nothing to do."""

import csv
from pathlib import Path

import duckdb
import pytest

from dagster_project.runner import run_pipeline
from dagster_project.settings import SEEDS_DIR, WarehousePaths
from tests.conftest import recorded_outcome
from tests.integration.pipeline_checks import (
    adoption_shares_from_files,
    lookups_per_year_from_files,
    pll_patients_from_files,
    published_values,
    rolling_means_from_files,
    sha256,
    survey_share_from_workbook,
)


@pytest.mark.slow(seconds=270)
def test_pipeline_publishes_every_measure_and_1_1_x_as_computed_from_the_files(
    demo_publication: Path, demo_published_env: tuple[Path, Path]
) -> None:
    # The first run on the generated inbox is conftest's demo_publication (shared with the
    # restated-day test): its outcome, then a private copy of what it published and recorded.
    demo_inbox, warehouse = demo_published_env
    outcome = recorded_outcome(demo_publication)
    assert outcome["ok"] and outcome["published"], outcome["message"]
    paths = WarehousePaths(warehouse)

    for measure_id, service in (("1.1.1", "timeavtaler"), ("1.1.2", "pa_vegne_av_andre")):
        expected = rolling_means_from_files(demo_inbox, service)
        published = published_values(paths.published_db, measure_id)
        assert sorted(published) == sorted(expected) == ["2021-12"] + [f"2022-{m:02d}" for m in range(1, 13)]
        for month, value in expected.items():
            assert published[month] == pytest.approx(value, rel=1e-12), month

    adoption = adoption_shares_from_files(demo_inbox)
    published_adoption = published_values(paths.published_db, "4.2.1")
    assert sorted(published_adoption) == sorted(adoption)
    for month, (_, share) in adoption.items():
        assert published_adoption[month] == pytest.approx(share, rel=1e-12), month
    assert published_values(paths.published_db, "4.2.6") == pll_patients_from_files(demo_inbox)
    # 4.2.2 is lookups per week: the year's events over its 365 / 7 weeks (the baseline is weekly).
    events = {p: v for p, v in published_values(paths.published_db, "4.2.2", "numerator").items() if len(p) == 4}
    per_week = {p: v for p, v in published_values(paths.published_db, "4.2.2").items() if len(p) == 4}
    assert events == lookups_per_year_from_files(demo_inbox)
    for year, count in events.items():
        assert per_week[year] == pytest.approx(count / (365 / 7), rel=1e-12), year

    for year in ("2021", "2022"):
        expected_share = survey_share_from_workbook(
            demo_inbox / "surveys" / f"innbyggerundersokelsen_{year}.xlsx", "INB_TILGANG_ENKLE", {4, 5}
        )
        con = duckdb.connect(str(paths.published_db), read_only=True)
        row = con.execute(
            "select value, n, n_eff, ci_low, ci_high from marts.fct_measure_value "
            "where measure_id = '1.3' and period = ? and geography_level = 'national'",
            [year],
        ).fetchone()
        con.close()
        assert dict(zip(["value", "n", "n_eff", "ci_low", "ci_high"], row, strict=True)) == pytest.approx(
            expected_share
        )

    # municipality_adoption on today's codes: the 2020-structure snapshot mapped 1:1, except that
    # Ålesund (1507) was split into 1508 and 1580 in 2024, and both inherit its adoption.
    with (demo_inbox / "kjernejournal" / "kj_innforing_2022-12-31.csv").open(encoding="utf-8") as f:
        adopted_codes = {r["kommunenummer"] for r in csv.DictReader(f, delimiter=";")}
    con = duckdb.connect(str(paths.published_db), read_only=True)
    adoption = con.execute(
        "select count(*), count(*) filter (where kjernejournal_adopted), sum(population) "
        "from marts.municipality_adoption where period = '2022-12'"
    ).fetchone()
    small_cells = con.execute(
        "select count(*) from marts.fct_measure_value where measure_id in ('4.2.2', '4.2.6') "
        "and geography_level = 'municipality' and coalesce(numerator, value) >= 1 and coalesce(numerator, value) < 5"
    ).fetchone()[0]
    suppressed = con.execute(
        "select count(*) from marts.fct_measure_value where measure_id = '4.2.2' and is_suppressed"
    ).fetchone()[0]
    con.close()
    assert adoption[0] == 357
    assert adoption[1] == len(adopted_codes) + ("1507" in adopted_codes)
    assert adoption[2] == 5_367_580  # SSB 2020 total, carried onto 2024 codes
    # 4.2.5 is a population share: people in arranged municipalities over the same population.
    con_share = duckdb.connect(str(paths.published_db), read_only=True)
    value, covered, population = con_share.execute(
        "select value, numerator, denominator from marts.fct_measure_value where measure_id = '4.2.5' "
        "and period = '2022-12'"
    ).fetchone()
    con_share.close()
    assert population == pytest.approx(5_367_580) and value == pytest.approx(100 * covered / population)
    assert small_cells == 0 and suppressed > 0

    with (SEEDS_DIR / "measure_catalog.csv").open(encoding="utf-8") as f:
        catalog = {row["measure_id"] for row in csv.DictReader(f)}
    con = duckdb.connect(str(paths.published_db), read_only=True)
    try:
        statuses = dict(con.execute("select measure_id, status from marts.measure_status").fetchall())
        total = con.execute(
            "select n_indicators, n_green + n_yellow + n_red + n_no_target + n_no_data "
            "from marts.goal_summary where goal_id = 0"
        ).fetchone()
        log_rows = con.execute("select count(*), max(checks_failed) from marts.publication_log").fetchone()
    finally:
        con.close()
    assert set(statuses) == catalog
    # The generated inbox ends in 2022-12: more than 13 months before today, so monthly measures are stale.
    assert statuses["1.1.1"] == "no_data"
    assert statuses["4.2.2"] == "no_data"  # the latest complete year, 2022, is more than 2 years old
    assert total == (16, 16)
    assert log_rows == (1, 0)
    assert {p.name for p in paths.parquet_dir.iterdir()} >= {
        "dim_measure.parquet",
        "fct_measure_value.parquet",
        "measure_status.parquet",
        "goal_summary.parquet",
        "municipality_adoption.parquet",
        "publication_files.parquet",
        "publication_log.parquet",
    }

    # Nothing new: a no-op that leaves the publication byte-for-byte as it was (a second run of
    # the warehouse that published, in its copied folder with its copied Dagster instance).
    before = sha256(paths.published_db)
    again = run_pipeline()
    assert again.ok and not again.published and "nothing changed" in again.message
    assert sha256(paths.published_db) == before
