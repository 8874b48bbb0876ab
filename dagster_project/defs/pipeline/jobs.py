"""Jobs, derived from the feed registry: one ingestion job per partition grain (a
backfill of any range is one run), and transform_and_publish for everything else.
Every job writes the warehouse, so every run carries the writer tag whose value names
the warehouse (dagster.yaml: one queued run per value) and every writing step runs in
the warehouse's writer pool (one run at a time, however it was started)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from dagster_project.defs.ingestion.assets import asset_key, group_of, partition_grain, partitioned_keys, partitions
from dagster_project.feeds.base import Feed, Grain
from dagster_project.writer_slot import WRITER_TAG_KEY

JOB_NAMES = {"month": "ingest_monthly_feeds", "day": "ingest_daily_feeds"}
TRANSFORM_AND_PUBLISH = "transform_and_publish"


def writer_tags(pool: str) -> dict[str, str]:
    """The run tag of every job that writes the warehouse whose writer pool is `pool`."""
    return {WRITER_TAG_KEY: pool}


def ingestion_job_name(feed: Feed, feeds: tuple[Feed, ...]) -> str | None:
    """The job that loads a partitioned feed (for the runner and the sensor); None for the others."""
    grain = partition_grain(group_of(feed, feeds))
    return JOB_NAMES[grain] if grain else None


def feed_keys(feed: Feed) -> list[dg.AssetKey]:
    """The raw keys the asset loading `feed` materializes (feeds writing the same tables share one asset)."""
    return [asset_key(table) for table in feed.table_names]


@dataclass(frozen=True)
class Jobs:
    ingestion: dict[str, dg.UnresolvedAssetJobDefinition]  # by grain
    transform_and_publish: dg.UnresolvedAssetJobDefinition

    @property
    def all(self) -> list[dg.UnresolvedAssetJobDefinition]:
        return [*self.ingestion.values(), self.transform_and_publish]


def _ingestion_job(grain: Grain, keys: list[dg.AssetKey], feeds: tuple[Feed, ...], tags: dict[str, str], start: str):
    names = sorted(f.name for f in feeds if set(feed_keys(f)) <= set(keys))
    return dg.define_asset_job(
        JOB_NAMES[grain],
        selection=dg.AssetSelection.assets(*keys),
        partitions_def=partitions(grain, start),
        tags={"ehelse/ingests": grain, **tags},
        description=f"Load the {grain}ly feeds ({', '.join(names)}) for a {grain} or a backfilled range (one run).",
    )


def build_jobs(feeds: tuple[Feed, ...], pool: str, start: str) -> Jobs:
    tags = writer_tags(pool)
    by_grain = partitioned_keys(feeds)
    partitioned = [k for keys in by_grain.values() for k in keys]
    # Everything that is not partitioned: snapshot and manual feeds, the dbt
    # build (models + tests), and the publication that the tests gate.
    transform_and_publish = dg.define_asset_job(
        TRANSFORM_AND_PUBLISH,
        # The checks of the partitioned raw tables run here too, before dbt: they guard the publication.
        selection=(dg.AssetSelection.all() - dg.AssetSelection.assets(*partitioned))
        | dg.AssetSelection.checks_for_assets(*partitioned),
        tags=tags,
        description="Load the snapshot and manual feeds, dbt build (tests are the gate), publish.",
    )
    ingestion = {grain: _ingestion_job(grain, keys, feeds, tags, start) for grain, keys in sorted(by_grain.items())}
    return Jobs(ingestion, transform_and_publish)
