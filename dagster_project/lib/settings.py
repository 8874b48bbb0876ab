"""Where things live, read from the environment (one place, so the CLI,
Dagster resources and tests agree)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# The project's Dagster instance (dagster.yaml committed, its storage local): `make dev` shows
# what `ehelse run` recorded there.
DAGSTER_HOME_DIR = PROJECT_ROOT / "dagster_home"
DAGSTER_HOME_ENV_VAR = "DAGSTER_HOME"

# dbt installed beside this Python (the project's venv), even when the venv is not on PATH.
_VENV_DBT = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_VENV_DBT) if _VENV_DBT.exists() else (shutil.which("dbt") or "dbt")

INBOX_ENV_VAR = "EHELSE_INBOX"
WAREHOUSE_ENV_VAR = "EHELSE_WAREHOUSE_DIR"
SUPPRESSION_ENV_VAR = "EHELSE_MIN_CELL_COUNT"
ACCEPTANCES_ENV_VAR = "EHELSE_ACCEPTANCES"
LOOKUPS_TESTED_FROM_ENV_VAR = "EHELSE_LOOKUPS_TESTED_FROM"  # set by the dbt asset, read by dbt_project.yml
INGEST_WORKERS_ENV_VAR = "EHELSE_INGEST_WORKERS"
MEMORY_LIMIT_ENV_VAR = "EHELSE_DUCKDB_MEMORY_LIMIT"
# Per DuckDB process (ours and dbt's, which never work at the same time): keeps the
# whole pipeline under 2 GB at national scale; DuckDB spills to disk beyond it.
DEFAULT_MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class WarehousePaths:
    """The files of one warehouse directory."""

    root: Path

    @property
    def working_db(self) -> Path:
        """The database the pipeline writes (raw, staging, marts). BI tools never open it."""
        return self.root / "warehouse.duckdb"

    @property
    def published_db(self) -> Path:
        """The database BI tools open read-only; replaced only by a passed gate."""
        return self.root / "published.duckdb"

    @property
    def build_summary(self) -> Path:
        """Tests run and failed in the last dbt build (written by the dbt asset)."""
        return self.root / "dbt_build_summary.json"

    @property
    def report(self) -> Path:
        """The council's status report, rendered from published.duckdb."""
        return self.root / "status_report.html"

    @property
    def parquet_dir(self) -> Path:
        return self.root / "published"


def inbox_dir() -> Path:
    return Path(os.environ.get(INBOX_ENV_VAR, "data/inbox")).resolve()


def warehouse_dir() -> Path:
    return Path(os.environ.get(WAREHOUSE_ENV_VAR, "data/warehouse")).resolve()


def dagster_home() -> Path:
    """The Dagster instance `ehelse run` records into: DAGSTER_HOME when set, else the project's."""
    return Path(os.environ.get(DAGSTER_HOME_ENV_VAR) or DAGSTER_HOME_DIR).resolve()


def ingest_workers() -> int:
    """Files ingested at once (each on its own DuckDB connection); default: the cores, at most 4."""
    return max(1, int(os.environ.get(INGEST_WORKERS_ENV_VAR) or min(4, os.cpu_count() or 1)))


def duckdb_memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV_VAR) or DEFAULT_MEMORY_LIMIT
