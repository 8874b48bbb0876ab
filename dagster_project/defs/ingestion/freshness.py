"""Freshness checks derived from each feed's declared delivery cadence (Feed.freshness): how
long ago a file of the feed was last loaded (the ledger), not when the asset last ran (a
snapshot feed's asset runs only for the dates its files carry). Non-blocking WARN checks, visible in the
UI's asset checks and in `ehelse run`'s warnings; evaluated with every publication and by the
daily job check_feed_freshness (schedule off by default, like the others)."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.ingestion.assets import asset_key, groups
from dagster_project.feeds.base import Feed, Freshness
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse import ledger

CHECK_NAME = "file_arrives_on_cadence"
JOB_NAME = "check_feed_freshness"


def overdue_days(last: datetime | None, now: datetime, freshness: Freshness) -> float | None:
    """Days past the cadence (None: on time). A feed never loaded is overdue by its cadence."""
    if last is None:
        return float(freshness.warn_after_days)
    age = (now - last).total_seconds() / 86400
    return age - freshness.warn_after_days if age > freshness.warn_after_days else None


def _cadence(group: tuple[Feed, ...]) -> Freshness | None:
    """The tightest cadence declared by the feeds writing one asset."""
    declared = [f.freshness for f in group if f.freshness is not None]
    return min(declared, key=lambda f: f.warn_after_days) if declared else None


def _freshness_check(key: dg.AssetKey, group: tuple[Feed, ...], freshness: Freshness) -> dg.AssetChecksDefinition:
    families = [f.name for f in group]

    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        blocking=False,
        description=f"a file of {', '.join(families)} was loaded in the last {freshness.warn_after_days} days",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        last = ledger.last_loaded(warehouse.paths.raw_zone, families)
        late = overdue_days(last, datetime.now(UTC), freshness)
        return dg.AssetCheckResult(
            passed=late is None,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                None
                if late is None
                else f"no file of {', '.join(families)} loaded for {freshness.warn_after_days + late:.0f} days "
                f"(cadence {freshness.warn_after_days} days)"
            ),
            metadata={
                "last_loaded": str(last) if last else "never",
                "cadence_days": freshness.warn_after_days,
                "error_after_days": freshness.error_after_days or 0,
            },
        )

    return _check


def freshness_checks(feeds: tuple[Feed, ...]) -> list[dg.AssetChecksDefinition]:
    """One check per ingestion asset whose feeds declare a cadence (the first raw table's key)."""
    return [
        _freshness_check(asset_key(tables[0]), group, cadence)
        for tables, group in groups(feeds).items()
        if (cadence := _cadence(group)) is not None
    ]


def freshness_job_and_schedule(
    checks: list[dg.AssetChecksDefinition],
) -> tuple[dg.UnresolvedAssetJobDefinition, dg.ScheduleDefinition]:
    keys = [key for check in checks for key in check.check_keys]
    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.checks(*keys),
        description="Whether every feed's files arrive on its declared cadence (reads the ledger only).",
    )
    schedule = dg.ScheduleDefinition(
        name="feed_freshness_daily", job=job, cron_schedule="0 8 * * *", execution_timezone="Europe/Oslo"
    )
    return job, schedule
