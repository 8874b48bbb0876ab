"""Jobs. Every job writes the working DuckDB file, so every job carries the
writer tag that dagster.yaml limits to one run at a time (DuckDB admits one
writing process; a second writer would fail on the file lock)."""

import dagster as dg

from dagster_project.defs.ingestion.assets import MONTHLY, PARTITIONED_INGESTION_ASSETS

WRITER_TAG = {"ehelse/writes-warehouse": "true"}

ingest_monthly_feeds = dg.define_asset_job(
    "ingest_monthly_feeds",
    selection=dg.AssetSelection.assets(*PARTITIONED_INGESTION_ASSETS),
    partitions_def=MONTHLY,
    tags=WRITER_TAG,
    description="Load the monthly feeds (Helsenorge usage, PLL) for a month or a backfilled range.",
)

# Everything that is not partitioned: snapshot and manual feeds, the dbt
# build (models + tests), and the publication that the tests gate.
transform_and_publish = dg.define_asset_job(
    "transform_and_publish",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*PARTITIONED_INGESTION_ASSETS),
    tags=WRITER_TAG,
    description="Load the snapshot and manual feeds, dbt build (tests are the gate), publish.",
)
