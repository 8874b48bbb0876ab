"""Jobs. Every job writes the working DuckDB file, so every job carries the
writer tag that dagster.yaml limits to one run at a time (DuckDB admits one
writing process; a second writer would fail on the file lock)."""

import dagster as dg

from dagster_project.defs.ingestion.assets import (
    DAILY,
    DAILY_INGESTION_ASSETS,
    FAMILIES_BY_ASSET_KEY,
    MONTHLY,
    MONTHLY_INGESTION_ASSETS,
    PARTITIONED_INGESTION_ASSETS,
)

WRITER_TAG = {"ehelse/writes-warehouse": "true"}

ingest_monthly_feeds = dg.define_asset_job(
    "ingest_monthly_feeds",
    selection=dg.AssetSelection.assets(*MONTHLY_INGESTION_ASSETS),
    partitions_def=MONTHLY,
    tags=WRITER_TAG,
    description="Load the monthly feeds (Helsenorge usage, PLL) for a month or a backfilled range.",
)

ingest_daily_lookups = dg.define_asset_job(
    "ingest_daily_lookups",
    selection=dg.AssetSelection.assets(*DAILY_INGESTION_ASSETS),
    partitions_def=DAILY,
    tags=WRITER_TAG,
    description="Load the kjernejournal lookup logs for a day or a backfilled range (one run).",
)

# Job that loads each partitioned asset, for the runner and the sensor.
JOB_FOR_FAMILY = {
    **{f: ingest_monthly_feeds for a in MONTHLY_INGESTION_ASSETS for f in FAMILIES_BY_ASSET_KEY[a.key]},
    **{f: ingest_daily_lookups for a in DAILY_INGESTION_ASSETS for f in FAMILIES_BY_ASSET_KEY[a.key]},
}

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
