"""The open files: published/open/ (JSON-stat 2.0 and SSB-style CSV per open table, catalog.ttl)."""

import dagster as dg

from dagster_project.defs.publication.assets import PUBLISHED_KEY
from dagster_project.open_data.static import open_dir, write_open_files
from dagster_project.resources import WarehouseResource


@dg.asset(
    key=["open_data"],
    deps=[PUBLISHED_KEY],
    group_name="publication",
    description=(
        "published/open/: one JSON-stat 2.0 file and one SSB-style CSV per open table, and the DCAT-AP-NO "
        "catalogue catalog.ttl, from published.duckdb only (issue 23)."
    ),
    kinds={"json", "csv"},
    owners=["team:data-engineering"],
)
def open_data(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    paths = warehouse.paths
    files = write_open_files(paths.published_db, open_dir(paths.parquet_dir))
    context.log.info(f"{len(files)} open files written to {open_dir(paths.parquet_dir)}")
    return dg.MaterializeResult(metadata={"files": dg.MetadataValue.json(sorted(f.name for f in files))})
