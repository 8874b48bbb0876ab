"""The whole pipeline on a generated inbox with a month missing: its own run from an empty warehouse."""

from pathlib import Path

import pytest

from dagster_project.runner import run_pipeline
from dagster_project.settings import WarehousePaths
from tests.conftest import keep_lookup_days
from tests.integration.pipeline_checks import published_values, rolling_means_from_files


@pytest.mark.slow(seconds=90)
def test_a_missing_month_withholds_the_rolling_mean_for_the_12_months_that_need_it(
    warehouse_env: Path, demo_inbox: Path
) -> None:
    (demo_inbox / "helsenorge" / "helsenorge_bruk_2022-03.csv").unlink()
    keep_lookup_days(demo_inbox, days_a_month=1)  # 1.1.1 reads Helsenorge's usage, not the lookups
    outcome = run_pipeline()
    assert outcome.ok, outcome.message
    published = published_values(WarehousePaths(warehouse_env).published_db, "1.1.1")
    expected = rolling_means_from_files(demo_inbox, "timeavtaler")
    assert sorted(published) == sorted(expected) == ["2021-12", "2022-01", "2022-02"]
    assert published["2022-02"] == pytest.approx(expected["2022-02"], rel=1e-12)
