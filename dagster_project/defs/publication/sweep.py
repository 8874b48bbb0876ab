"""The raw-zone sweep, a step of the graph after the publication (decisions.md: the sweep
follows every publication), so a run from the UI or a schedule sweeps as `ehelse run` does."""

from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.publication.assets import PUBLISHED_KEY
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse import compaction, ledger

SWEEP_KEY = dg.AssetKey(["raw_zone_sweep"])


def build_sweep(pool: str) -> dg.AssetsDefinition:
    """Runs only after a publication (the gate passed): it removes superseded file versions."""

    @dg.asset(
        key=SWEEP_KEY,
        deps=[PUBLISHED_KEY],
        group_name="publication",
        description=(
            "Removes from the raw zone the file versions superseded more than EHELSE_RAW_RETENTION_DAYS "
            "ago and versions no ledger entry names (ledger entries always stay), then compacts closed "
            "months' ledger entries and lookup-id index into one file each."
        ),
        kinds={"parquet"},
        owners=["team:data-engineering"],
        pool=pool,
    )
    def raw_zone_sweep(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        retention = warehouse.raw_retention_days if warehouse.raw_retention_days >= 0 else None
        removed = ledger.sweep(warehouse.paths.raw_zone, retention, datetime.now(UTC))
        context.log.info(f"raw zone: {len(removed)} file version(s) removed")
        # Closed months' ledger entries, id index and daily data into one file each (warehouse/compaction.py).
        compaction.compact(warehouse.paths.raw_zone, datetime.now(UTC), retention)
        return dg.MaterializeResult(metadata={"files_removed": len(removed)})

    return raw_zone_sweep
