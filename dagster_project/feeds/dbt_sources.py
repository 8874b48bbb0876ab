"""dbt's view of the raw zone, derived from the feed registry: the source `raw`, one table
per raw-zone table (and the ledger), read as external Parquet by dbt-duckdb.

The file is committed (dbt and its readers see it as any other yml) and written by
`ehelse dbt-sources`; a test fails when it differs from what the registry says.
"""

from __future__ import annotations

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.registry import feeds
from dagster_project.settings import DBT_PROJECT_DIR
from dagster_project.warehouse.ledger import COLUMNS as LEDGER_COLUMNS
from dagster_project.warehouse.raw_zone import table_rows_sql

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_raw__sources.yml"
_RAW_ZONE = "{{ var('raw_zone') }}"


def _columns(columns: dict[str, str], indent: str) -> list[str]:
    lines = [f"{indent}columns:"]
    for name, data_type in columns.items():
        lines += [f"{indent}  - name: {name}", f"{indent}    data_type: {data_type}"]
    return lines


def _freshness(freshness: Freshness | None, feeds_writing: list[str]) -> list[str]:
    """When a file of the feed was last loaded (the ledger), against its delivery cadence."""
    if freshness is None:
        return []
    limits = f"warn_after: {{count: {freshness.warn_after_days}, period: day}}"
    if freshness.error_after_days:
        limits += f", error_after: {{count: {freshness.error_after_days}, period: day}}"
    names = ", ".join(f"'{name}'" for name in feeds_writing)
    return [
        "        config:",
        f"          freshness: {{{limits}}}",
        "          loaded_at_query: >",
        f"            select max(finished_at) from read_parquet('{_RAW_ZONE}/_ledger/*.parquet', union_by_name = true)",
        f"            where source_family in ({names}) and status in ('loaded', 'restated')",
    ]


def sources_yml() -> str:
    lines = [
        "# Written by `ehelse dbt-sources` from the feed registry (dagster_project/feeds/): do not edit.",
        "version: 2",
        "",
        "sources:",
        "  - name: raw",
        "    description: >",
        "      The raw zone: every accepted file version as Parquet, partitioned by period and load_id",
        "      (Hive layout) or folded by month (warehouse/raw_zone.py), and the append-only load ledger.",
        "      Staging reads the current version of each period through the macro current_rows.",
        "    tables:",
        "      - name: load_ledger",
        "        description: One entry per file handled (loaded, restated, unchanged or rejected); append-only.",
        "        meta:",
        f"          external_location: \"read_parquet('{_RAW_ZONE}/_ledger/*.parquet', union_by_name = true)\"",
        *_columns(LEDGER_COLUMNS, "        "),
    ]
    seen: set[str] = set()
    for feed in feeds():
        for table in feed.tables:
            if table.name in seen:
                continue
            seen.add(table.name)
            writers = [f.name for f in feeds() if table.name in f.table_names]
            lines += [
                f"      - name: {table.name}",
                "        description: >",
                f"          {feed.description if len(writers) == 1 else 'Written by the feeds ' + ', '.join(writers)}",
                "          Partition columns: period (from the file name) and load_id.",
                "        meta:",
                f'          external_location: "{table_rows_sql(_RAW_ZONE, table.name)}"',
                *_freshness(feed.freshness, writers),
                *_columns({**table.columns, "period": "varchar", "load_id": "varchar"}, "        "),
            ]
    return "\n".join(lines) + "\n"


def write_sources_yml() -> bool:
    """Write the file if it differs; True when it changed."""
    text = sources_yml()
    if SOURCES_FILE.exists() and SOURCES_FILE.read_text() == text:
        return False
    SOURCES_FILE.write_text(text)
    return True
