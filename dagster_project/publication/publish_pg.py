"""Optional publication target: the published marts in PostgreSQL, for BI
tools that cannot open a DuckDB file.

When EHELSE_PUBLISH_PG_URL is set, every publication loads the tables of the
new published.duckdb into PostgreSQL in one transaction: a new schema is
filled, granted to the read-only role, and swapped in for `marts` (DDL is
transactional in PostgreSQL, so readers see the previous schema or the new
one, never a half-loaded state). The swap waits for running queries on the
old schema (an exclusive lock), at most `lock_timeout`.

The role `ehelse_reader` (NOLOGIN) is created if missing and granted USAGE
and SELECT; a DBA gives BI users login roles that are members of it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

READER_ROLE = "ehelse_reader"
_TYPES = {
    "VARCHAR": "text",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "HUGEINT": "numeric",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


def _pg_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    return _TYPES[duckdb_type]


def _copy_comments(source: duckdb.DuckDBPyConnection, pg, table: str) -> None:
    """The published file's table and column comments (dbt's descriptions) onto marts_incoming.<table>."""
    from psycopg import sql

    [(table_comment,)] = source.execute(
        "select comment from duckdb_tables() where schema_name = 'marts' and table_name = ?", [table]
    ).fetchall()
    if table_comment:
        pg.execute(
            sql.SQL("comment on table marts_incoming.{} is {}").format(
                sql.Identifier(table), sql.Literal(table_comment)
            )
        )
    for column, comment in source.execute(
        "select column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' and table_name = ? and comment is not null",
        [table],
    ).fetchall():
        pg.execute(
            sql.SQL("comment on column marts_incoming.{}.{} is {}").format(
                sql.Identifier(table), sql.Identifier(column), sql.Literal(comment)
            )
        )


def publish_to_postgres(url: str, published_db: Path, lock_timeout: str = "60s") -> dict[str, int]:
    """Load every table of published.duckdb's schema marts into PostgreSQL schema marts, atomically."""
    import psycopg
    from psycopg import sql

    source = duckdb.connect(str(published_db), read_only=True)
    try:
        tables = [
            r[0]
            for r in source.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        counts: dict[str, int] = {}
        with psycopg.connect(url) as pg, pg.transaction():
            pg.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(lock_timeout)))
            pg.execute("drop schema if exists marts_incoming cascade")
            pg.execute("create schema marts_incoming")
            for table in tables:
                columns = source.execute(f"describe marts.{table}").fetchall()
                pg.execute(
                    sql.SQL("create table marts_incoming.{} ({})").format(
                        sql.Identifier(table),
                        sql.SQL(", ").join(
                            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(_pg_type(kind)))
                            for name, kind, *_ in columns
                        ),
                    )
                )
                _copy_comments(source, pg, table)
                rows = source.execute(f"select * from marts.{table}").fetchall()
                with pg.cursor().copy(
                    sql.SQL("copy marts_incoming.{} from stdin").format(sql.Identifier(table))
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                counts[table] = len(rows)
            pg.execute(
                sql.SQL(
                    "do $$ begin if not exists (select from pg_roles where rolname = {}) "
                    "then create role {} nologin; end if; end $$"
                ).format(sql.Literal(READER_ROLE), sql.Identifier(READER_ROLE))
            )
            pg.execute(sql.SQL("grant usage on schema marts_incoming to {}").format(sql.Identifier(READER_ROLE)))
            pg.execute(
                sql.SQL("grant select on all tables in schema marts_incoming to {}").format(sql.Identifier(READER_ROLE))
            )
            pg.execute("drop schema if exists marts cascade")
            pg.execute("alter schema marts_incoming rename to marts")
    finally:
        source.close()
    return counts
