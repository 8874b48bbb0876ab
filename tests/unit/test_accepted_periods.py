"""Files outside the accepted periods (issue 22; inputs.md, "Rules for every file"): the scan's
rule and the Dagster partitions agree, so a file is either a partition or a ledger entry with
its rule, never skipped and pending run after run. The partitions start at
EHELSE_PARTITIONS_START (issue 24): a daily or monthly file before it is refused by the scan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dagster_project.defs.ingestion.assets import partitions
from dagster_project.feeds.base import current_day, period_out_of_range
from dagster_project.feeds.inbox import scan_inbox, unmatched_reason

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
def test_every_accepted_period_of_a_partitioned_feed_is_a_partition(period, grain):
    assert period_out_of_range(period, grain, first_month="2000-01") is None
    assert partitions(grain, "2000-01").has_partition_key(period)


@pytest.mark.parametrize(("period", "grain"), [("2010-06-15", "day"), ("2020-12", "month"), ("2020-12-31", "day")])
def test_a_period_before_the_partitions_start_is_refused_naming_the_setting(period, grain):
    reason = period_out_of_range(period, grain, first_month="2021-01")
    assert reason and "EHELSE_PARTITIONS_START" in reason
    assert not partitions(grain, "2021-01").has_partition_key(period)
    assert period_out_of_range("2021-01", "month", first_month="2021-01") is None
    assert period_out_of_range("2010", "year", first_month="2021-01") is None  # yearly feeds are not partitioned


def test_a_file_before_the_partitions_start_is_unmatched_with_its_rule(tmp_path):
    folder = tmp_path / "helsenorge"
    folder.mkdir()
    (folder / "helsenorge_bruk_2010-06.csv").write_text(
        "maaned;kommunenummer;tjeneste;antall_besok;antall_unike_brukere\n"
    )
    scan = scan_inbox(tmp_path, first_month="2021-01")
    assert scan.files == [] and [p.name for p in scan.unmatched] == ["helsenorge_bruk_2010-06.csv"]
    assert "EHELSE_PARTITIONS_START" in unmatched_reason(scan.unmatched[0], tmp_path, "2021-01")
    assert [f.period for f in scan_inbox(tmp_path, first_month="2000-01").files] == ["2010-06"]


def test_the_running_period_is_judged_in_norway():
    assert period_out_of_range("2026-12-31", "day", today=date(2026, 12, 31)) is None
    assert period_out_of_range("2027-01", "month", today=date(2026, 12, 31))
