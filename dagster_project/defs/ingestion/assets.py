"""One ingestion asset per group of feeds that write the same raw tables (most feeds
alone; the two surveys together), all derived from the feed registry.

Daily and monthly feeds are partitioned with a single-run backfill policy: a
backfill of any range is one run that loads every pending file of the range
(already-loaded files cost one hash). A snapshot feed (Feed.snapshot) delivers a file
per snapshot date, not per day: its partitions are the dates its files carry (dynamic
partitions, added by whatever launches the load), so N files are N partitions.
Ingestion writes the raw zone under per-feed locks; like every step that writes the
warehouse it runs in the warehouse's writer pool (settings.WarehousePaths.writer_pool),
so a run started anywhere waits for it.
"""

import dagster as dg

from dagster_project.feeds.base import PERIOD_TIMEZONE, Feed, Grain
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.presentation.progress import report_files
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse.clock import clock_from_setting
from dagster_project.warehouse.compaction import fold_ledger
from dagster_project.warehouse.ingest import LoadOutcome, ingest_files, parsing_connection, record_unmatched

PARTITIONED_GRAINS: tuple[Grain, ...] = ("month", "day")


def partitions(grain: Grain, start: str) -> dg.PartitionsDefinition:
    """The partitions of a grain from the month `start` (YYYY-MM; settings.partitions_start)
    to one period ahead (a file may arrive for the running month or day)."""
    # Periods are judged in Norway's time (feeds/base.PERIOD_TIMEZONE), as the scan judges them.
    if grain == "month":
        return dg.MonthlyPartitionsDefinition(start_date=start, fmt="%Y-%m", end_offset=1, timezone=PERIOD_TIMEZONE)
    return dg.DailyPartitionsDefinition(start_date=f"{start}-01", end_offset=1, timezone=PERIOD_TIMEZONE)


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
    scan = scan_inbox(warehouse.inbox_path, warehouse.partitions_start)
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
            record_unmatched(con, zone, p, warehouse.inbox_path, context.run_id, clock, warehouse.partitions_start)
            for p in scan.unmatched
        ]
    finally:
        con.close()
    if any(o.status != "skipped" for o in outcomes):
        fold_ledger(zone)  # the run's checks and the transformation read the ledger next
    for o in outcomes:
        if o.status == "rejected":
            context.log.error(f"rejected {o.file_name}: {o.reason}")
    return _summarise(outcomes)


def asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def partition_grain(feeds: tuple[Feed, ...]) -> Grain | None:
    """The grain a group of feeds is time-partitioned by (day or month), or None (snapshot, manual)."""
    grains = {f.grain for f in feeds}
    grain = next(iter(grains))
    snapshot = any(f.snapshot for f in feeds)
    return grain if len(grains) == 1 and grain in PARTITIONED_GRAINS and not snapshot else None


def is_snapshot_group(feeds: tuple[Feed, ...]) -> bool:
    """Whether the asset of a group of feeds is partitioned by the dates its files carry."""
    return all(f.snapshot for f in feeds)


def snapshot_partitions(tables: tuple[str, ...]) -> dg.DynamicPartitionsDefinition:
    """The partitions of a snapshot asset, one definition per asset, named after its key
    (raw/kj_adoption: raw_kj_adoption). Its keys are the dates its files carry, added to the
    instance by the runner before a load and by the inbox sensor with its run requests."""
    return dg.DynamicPartitionsDefinition(name="raw_" + "_".join(tables))


def asset_partitions(tables: tuple[str, ...], feeds: tuple[Feed, ...], start: str) -> dg.PartitionsDefinition | None:
    """The partitions of the asset of a group of feeds: file dates, days or months, or none."""
    if is_snapshot_group(feeds):
        return snapshot_partitions(tables)
    grain = partition_grain(feeds)
    return partitions(grain, start) if grain else None


def _ingestion_asset(tables: tuple[str, ...], feeds: tuple[Feed, ...], pool: str, start: str) -> dg.AssetsDefinition:
    partitions_def = asset_partitions(tables, feeds, start)
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
        pool=pool,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        metadata = load_feeds(context, warehouse, feeds)
        for table in tables:
            yield dg.MaterializeResult(asset_key=asset_key(table), metadata=metadata)

    return _asset


def groups(feeds: tuple[Feed, ...]) -> dict[tuple[str, ...], tuple[Feed, ...]]:
    """Feeds grouped by the raw tables they write: one asset (or multi-asset) per group."""
    found: dict[tuple[str, ...], list[Feed]] = {}
    for feed in feeds:
        found.setdefault(feed.table_names, []).append(feed)
    return {tables: tuple(group) for tables, group in found.items()}


def group_of(feed: Feed, feeds: tuple[Feed, ...]) -> tuple[Feed, ...]:
    """The feeds that share `feed`'s asset (the two surveys write the same tables)."""
    return groups(feeds)[feed.table_names]


def partitioned_keys(feeds: tuple[Feed, ...]) -> dict[Grain, list[dg.AssetKey]]:
    """The raw keys of the partitioned feeds, by grain (jobs select by key)."""
    found: dict[Grain, list[dg.AssetKey]] = {}
    for tables, group in groups(feeds).items():
        if (grain := partition_grain(group)) is not None:
            found.setdefault(grain, []).extend(asset_key(t) for t in tables)
    return found


def snapshot_groups(feeds: tuple[Feed, ...]) -> dict[tuple[str, ...], tuple[Feed, ...]]:
    """The groups of feeds whose asset is partitioned by its files' dates (one job each)."""
    return {tables: group for tables, group in groups(feeds).items() if is_snapshot_group(group)}


def ingestion_keys(feeds: tuple[Feed, ...]) -> list[dg.AssetKey]:
    return [asset_key(table) for tables in groups(feeds) for table in tables]


def ingestion_assets(feeds: tuple[Feed, ...], pool: str, start: str) -> list[dg.AssetsDefinition]:
    """One asset per group of feeds, in the writer pool of the warehouse they load, partitioned from `start`."""
    return [_ingestion_asset(tables, group, pool, start) for tables, group in groups(feeds).items()]


# The ledger is a dbt source that every ingestion asset appends to: declared here so that it
# sits in group raw beside the raw tables (an undeclared dependency lands in group `default`).
LEDGER_SPEC = dg.AssetSpec(
    asset_key("load_ledger"),
    description="One entry per inbox file version handled: loaded, rejected or restated (the raw zone's ledger).",
    group_name="raw",
    kinds={"parquet"},
    owners=["team:data-engineering"],
)
