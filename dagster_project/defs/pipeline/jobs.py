"""Jobs, derived from the feed registry: one ingestion job per partition grain (a
backfill of any range is one run), and transform_and_publish for everything else.
Only jobs that write the working DuckDB file carry the writer tag that dagster.yaml
limits to one run at a time; ingestion writes the raw zone under per-feed locks."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.ingestion.assets import FEEDS_BY_ASSET, INGESTION_ASSETS, PARTITIONED_INGESTION_ASSETS

WRITER_TAG = {"ehelse/writes-warehouse": "true"}
_JOB_NAMES = {"month": "ingest_monthly_feeds", "day": "ingest_daily_feeds"}


def _ingestion_job(grain: str, assets: list[dg.AssetsDefinition]):
    feeds = sorted(f.name for a in assets for f in FEEDS_BY_ASSET[_first_key(a)])
    return dg.define_asset_job(
        _JOB_NAMES[grain],
        selection=dg.AssetSelection.assets(*assets),
        partitions_def=assets[0].partitions_def,
        tags={"ehelse/ingests": grain},
        description=f"Load the {grain}ly feeds ({', '.join(feeds)}) for a {grain} or a backfilled range (one run).",
    )


def _first_key(asset: dg.AssetsDefinition) -> dg.AssetKey:
    return next(k for k in asset.keys if k in FEEDS_BY_ASSET)


def _grain(asset: dg.AssetsDefinition) -> str:
    return FEEDS_BY_ASSET[_first_key(asset)][0].grain


_BY_GRAIN: dict[str, list[dg.AssetsDefinition]] = {}
for _asset in PARTITIONED_INGESTION_ASSETS:
    _BY_GRAIN.setdefault(_grain(_asset), []).append(_asset)

INGESTION_JOBS = {grain: _ingestion_job(grain, assets) for grain, assets in sorted(_BY_GRAIN.items())}
# The job that loads each partitioned feed, for the runner and the sensor.
JOB_FOR_FEED = {
    feed.name: INGESTION_JOBS[_grain(asset)]
    for asset in PARTITIONED_INGESTION_ASSETS
    for feed in FEEDS_BY_ASSET[_first_key(asset)]
}
ASSET_FOR_FEED = {feed.name: asset for asset in INGESTION_ASSETS for feed in FEEDS_BY_ASSET[_first_key(asset)]}

# Everything that is not partitioned: snapshot and manual feeds, the dbt
# build (models + tests), and the publication that the tests gate.
transform_and_publish = dg.define_asset_job(
    "transform_and_publish",
    # The checks of the partitioned raw tables run here too, before dbt: they guard the publication.
    selection=(dg.AssetSelection.all() - dg.AssetSelection.assets(*PARTITIONED_INGESTION_ASSETS))
    | dg.AssetSelection.checks_for_assets(*PARTITIONED_INGESTION_ASSETS),
    tags=WRITER_TAG,
    description="Load the snapshot and manual feeds, dbt build (tests are the gate), publish.",
)
