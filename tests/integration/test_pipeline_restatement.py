"""A lookup day re-delivered after a publication: the incremental fact replaces its counts."""

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.runner import run_pipeline
from dagster_project.settings import DBT_PIPELINE_MANIFEST, WarehousePaths
from tests.conftest import recorded_outcome
from tests.integration.pipeline_checks import lookups_per_month_from_files, published_values


@pytest.mark.slow(seconds=150)  # after test_pipeline.py's (longer), which builds the demo publication
def test_a_restated_lookup_day_replaces_its_counts_in_the_incremental_fact(
    demo_publication: Path, demo_published_env: tuple[Path, Path]
) -> None:
    demo_inbox, warehouse_env = demo_published_env  # a copy of the first run on the generated inbox
    assert recorded_outcome(demo_publication)["ok"]
    day = demo_inbox / "kjernejournal" / "kj_oppslag_2022-06-15.jsonl.gz"
    lines = gzip.decompress(day.read_bytes()).splitlines()
    day.write_bytes(gzip.compress(b"\n".join(lines[:-3]) + b"\n"))  # the source re-delivers the day, 3 fewer

    paths = WarehousePaths(warehouse_env)
    unit_tests = json.loads(DBT_PIPELINE_MANIFEST.read_text())["unit_tests"]
    assert json.loads(paths.build_summary.read_text())["unit_tests_run"] == len(unit_tests) > 0  # the first build

    outcome = run_pipeline()
    assert outcome.ok and outcome.published, outcome.message
    # The same project: its unit tests passed in the first build, and the rerun leaves them out.
    assert json.loads(paths.build_summary.read_text())["unit_tests_run"] == 0
    db = paths.published_db
    monthly = {p: v for p, v in published_values(db, "4.2.2", "numerator").items() if len(p) == 7}
    assert monthly == lookups_per_month_from_files(demo_inbox)
    con = duckdb.connect(str(db), read_only=True)
    splits = con.execute(
        "select breakdown, sum(n_lookups) from marts.kjernejournal_lookups_monthly "
        "where period = '2022-06' group by breakdown order by breakdown"
    ).fetchall()
    con.close()
    assert {total for _, total in splits} == {monthly["2022-06"]}  # every split adds up to the total
