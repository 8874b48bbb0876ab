"""Ingestion rules as asset checks: the ledger must balance (blocking) and
rejected files are reported (warning: the previous data stays published)."""

import dagster as dg

from dagster_project.defs.ingestion.assets import FAMILIES_BY_ASSET_KEY
from dagster_project.lib import ledger
from dagster_project.resources import WarehouseResource


def _ledger_checks(asset_key: dg.AssetKey, families: list[str]) -> list[dg.AssetChecksDefinition]:

    @dg.asset_check(
        asset=asset_key,
        name="ledger_balances",
        blocking=True,
        description="rows read = rows loaded + rows quarantined for every file of the family",
    )
    def ledger_balances(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            ledger.ensure_ledger(con)
            broken = [row for family in families for row in ledger.inconsistent_loads(con, family)]
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
        description="files of the family that were rejected and not replaced by a later good version",
    )
    def no_rejected_files(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            ledger.ensure_ledger(con)
            rejected = [(name, reason) for _, name, reason in ledger.rejected_files(con, families)]
        return dg.AssetCheckResult(
            passed=not rejected,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rejected_files": len(rejected),
                "examples": dg.MetadataValue.md("\n".join(f"- {f}: {r}" for f, r in rejected[:10]) or "none"),
            },
        )

    return [ledger_balances, no_rejected_files]


INGESTION_CHECKS = [check for key, families in FAMILIES_BY_ASSET_KEY.items() for check in _ledger_checks(key, families)]
