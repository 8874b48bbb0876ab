"""Connections: the warehouse (inbox, working DuckDB, published file) and dbt."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.lib.settings import WarehousePaths, duckdb_memory_limit


class WarehouseResource(dg.ConfigurableResource):
    """Where the inbox and the warehouse directory are (from EHELSE_INBOX / EHELSE_WAREHOUSE_DIR)."""

    inbox: str
    warehouse_dir: str

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox).resolve()

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.warehouse_dir).resolve())

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection to the working database, always closed: dbt runs in a
        subprocess after us and DuckDB admits one writing process."""
        self.paths.root.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.paths.working_db))
        try:
            con.execute("set memory_limit = ?", [duckdb_memory_limit()])
            yield con
        finally:
            con.close()
