"""The published asset: the last step of write-audit-publish."""

import dagster as dg

from dagster_project.defs.ingestion.assets import WRITER_POOL
from dagster_project.defs.ingestion.checks import INGESTION_CHECKS
from dagster_project.lib.publish import PUBLISHED_TABLES, publish
from dagster_project.resources import WarehouseResource


@dg.asset(
    key=["published"],
    deps=[dg.AssetKey(["marts", table]) for table in PUBLISHED_TABLES],
    group_name="publication",
    description=(
        "published.duckdb (schema marts) and published/<table>.parquet: replaced atomically, "
        "only when every blocking check upstream passed."
    ),
    kinds={"duckdb", "parquet"},
    owners=["team:data-engineering"],
    pool=WRITER_POOL,
)
def published(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    publication = publish(warehouse.paths, other_checks_run=len(INGESTION_CHECKS))
    context.log.info(f"published {publication.publication_id} to {publication.path}")
    return dg.MaterializeResult(
        metadata={
            "publication_id": publication.publication_id,
            "path": dg.MetadataValue.path(str(publication.path)),
            "files_loaded": publication.files_loaded,
            "rows_quarantined": publication.rows_quarantined,
            "checks_run": publication.checks_run,
            "row_counts": dg.MetadataValue.json(publication.row_counts),
        }
    )
