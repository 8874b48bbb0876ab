"""The feed registry is the one home of a feed: everything else is derived from it or
checked against it."""

import re

from dagster_project.feeds.dbt_sources import SOURCES_FILE, sources_yml
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.registry import feeds, raw_tables
from dagster_project.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR


def test_the_committed_dbt_sources_are_what_the_registry_says() -> None:
    assert SOURCES_FILE.read_text() == sources_yml(), "run `ehelse dbt-sources` and commit the file"


def test_every_raw_table_has_its_suite_and_a_staging_model_that_reads_it() -> None:
    staging = "\n".join(p.read_text() for p in (DBT_PROJECT_DIR / "models" / "staging").rglob("*.sql"))
    for table in raw_tables():
        assert (EXPECTATIONS_DIR / f"raw__{table}.json").exists(), table
        assert (EXPECTATIONS_DIR / f"raw__{table}.sql").exists(), table
        assert re.search(rf"current_rows\('{table}'[,)]", staging), f"no staging model reads raw table {table}"


def test_feed_names_are_unique_and_each_file_name_round_trips(tmp_path) -> None:
    names = [f.name for f in feeds()]
    assert len(names) == len(set(names))
    for feed in feeds():
        period = {"day": "2024-02-29", "month": "2024-02", "year": "2024", "whole": "all"}[feed.grain]
        path = tmp_path / feed.inbox_path(period)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        [found] = [f for f in scan_inbox(tmp_path).files if f.path == path]
        assert (found.feed, found.period) == (feed, period)


def test_a_period_that_is_not_a_real_date_matches_no_feed(tmp_path) -> None:
    (tmp_path / "pll").mkdir()
    (tmp_path / "pll" / "pll_2024-13.csv").write_text("")
    assert scan_inbox(tmp_path).files == []
