"""Volume checks (issue 22): the expectations and their batch SQL, run by Great Expectations on
small DuckDB frames. A month is judged against the months on both sides, so the bad month is
the one flagged and not the correct month after it; spikes count as well as drops; a
restatement is compared with the version it replaced."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from dagster_project.gate import quality

MONTHS = [f"2022-{m:02d}" for m in range(1, 13)]
# Demo-like national visits: a few per cent from month to month.
VISITS = [24857, 24682, 25149, 24113, 24760, 24126, 23490, 24200, 25596, 25578, 25733, 24487]


def _failing(con: duckdb.DuckDBPyConnection, suite_name: str, check_id: str, tmp_path) -> list[str]:
    suite = next(s for s in quality.load_suites() if s.name == suite_name)
    outcome = quality.validate_suite(suite, quality.batch_frame(con, suite), [], tmp_path)
    [result] = [o for o in outcome.outcomes if o.check_name == f"{suite_name}.{check_id}"]
    return result.row_keys if not result.passed else []


def _usage(visits: list[int], restated: dict[str, int] | None = None) -> duckdb.DuckDBPyConnection:
    """raw.helsenorge_usage (current versions), its __versions and the ledger naming restatements."""
    con = duckdb.connect()
    con.execute("create schema raw")
    rows = [(f"L-{m}", m, str(v * 1000)) for m, v in zip(MONTHS, visits, strict=True)]
    con.execute("create table raw.helsenorge_usage (load_id varchar, maaned varchar, antall_besok varchar)")
    con.executemany("insert into raw.helsenorge_usage values (?, ?, ?)", rows)
    con.execute("create table raw.helsenorge_usage__versions as select * from raw.helsenorge_usage")
    con.execute(
        "create table raw.load_ledger (load_id varchar, period varchar, source_family varchar, is_current boolean, "
        "status varchar, supersedes varchar, finished_at timestamptz)"
    )
    for month, replaced_visits in (restated or {}).items():
        con.execute(
            "insert into raw.helsenorge_usage__versions values (?, ?, ?)", [f"old-{month}", month, str(replaced_visits)]
        )
        con.execute(
            "insert into raw.load_ledger values (?, ?, 'helsenorge_usage', true, 'restated', ?, ?)",
            [f"L-{month}", month, f"old-{month}", datetime(2026, 12, 6, 12, 0, tzinfo=UTC)],
        )
    return con


def test_a_halved_month_is_flagged_and_the_correct_month_after_it_is_not(tmp_path):
    visits = list(VISITS)
    visits[5] = visits[5] // 2  # 2022-06 halved by mistake
    con = _usage(visits)
    assert _failing(con, "raw__helsenorge_usage", "monthly_volume_change", tmp_path) == ["2022-06"]


def test_a_month_at_exactly_half_its_neighbours_fails(tmp_path):
    con = _usage([100] * 5 + [50] + [100] * 6)
    assert _failing(con, "raw__helsenorge_usage", "monthly_volume_change", tmp_path) == ["2022-06"]


def test_a_spike_is_flagged_like_a_drop(tmp_path):
    visits = list(VISITS)
    visits[8] *= 10
    con = _usage(visits)
    assert _failing(con, "raw__helsenorge_usage", "monthly_volume_change", tmp_path) == ["2022-09"]


def test_a_halving_restatement_is_named_in_the_failing_example(tmp_path):
    visits = list(VISITS)
    visits[4] = visits[4] // 2
    con = _usage(visits, restated={"2022-05": VISITS[4] * 1000})
    suite = next(s for s in quality.load_suites() if s.name == "raw__helsenorge_usage")
    outcome = quality.validate_suite(suite, quality.batch_frame(con, suite), [], tmp_path)
    [result] = [o for o in outcome.outcomes if o.check_name.endswith("monthly_volume_change")]
    assert not result.passed and result.row_keys == ["2022-05"]
    assert result.examples[0]["restatement"] == "2022-05 erstattet 2026-12-06 12:00: 50 % færre besøk"


def test_a_tenfold_lookup_day_is_flagged(tmp_path):
    con = duckdb.connect()
    con.execute("create schema raw")
    days = [(f"2022-03-{d:02d}", 200 if d % 7 else 100) for d in range(1, 29)]
    days[20] = (days[20][0], 2000)
    con.execute(
        "create table raw.load_ledger (source_family varchar, period varchar, rows_loaded bigint, is_current boolean)"
    )
    con.executemany("insert into raw.load_ledger values ('kj_lookups', ?, ?, true)", days)
    assert _failing(con, "raw__kj_lookups", "daily_volume_no_spike", tmp_path) == ["2022-03-21"]


@pytest.mark.parametrize(("kept", "blocks"), [(35, True), (340, False)])
def test_a_restatement_that_loses_most_of_its_rows_blocks(tmp_path, kept, blocks):
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute(
        """
        create table staging.stg_ingestion__file_loads (
            load_id varchar, file_name varchar, source_family varchar, period varchar, rows_read bigint,
            rows_quarantined bigint, status varchar, is_current boolean, superseded_by varchar, finished_at timestamptz
        )
        """
    )
    con.execute(
        "insert into staging.stg_ingestion__file_loads values "
        "('old', 'pll_2022-05.csv', 'pll_monthly', '2022-05', 357, 0, 'loaded', false, 'new', '2026-12-01'), "
        "('new', 'pll_2022-05.csv', 'pll_monthly', '2022-05', ?, 0, 'restated', true, null, '2026-12-06'), "
        "('other', 'pll_2022-06.csv', 'pll_monthly', '2022-06', 357, 0, 'loaded', true, null, '2026-12-01')",
        [kept],
    )
    failing = _failing(con, "staging__stg_ingestion__file_loads", "restatement_keeps_rows", tmp_path)
    assert failing == (["pll_2022-05.csv"] if blocks else [])
