"""The whole pipeline (Dagster in-process -> dbt build -> publish) on a generated inbox."""

import csv
import gzip
import hashlib
import json
import math
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.runner import run_pipeline
from dagster_project.settings import SEEDS_DIR, WarehousePaths


def rolling_means_from_files(inbox: Path, service: str) -> dict[str, float]:
    """1.1.x computed straight from the inbox files, independently of the SQL."""
    monthly: dict[str, int] = defaultdict(int)
    for path in (inbox / "helsenorge").glob("helsenorge_bruk_*.csv"):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter=";"):
                if row["tjeneste"] == service:
                    monthly[row["maaned"]] += int(row["antall_besok"])

    def shift(month: str, back: int) -> str:
        index = int(month[:4]) * 12 + int(month[5:]) - 1 - back
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    means = {}
    for month in monthly:
        window = [shift(month, k) for k in range(12)]
        if all(m in monthly for m in window):
            means[month] = sum(monthly[m] for m in window) / 12
    return means


def adoption_shares_from_files(inbox: Path) -> dict[str, tuple[int, float]]:
    """4.2.1 from the snapshot files: (adopted, percent of the 356 municipalities of 2020-2023)."""
    latest: dict[str, Path] = {}
    for path in sorted((inbox / "kjernejournal").glob("kj_innforing_*.csv")):
        latest[path.stem[len("kj_innforing_") : len("kj_innforing_") + 7]] = path  # sorted: the last wins
    shares = {}
    for month, path in latest.items():
        day = path.stem[len("kj_innforing_") :]
        with path.open(encoding="utf-8") as f:
            adopted = sum(row["innfort_dato"] <= day for row in csv.DictReader(f, delimiter=";"))
        shares[month] = (adopted, 100 * adopted / 356)
    return shares


def pll_patients_from_files(inbox: Path) -> dict[str, int]:
    totals = {}
    for path in (inbox / "pll").glob("pll_*.csv"):
        with path.open(encoding="utf-8") as f:
            totals[path.stem[4:]] = sum(int(r["antall_pasienter_med_pll"]) for r in csv.DictReader(f, delimiter=";"))
    return totals


def lookups_per_year_from_files(inbox: Path) -> dict[str, int]:
    ids: dict[str, set[str]] = defaultdict(set)
    for path in (inbox / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"):
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            ids[path.name[len("kj_oppslag_") :][:4]].add(json.loads(line)["oppslag_id"])
    return {year: len(found) for year, found in ids.items()}


def survey_share_from_workbook(path: Path, question: str, positive: set[int]) -> dict[str, float]:
    """A survey measure from the xlsx with pandas: weighted share, n, Kish n_eff, 95 % interval."""
    data = pd.read_excel(path, sheet_name="data")
    valid = data[data[question].isin([1, 2, 3, 4, 5])]
    w = valid["vekt"]
    p = (w * valid[question].isin(positive)).sum() / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    margin = 1.96 * math.sqrt(p * (1 - p) / n_eff)
    return {
        "value": 100 * p,
        "n": len(valid),
        "n_eff": n_eff,
        "ci_low": 100 * (p - margin),
        "ci_high": 100 * (p + margin),
    }


def published_values(db: Path, measure_id: str, column: str = "value") -> dict[str, float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(
            con.execute(
                f"select period, {column} from marts.fct_measure_value "
                "where measure_id = ? and geography_level = 'national'",
                [measure_id],
            ).fetchall()
        )
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_pipeline_publishes_every_measure_and_1_1_x_as_computed_from_the_files(
    warehouse_env: Path, demo_inbox: Path
) -> None:
    outcome = run_pipeline()
    assert outcome.ok and outcome.published, outcome.message
    paths = WarehousePaths(warehouse_env)

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

    # Nothing new: a no-op that leaves the publication byte-for-byte as it was.
    before = sha256(paths.published_db)
    again = run_pipeline()
    assert again.ok and not again.published and "nothing changed" in again.message
    assert sha256(paths.published_db) == before


def test_a_missing_month_withholds_the_rolling_mean_for_the_12_months_that_need_it(
    warehouse_env: Path, demo_inbox: Path
) -> None:
    (demo_inbox / "helsenorge" / "helsenorge_bruk_2022-03.csv").unlink()
    outcome = run_pipeline()
    assert outcome.ok, outcome.message
    published = published_values(WarehousePaths(warehouse_env).published_db, "1.1.1")
    expected = rolling_means_from_files(demo_inbox, "timeavtaler")
    assert sorted(published) == sorted(expected) == ["2021-12", "2022-01", "2022-02"]
    assert published["2022-02"] == pytest.approx(expected["2022-02"], rel=1e-12)


def lookups_per_month_from_files(inbox: Path) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for path in (inbox / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"):
        counts[path.name[len("kj_oppslag_") :][:7]] += len(gzip.decompress(path.read_bytes()).splitlines())
    return dict(counts)


def test_a_restated_lookup_day_replaces_its_counts_in_the_incremental_fact(
    warehouse_env: Path, demo_inbox: Path
) -> None:
    assert run_pipeline().ok
    day = demo_inbox / "kjernejournal" / "kj_oppslag_2022-06-15.jsonl.gz"
    lines = gzip.decompress(day.read_bytes()).splitlines()
    day.write_bytes(gzip.compress(b"\n".join(lines[:-3]) + b"\n"))  # the source re-delivers the day, 3 fewer

    outcome = run_pipeline()
    assert outcome.ok and outcome.published, outcome.message
    db = WarehousePaths(warehouse_env).published_db
    monthly = {p: v for p, v in published_values(db, "4.2.2", "numerator").items() if len(p) == 7}
    assert monthly == lookups_per_month_from_files(demo_inbox)
    con = duckdb.connect(str(db), read_only=True)
    splits = con.execute(
        "select breakdown, sum(n_lookups) from marts.kjernejournal_lookups_monthly "
        "where period = '2022-06' group by breakdown order by breakdown"
    ).fetchall()
    con.close()
    assert {total for _, total in splits} == {monthly["2022-06"]}  # every split adds up to the total
