"""One ingestion asset per group of feeds that write the same raw tables (most feeds
alone; the two surveys together), all derived from the feed registry.

Daily and monthly feeds are partitioned with a single-run backfill policy: a
backfill of any range is one run that loads every pending file of the range
(already-loaded files cost one hash). Ingestion writes the raw zone, not the
working database, so it takes no writer lock: each feed loads under its own.
"""

import dagster as dg

from dagster_project.feeds.base import FIRST_PLAUSIBLE_YEAR, PERIOD_TIMEZONE, Feed, Grain
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.registry import feed_groups
from dagster_project.presentation.progress import report_files
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse.clock import clock_from_setting
from dagster_project.warehouse.ingest import LoadOutcome, ingest_files, parsing_connection, record_unmatched

# Every period feeds/base.period_out_of_range accepts (from 2000 to the running day or month,
# in Norway's time) is a partition: a file the scan accepts is never skipped as outside them.
PARTITIONS: dict[Grain, dg.PartitionsDefinition] = {
    "month": dg.MonthlyPartitionsDefinition(
        start_date=f"{FIRST_PLAUSIBLE_YEAR}-01", fmt="%Y-%m", end_offset=1, timezone=PERIOD_TIMEZONE
    ),
    "day": dg.DailyPartitionsDefinition(
        start_date=f"{FIRST_PLAUSIBLE_YEAR}-01-01", end_offset=1, timezone=PERIOD_TIMEZONE
    ),
}

# dbt, the quality checks and the publication write the working DuckDB file: one pool
# with a limit of 1 (dagster.yaml), because DuckDB admits one writing process.
WRITER_POOL = "duckdb_writer"


def _summarise(outcomes: list[LoadOutcome]) -> dict[str, dg.MetadataValue | int | str]:
    changed = [o for o in outcomes if o.status != "skipped"]
    periods = sorted(o.period for o in changed if o.period)
    by_status: dict[str, int] = {}
    for o in changed:
        by_status[o.status] = by_status.get(o.status, 0) + 1
    rejected = [f"{o.file_name}: {o.reason}" for o in changed if o.status == "rejected"]
    return {
        "files_seen": len(outcomes),
        "files_changed": len(changed),
        "files_by_status": dg.MetadataValue.json(by_status),
        "rows_loaded": sum(o.rows_loaded for o in changed),
        "rows_quarantined": sum(o.rows_quarantined for o in changed),
        "period_range": f"{periods[0]} .. {periods[-1]}" if periods else "-",
        "rejected_files": dg.MetadataValue.md("\n".join(f"- {r}" for r in rejected) or "none"),
    }


def load_feeds(
    context: dg.AssetExecutionContext | dg.OpExecutionContext, warehouse: WarehouseResource, feeds: tuple[Feed, ...]
) -> dict:
    scan = scan_inbox(warehouse.inbox_path)
    wanted = set(context.partition_keys) if context.has_partition_key_range or context.has_partition_key else None
    files = [f for f in scan.files if f.feed in feeds and (wanted is None or f.period in wanted)]
    zone = warehouse.paths.raw_zone
    con = parsing_connection(warehouse.memory_limit)
    try:
        rows = 0

        def progress(outcome: LoadOutcome, done: int) -> None:
            nonlocal rows
            rows += outcome.rows_loaded
            report_files(" + ".join(f.name for f in feeds), done, len(files), rows)
            if done % 100 == 0:
                context.log.info(f"{feeds[0].name}: {done}/{len(files)} files handled")

        clock = clock_from_setting(warehouse.clock)
        outcomes = ingest_files(con, zone, files, context.run_id, warehouse.ingest_workers, progress, clock)
        # Files whose names match no pattern are reported (once per content) by every ingestion run.
        outcomes += [
            record_unmatched(con, zone, p, warehouse.inbox_path, context.run_id, clock) for p in scan.unmatched
        ]
    finally:
        con.close()
    for o in outcomes:
        if o.status == "rejected":
            context.log.error(f"rejected {o.file_name}: {o.reason}")
    return _summarise(outcomes)


def asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def _ingestion_asset(tables: tuple[str, ...], feeds: tuple[Feed, ...]) -> dg.AssetsDefinition:
    grains = {f.grain for f in feeds}
    partitions_def = PARTITIONS.get(next(iter(grains))) if len(grains) == 1 else None
    specs = [
        dg.AssetSpec(
            asset_key(table),
            description=feeds[0].description if len(feeds) == 1 else f"Written by {', '.join(f.name for f in feeds)}.",
            group_name="raw",
            kinds={"parquet", "duckdb"},
            owners=["team:data-engineering"],
            partitions_def=partitions_def,
            tags={"feed": feeds[0].name} if len(feeds) == 1 else {},
        )
        for table in tables
    ]

    @dg.multi_asset(
        name="ingest_" + "_".join(f.name for f in feeds) if len(feeds) > 1 else f"ingest_{feeds[0].name}",
        specs=specs,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        metadata = load_feeds(context, warehouse, feeds)
        for table in tables:
            yield dg.MaterializeResult(asset_key=asset_key(table), metadata=metadata)

    return _asset


# One asset per group of feeds; the feeds each asset loads (checks, jobs and the sensor read this).
FEEDS_BY_ASSET: dict[dg.AssetKey, tuple[Feed, ...]] = {
    asset_key(tables[0]): group for tables, group in feed_groups().items()
}
INGESTION_ASSETS = [_ingestion_asset(tables, group) for tables, group in feed_groups().items()]
PARTITIONED_INGESTION_ASSETS = [a for a in INGESTION_ASSETS if a.partitions_def is not None]
