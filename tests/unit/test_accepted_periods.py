"""Files outside the accepted periods (issue 22; inputs.md, "Rules for every file"): the scan's
rule and the Dagster partitions agree from the partitions' start (EHELSE_PARTITIONS_START, issue
24) on, so a file is either a partition or a ledger entry with its rule. A file between 2000 and
the partitions' start is named by `ehelse run` as before the partitions (docs/decisions.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dagster_project.defs.ingestion.assets import partitions
from dagster_project.feeds.base import current_day, period_out_of_range

TODAY = current_day()
NEXT_MONTH = (TODAY.replace(day=1) + timedelta(days=32)).isoformat()[:7]


@pytest.mark.parametrize(
    ("period", "grain"),
    [
        ((TODAY + timedelta(days=1)).isoformat(), "day"),
        (NEXT_MONTH, "month"),
        (str(TODAY.year + 1), "year"),
        ("1999-12-31", "day"),
        ("1999-12", "month"),
    ],
)
def test_a_period_after_the_current_one_or_before_2000_is_refused_with_its_rule(period, grain):
    reason = period_out_of_range(period, grain)
    assert reason and period in reason


@pytest.mark.parametrize(
    ("period", "grain"),
    [
        (TODAY.isoformat(), "day"),
        (TODAY.isoformat()[:7], "month"),
        ("2010-06-15", "day"),
        ("2010-06", "month"),
        ("2000-01-01", "day"),
        ("2000-01", "month"),
    ],
)
def test_every_accepted_period_of_a_partitioned_feed_is_a_partition_from_the_start(period, grain):
    assert period_out_of_range(period, grain) is None
    assert partitions(grain, "2000-01").has_partition_key(period)
    assert not partitions(grain, "2021-01").has_partition_key(period) or period >= "2021"


def test_the_running_period_is_judged_in_norway():
    assert period_out_of_range("2026-12-31", "day", today=date(2026, 12, 31)) is None
    assert period_out_of_range("2027-01", "month", today=date(2026, 12, 31))
