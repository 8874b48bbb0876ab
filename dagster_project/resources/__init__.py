"""Connections: the warehouse (inbox, raw zone, working DuckDB, published file), built
from the one Settings object (settings.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.settings import (
    DEFAULT_ARCHIVE_MONTHS,
    DEFAULT_ENGINE,
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_MIN_CELL_COUNT,
    Settings,
    WarehousePaths,
    dbt_target,
    dbt_vars,
    spark_url_vars,
)
from dagster_project.warehouse import working_db


class WarehouseResource(dg.ConfigurableResource):
    """Where the inbox and the warehouse directory are, and how hard to work."""

    inbox: str
    warehouse_dir: str
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    ingest_workers: int = 1
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT
    pg_url: str = ""  # a PostgreSQL publication target (docs/bi.md), or none
    archive_months: int = DEFAULT_ARCHIVE_MONTHS
    engine: str = DEFAULT_ENGINE  # the dbt target that builds the models (duckdb or spark)
    clock: str = ""  # the load-time clock's fixed start (Settings.clock); empty: the system clock
    partitions_start: str = ""  # the first month of the partitioned feeds (Settings.partitions_start)
    raw_retention_days: int = -1  # days a superseded file version stays in the raw zone; -1 keeps every one
    spark_url: str = ""  # the Spark cluster's SQL server (Settings.spark_url); empty: session mode

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            inbox=str(settings.inbox),
            warehouse_dir=str(settings.warehouse_dir),
            memory_limit=settings.memory_limit,
            ingest_workers=settings.ingest_workers,
            min_cell_count=settings.min_cell_count,
            pg_url=settings.pg_url or "",
            archive_months=settings.archive_months,
            engine=settings.engine,
            clock=settings.clock,
            partitions_start=settings.partitions_start,
            raw_retention_days=-1 if settings.raw_retention_days is None else settings.raw_retention_days,
            spark_url=settings.spark_url,
        )

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox).resolve()

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.warehouse_dir).resolve())

    @property
    def dbt_target(self) -> str:
        return dbt_target(self.engine, self.spark_url)

    def dbt_vars(self, **more: str) -> dict[str, object]:
        return dbt_vars(self.paths, self.memory_limit, self.min_cell_count, **spark_url_vars(self.spark_url), **more)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection to the working database with the raw zone attached as catalog `raw`."""
        with working_db.connect(self.paths, self.memory_limit) as con:
            yield con
