"""What a Spark build leaves for the rest of the pipeline (engine spark, docs/scale-out.md).

dbt-spark writes every table as Parquet under <warehouse>/spark/warehouse/<schema>.db/<table>
(a partitioned incremental table in Hive folders). After the build, each of those tables
becomes a view of the same name in the working DuckDB database, reading the files. So the
quality gate (Great Expectations batches are SQL on the working database), the row counts
and the publication (which copies working.marts.<table> into published.duckdb and Parquet)
run unchanged on either engine: BI users see the same files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.settings import WarehousePaths

# The schemas dbt builds (dbt_project.yml); seeds stay in Spark, nothing downstream reads them.
SCHEMAS = ("staging", "intermediate", "marts")


def spark_tables(paths: WarehousePaths) -> dict[tuple[str, str], Path]:
    """(schema, table) -> folder of every table the Spark build wrote."""
    root = paths.spark_dir / "warehouse"
    found = {}
    for schema in SCHEMAS:
        for folder in sorted((root / f"{schema}.db").glob("*")):
            if folder.is_dir() and any(folder.rglob("*.parquet")):
                found[(schema, folder.name)] = folder
    return found


def _drop(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Whatever a DuckDB build left under that name (a table or a view)."""
    kind = con.execute(
        "select table_type from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    if kind is not None:
        con.execute(f'drop {"view" if kind[0] == "VIEW" else "table"} "{schema}"."{name}"')


def register_in_working_db(paths: WarehousePaths, con: duckdb.DuckDBPyConnection) -> list[str]:
    """A view in the working database over each Spark table's Parquet files; returns their names."""
    registered = []
    for (schema, name), folder in spark_tables(paths).items():
        con.execute(f'create schema if not exists "{schema}"')
        _drop(con, schema, name)
        con.execute(
            f'create view "{schema}"."{name}" as '
            f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
        )
        registered.append(f"{schema}.{name}")
    return registered
