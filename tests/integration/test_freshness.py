"""Freshness checks derived from each feed's declared cadence (issue 24): one per ingestion
asset whose feeds declare one, judged on the ledger (when a file was last loaded), visible as
asset checks and run by the job check_feed_freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from dagster_project.defs import build_defs
from dagster_project.defs.ingestion.freshness import CHECK_NAME, JOB_NAME, overdue_days
from dagster_project.feeds.base import Freshness
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.registry import feeds
from dagster_project.settings import Settings, WarehousePaths
from dagster_project.warehouse import ledger
from tests.conftest import load


def test_overdue_days_counts_from_the_last_load_against_the_cadence() -> None:
    now = datetime(2024, 3, 10, tzinfo=UTC)
    monthly = Freshness(35, 62)
    assert overdue_days(now - timedelta(days=34), now, monthly) is None
    assert overdue_days(now - timedelta(days=40), now, monthly) == 5
    assert overdue_days(None, now, monthly) == 35  # never loaded: overdue from the start


def test_every_feed_with_a_cadence_has_a_check_and_a_late_feed_warns(
    demo_inbox: Path, paths: WarehousePaths, con, dagster_instance: Path
) -> None:
    usage = [f for f in scan_inbox(demo_inbox).files if f.feed.name == "helsenorge_usage"][:2]
    load(con, paths.raw_zone, *usage)
    assert datetime.now(UTC) - ledger.last_loaded(paths.raw_zone, ["helsenorge_usage"]) < timedelta(minutes=5)
    assert ledger.last_loaded(paths.raw_zone, ["kj_lookups"]) is None

    settings = Settings.from_env({}, inbox=demo_inbox, warehouse_dir=paths.root)
    defs = build_defs(settings)
    graph = defs.resolve_asset_graph()
    checked = {c.asset_key for c in graph.asset_check_keys if c.name == CHECK_NAME}
    with_cadence = {dg.AssetKey(["raw", f.table_names[0]]) for f in feeds() if f.freshness is not None}
    assert checked == with_cadence

    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(instance=instance, raise_on_error=False)
    evaluations = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    assert evaluations["helsenorge_usage"].passed
    late = evaluations["kj_lookups"]
    assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
    assert "no file of kj_lookups loaded" in late.description, late.description
    assert result.success  # a late feed warns; it fails no run
