"""dbt's view of the raw zone, derived from the feed registry: the source `raw`, one table
per raw-zone table (and the ledger), read as external Parquet by dbt-duckdb.

The file is committed (dbt and its readers see it as any other yml) and written by
`ehelse dbt-sources`; a test fails when it differs from what the registry says.
"""

from __future__ import annotations

import yaml

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.registry import feeds
from dagster_project.settings import DBT_PROJECT_DIR
from dagster_project.warehouse.ledger import COLUMNS as LEDGER_COLUMNS
from dagster_project.warehouse.raw_zone import table_rows_sql

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_raw__sources.yml"
_RAW_ZONE = "{{ var('raw_zone') }}"


HEADER = "# Written by `ehelse dbt-sources` from the feed registry (dagster_project/feeds/): do not edit.\n"


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as dbt's own examples write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _columns(columns: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "data_type": data_type} for name, data_type in columns.items()]


def _freshness(freshness: Freshness | None, feeds_writing: list[str]) -> dict:
    """When a file of the feed was last loaded (the ledger), against its delivery cadence."""
    if freshness is None:
        return {}
    limits = {"warn_after": {"count": freshness.warn_after_days, "period": "day"}}
    if freshness.error_after_days:
        limits["error_after"] = {"count": freshness.error_after_days, "period": "day"}
    names = ", ".join(f"'{name}'" for name in feeds_writing)
    query = (
        f"select max(finished_at) from read_parquet('{_RAW_ZONE}/_ledger/*.parquet', union_by_name = true)"
        f" where source_family in ({names}) and status in ('loaded', 'restated')"
    )
    return {"config": {"freshness": limits, "loaded_at_query": query}}


def _feed_tables() -> list[dict]:
    """One source table per raw-zone table, described by its feed (or the feeds that write it)."""
    tables, seen = [], set()
    for feed in feeds():
        for table in feed.tables:
            if table.name in seen:
                continue
            seen.add(table.name)
            writers = [f.name for f in feeds() if table.name in f.table_names]
            described = feed.description if len(writers) == 1 else "Written by the feeds " + ", ".join(writers)
            tables.append(
                {
                    "name": table.name,
                    "description": f"{described} Partition columns: period (from the file name) and load_id.",
                    # The versions' folders and the closed months' folded files (raw_zone.py).
                    "meta": {"external_location": table_rows_sql(_RAW_ZONE, table.name)},
                    **_freshness(feed.freshness, writers),
                    "columns": _columns({**table.columns, "period": "varchar", "load_id": "varchar"}),
                }
            )
    return tables


def sources_yml() -> str:
    source = {
        "name": "raw",
        "description": (
            "The raw zone: every accepted file version as Parquet, partitioned by period and load_id"
            " (Hive layout) or folded by month (warehouse/raw_zone.py), and the append-only load ledger."
            " Staging reads the current version of each period through the macro current_rows."
        ),
        "tables": [
            {
                "name": "load_ledger",
                "description": "One entry per file handled (loaded, restated, unchanged or rejected); append-only.",
                "meta": {"external_location": f"read_parquet('{_RAW_ZONE}/_ledger/*.parquet', union_by_name = true)"},
                "columns": _columns(LEDGER_COLUMNS),
            },
            *_feed_tables(),
        ],
    }
    body = yaml.dump(
        {"version": 2, "sources": [source]},
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        width=1_000,  # one line per value: greppable, and no folded SQL
    )
    return HEADER + body


def write_sources_yml() -> bool:
    """Write the file if it differs; True when it changed."""
    text = sources_yml()
    if SOURCES_FILE.exists() and SOURCES_FILE.read_text() == text:
        return False
    SOURCES_FILE.write_text(text)
    return True
