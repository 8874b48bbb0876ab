"""Ingestion rules as asset checks on every ingestion asset: the ledger must balance
(blocking) and rejected files are reported (warning: the previous data stays published)."""

import dagster as dg

from dagster_project.defs.ingestion.assets import asset_key, groups
from dagster_project.feeds.base import Feed
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse import ledger


def _ledger_checks(asset_key: dg.AssetKey, families: list[str]) -> list[dg.AssetChecksDefinition]:

    @dg.asset_check(
        asset=asset_key,
        name="ledger_balances",
        blocking=True,
        description="rows read = rows loaded + rows quarantined for every file of the feed",
    )
    def ledger_balances(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        broken = ledger.inconsistent_loads(warehouse.paths.raw_zone, families)
        return dg.AssetCheckResult(
            passed=not broken,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "unbalanced_files": len(broken),
                "examples": dg.MetadataValue.json([list(map(str, b)) for b in broken[:5]]),
            },
        )

    @dg.asset_check(
        asset=asset_key,
        name="no_rejected_files",
        description="files of the feed that were rejected and not replaced by a later good version",
    )
    def no_rejected_files(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        rejected = [(name, reason) for _, name, reason in ledger.rejected_files(warehouse.paths.raw_zone, families)]
        return dg.AssetCheckResult(
            passed=not rejected,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rejected_files": len(rejected),
                "examples": dg.MetadataValue.md("\n".join(f"- {f}: {r}" for f, r in rejected[:10]) or "none"),
            },
        )

    return [ledger_balances, no_rejected_files]


def ingestion_checks(feeds: tuple[Feed, ...]) -> list[dg.AssetChecksDefinition]:
    """The ledger checks of every ingestion asset (one per group of feeds)."""
    return [
        check
        for tables, group in groups(feeds).items()
        for check in _ledger_checks(asset_key(tables[0]), [f.name for f in group])
    ]
