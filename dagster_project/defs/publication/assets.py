"""The published asset: the last step of write-audit-publish."""

import dagster as dg

from dagster_project.defs.ingestion.assets import groups, ingestion_keys
from dagster_project.feeds.base import Feed
from dagster_project.gate import quality
from dagster_project.presentation.report import write_report
from dagster_project.publication.publish import PUBLISHED_TABLES, publish
from dagster_project.publication.publish_pg import publish_to_postgres
from dagster_project.resources import WarehouseResource
from dagster_project.settings import PG_URL_ENV_VAR


# Dagster's blocking checks hold back the *direct* dependents of the asset they
# guard. Several guarded assets (a staging model, intermediate cross-checks,
# the raw tables) are only transitively upstream of the publication, so the
# publication depends on each of them directly: every blocking check gates it.
def guarded_keys(feeds: tuple[Feed, ...]) -> list[dg.AssetKey]:
    return sorted(
        {dg.AssetKey(["marts", table]) for table in PUBLISHED_TABLES}
        | {dg.AssetKey(suite.asset_path) for suite in quality.load_suites()}
        | set(ingestion_keys(feeds))
    )


# The publication's asset: every step after it (report, open data, sweep, PostgreSQL) names it.
PUBLISHED_KEY = dg.AssetKey(["published"])


def build_published(feeds: tuple[Feed, ...], pool: str) -> dg.AssetsDefinition:
    """The publication, in the writer pool of the warehouse it publishes."""
    ingestion_checks_run = 2 * len(groups(feeds))  # ledger_balances and no_rejected_files per asset

    @dg.asset(
        key=PUBLISHED_KEY,
        deps=guarded_keys(feeds),
        group_name="publication",
        description=(
            "published.duckdb (schema marts) and published/<table>.parquet: replaced atomically, "
            "only when every blocking check upstream passed."
        ),
        kinds={"duckdb", "parquet"},
        owners=["team:data-engineering"],
        pool=pool,
    )
    def published(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        # Defence in depth: whatever the graph's order, an unaccepted error recorded in this
        # run's audit results refuses the publication.
        publication = publish(
            warehouse.paths,
            other_checks_run=ingestion_checks_run,
            run_id=context.run_id,
            archive_months=warehouse.archive_months,
        )
        context.log.info(f"published {publication.publication_id} to {publication.path}")
        return dg.MaterializeResult(
            metadata={
                "publication_id": publication.publication_id,
                "path": dg.MetadataValue.path(str(publication.path)),
                "files_loaded": publication.files_loaded,
                "rows_quarantined": publication.rows_quarantined,
                "checks_run": publication.checks_run,
                "row_counts": dg.MetadataValue.json(publication.row_counts),
                "goal_summary": dg.MetadataValue.md(publication.goal_summary_markdown()),
            }
        )

    return published


@dg.asset(
    key=["status_report"],
    deps=[PUBLISHED_KEY],
    group_name="publication",
    description="The council's status report (bokmål, one self-contained HTML file), read from published.duckdb only.",
    kinds={"html"},
    owners=["team:data-engineering"],
)
def status_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    out = write_report(warehouse.paths.published_db, warehouse.paths.report)
    context.log.info(f"status report written to {out}")
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(out)), "bytes": out.stat().st_size})


POSTGRES_KEY = dg.AssetKey(["published_postgres"])


def build_published_postgres(pool: str) -> dg.AssetsDefinition:
    """The publication loaded into PostgreSQL (defined when a target is set: settings.PG_URL_ENV_VAR)."""

    @dg.asset(
        key=POSTGRES_KEY,
        deps=[PUBLISHED_KEY],
        group_name="publication",
        description=(
            "published.duckdb loaded into PostgreSQL (schema marts, swapped in one transaction) for "
            f"BI tools that read PostgreSQL (set {PG_URL_ENV_VAR}). If the load fails, PostgreSQL keeps "
            "the previous publication, and the next `ehelse run` loads this one again (building "
            "nothing, unless something else is new)."
        ),
        kinds={"postgres"},
        owners=["team:data-engineering"],
        pool=pool,
    )
    def published_postgres(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        tables = publish_to_postgres(warehouse.pg_url, warehouse.paths.published_db)
        context.log.info(f"loaded {len(tables)} tables into PostgreSQL schema marts")
        return dg.MaterializeResult(metadata={"postgres_tables": dg.MetadataValue.json(tables)})

    return published_postgres
