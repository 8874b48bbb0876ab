"""Jobs, derived from the feed registry: one ingestion job per partition grain (a
backfill of any range is one run), one per snapshot feed's asset (a job has one
partitions definition, and each snapshot asset has its own: the dates its files carry),
and transform_and_publish for everything else.
Every job writes the warehouse, so every run carries the writer tag whose value names
the warehouse (dagster.yaml: one queued run per value) and every writing step runs in
the warehouse's writer pool (one run at a time, however it was started)."""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from dagster_project.defs.ingestion.assets import (
    asset_key,
    group_of,
    is_snapshot_group,
    partition_grain,
    partitioned_keys,
    partitions,
    snapshot_groups,
    snapshot_partitions,
)
from dagster_project.feeds.base import Feed, Grain
from dagster_project.settings import PG_URL_ENV_VAR
from dagster_project.writer_slot import WRITER_TAG_KEY

JOB_NAMES = {"month": "ingest_monthly_feeds", "day": "ingest_daily_feeds"}
TRANSFORM_AND_PUBLISH = "transform_and_publish"
PUBLISH_POSTGRES = "publish_postgres"


def writer_tags(pool: str) -> dict[str, str]:
    """The run tag of every job that writes the warehouse whose writer pool is `pool`."""
    return {WRITER_TAG_KEY: pool}


def snapshot_job_name(tables: tuple[str, ...]) -> str:
    return f"ingest_{'_'.join(tables)}_snapshots"


def ingestion_job_name(feed: Feed, feeds: tuple[Feed, ...]) -> str | None:
    """The job that loads a partitioned feed (for the runner and the sensor); None for the others."""
    group = group_of(feed, feeds)
    if is_snapshot_group(group):
        return snapshot_job_name(feed.table_names)
    grain = partition_grain(group)
    return JOB_NAMES[grain] if grain else None


def snapshot_partitions_of(feed: Feed, feeds: tuple[Feed, ...]) -> dg.DynamicPartitionsDefinition | None:
    """The partitions to which whoever launches a load of `feed` adds its files' dates; None
    when the feed is not a snapshot feed."""
    return snapshot_partitions(feed.table_names) if is_snapshot_group(group_of(feed, feeds)) else None


def feed_keys(feed: Feed) -> list[dg.AssetKey]:
    """The raw keys the asset loading `feed` materializes (feeds writing the same tables share one asset)."""
    return [asset_key(table) for table in feed.table_names]


@dataclass(frozen=True)
class Jobs:
    ingestion: dict[str, dg.UnresolvedAssetJobDefinition]  # by grain
    transform_and_publish: dg.UnresolvedAssetJobDefinition
    snapshots: dict[str, dg.UnresolvedAssetJobDefinition] = field(default_factory=dict)  # by job name
    postgres: dg.UnresolvedAssetJobDefinition | None = None  # with a PostgreSQL target only

    @property
    def loading(self) -> list[dg.UnresolvedAssetJobDefinition]:
        """Every job that loads partitioned feeds (a publication follows them)."""
        return [*self.ingestion.values(), *self.snapshots.values()]

    @property
    def all(self) -> list[dg.UnresolvedAssetJobDefinition]:
        return [*self.loading, self.transform_and_publish, *([self.postgres] if self.postgres else [])]


def _ingestion_job(grain: Grain, keys: list[dg.AssetKey], feeds: tuple[Feed, ...], tags: dict[str, str], start: str):
    names = sorted(f.name for f in feeds if set(feed_keys(f)) <= set(keys))
    return dg.define_asset_job(
        JOB_NAMES[grain],
        selection=dg.AssetSelection.assets(*keys),
        partitions_def=partitions(grain, start),
        tags={"ehelse/ingests": grain, **tags},
        description=f"Load the {grain}ly feeds ({', '.join(names)}) for a {grain} or a backfilled range (one run).",
    )


def _snapshot_job(tables: tuple[str, ...], group: tuple[Feed, ...], tags: dict[str, str]):
    return dg.define_asset_job(
        snapshot_job_name(tables),
        selection=dg.AssetSelection.assets(*(asset_key(t) for t in tables)),
        partitions_def=snapshot_partitions(tables),
        tags={"ehelse/ingests": "snapshot", **tags},
        description=f"Load the snapshot files of {', '.join(f.name for f in group)} for the chosen file dates "
        "(one run for a range).",
    )


def build_jobs(feeds: tuple[Feed, ...], pool: str, start: str, postgres: dg.AssetKey | None = None) -> Jobs:
    tags = writer_tags(pool)
    by_grain = partitioned_keys(feeds)
    snapshots = snapshot_groups(feeds)
    partitioned = [k for keys in by_grain.values() for k in keys]
    partitioned += [asset_key(t) for tables in snapshots for t in tables]
    # Everything that is not partitioned: manual and yearly feeds, the dbt
    # build (models + tests), and the publication that the tests gate.
    transform_and_publish = dg.define_asset_job(
        TRANSFORM_AND_PUBLISH,
        # The checks of the partitioned raw tables run here too, before dbt: they guard the publication.
        selection=(dg.AssetSelection.all() - dg.AssetSelection.assets(*partitioned))
        | dg.AssetSelection.checks_for_assets(*partitioned),
        tags=tags,
        description="Load the manual and yearly feeds, dbt build (tests are the gate), publish.",
    )
    ingestion = {grain: _ingestion_job(grain, keys, feeds, tags, start) for grain, keys in sorted(by_grain.items())}
    snapshot_jobs = {
        snapshot_job_name(tables): _snapshot_job(tables, group, tags) for tables, group in snapshots.items()
    }
    # The current publication into PostgreSQL again, and nothing else: what a run owes after a
    # load that failed, or to a newly configured target (runner.py).
    load_postgres = (
        dg.define_asset_job(
            PUBLISH_POSTGRES,
            selection=dg.AssetSelection.assets(postgres),
            tags=tags,
            description=f"Load the current publication into PostgreSQL ({PG_URL_ENV_VAR}), building nothing.",
        )
        if postgres
        else None
    )
    return Jobs(ingestion, transform_and_publish, snapshot_jobs, load_postgres)
