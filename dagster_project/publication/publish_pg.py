"""Optional publication target: the published marts in PostgreSQL, for BI
tools that cannot open a DuckDB file.

When EHELSE_PUBLISH_PG_URL is set, every publication loads the tables of the
new published.duckdb into PostgreSQL in one transaction, table by table, not
schema by schema, so what BI users built on `marts` survives:

1. each table is filled under schema `marts_incoming`, with dbt's comments;
2. the views that depend on the old `marts.<table>` (in any schema, views on
   views included) are recorded: definition, owner, grants, comments;
3. each old table is dropped (its dependent views with it) and the new one
   moved into `marts`, with the grants the old one had;
4. the recorded views are created again on the new tables, with their owner,
   grants and comments.

DDL is transactional in PostgreSQL: a reader sees the previous publication or
the new one, never a half-loaded state. Dropping a table waits for queries
running on it (an exclusive lock), at most the session's `lock_timeout`
(60 s unless the URL sets one, e.g. `?options=-c%20lock_timeout%3D5s`).
A view that no longer fits the new tables (a column it reads is gone) stops
the load, naming the view: PostgreSQL keeps the previous publication.
Other objects in `marts` (tables, views of a DBA's own) are left alone.

The role `ehelse_reader` (NOLOGIN) is created if missing and granted USAGE
and SELECT; a DBA gives BI users login roles that are members of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.publication.publish import published_tables
from dagster_project.warehouse.faults import ResourceFailure

READER_ROLE = "ehelse_reader"
DEFAULT_LOCK_TIMEOUT = "60s"
# What a failed load leaves, said after every fault of the load.
_PREVIOUS_KEPT = "PostgreSQL keeps the previous publication, the next run loads it again"
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

# Views depending (through their rewrite rules) on the given tables, and views on those
# views, with what it takes to create them again. Ordered by depth, so a view comes after
# the views it reads.
_DEPENDENT_VIEWS = """
with recursive dependent (oid, depth) as (
    select rewrite.ev_class, 1
    from pg_depend as dep
    inner join pg_rewrite as rewrite on rewrite.oid = dep.objid
    where dep.classid = 'pg_rewrite'::regclass
      and dep.refclassid = 'pg_class'::regclass
      and dep.refobjid = any(%(tables)s::oid[])
      and rewrite.ev_class <> dep.refobjid
    union all
    select rewrite.ev_class, dependent.depth + 1
    from dependent
    inner join pg_depend as dep on dep.refobjid = dependent.oid
    inner join pg_rewrite as rewrite on rewrite.oid = dep.objid
    where dep.classid = 'pg_rewrite'::regclass
      and dep.refclassid = 'pg_class'::regclass
      and rewrite.ev_class <> dependent.oid
      and dependent.depth < 50
),
deepest as (
    select oid, max(depth) as depth from dependent group by oid
)
select
    format('%%I.%%I', ns.nspname, cls.relname) as name,
    cls.relkind = 'm' as materialized,
    pg_get_viewdef(cls.oid) as definition,
    quote_ident(pg_get_userbyid(cls.relowner)) as owner,
    coalesce(array_to_string(cls.reloptions, ', '), '') as options,
    obj_description(cls.oid, 'pg_class') as comment,
    cls.oid
from deepest
inner join pg_class as cls on cls.oid = deepest.oid
inner join pg_namespace as ns on ns.oid = cls.relnamespace
order by deepest.depth, cls.oid
"""

# Grants on a relation, one row per grantee and privilege (grantee 0 is PUBLIC).
_GRANTS = """
select
    case when acl.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(acl.grantee)) end,
    acl.privilege_type,
    acl.is_grantable
from pg_class as cls, aclexplode(cls.relacl) as acl
where cls.oid = %s and acl.grantee <> cls.relowner
"""

_COLUMN_COMMENTS = """
select attname, col_description(attrelid, attnum)
from pg_attribute
where attrelid = %s and attnum > 0 and not attisdropped and col_description(attrelid, attnum) is not null
"""


class ViewNotRecreated(Exception):
    """A BI user's view on marts does not fit the new tables: the load is rolled back."""


@dataclass(frozen=True)
class _View:
    name: str  # quoted and schema-qualified
    materialized: bool
    definition: str
    owner: str
    options: str
    comment: str | None
    grants: list[tuple[str, str, bool]]
    column_comments: list[tuple[str, str]]

    def create_statement(self) -> str:
        kind = "materialized view" if self.materialized else "view"
        options = f" with ({self.options})" if self.options else ""
        return f"create {kind} {self.name}{options} as {self.definition}"


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


def _load_incoming(source: duckdb.DuckDBPyConnection, pg, table: str) -> int:
    """marts_incoming.<table>: created with PostgreSQL types, commented and filled from the published file."""
    from psycopg import sql

    columns = source.execute(f"describe marts.{table}").fetchall()
    pg.execute(
        sql.SQL("create table marts_incoming.{} ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(_pg_type(kind))) for name, kind, *_ in columns
            ),
        )
    )
    _copy_comments(source, pg, table)
    rows = source.execute(f"select * from marts.{table}").fetchall()
    with pg.cursor().copy(sql.SQL("copy marts_incoming.{} from stdin").format(sql.Identifier(table))) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _existing_tables(pg, tables: list[str]) -> dict[str, int]:
    """The oid of each of `tables` that exists as a table in schema marts."""
    return dict(
        pg.execute(
            "select cls.relname, cls.oid from pg_class as cls "
            "inner join pg_namespace as ns on ns.oid = cls.relnamespace "
            "where ns.nspname = 'marts' and cls.relkind in ('r', 'p') and cls.relname = any(%s)",
            [tables],
        ).fetchall()
    )


def _dependent_views(pg, table_oids: list[int]) -> list[_View]:
    if not table_oids:
        return []
    views = []
    for name, materialized, definition, owner, options, comment, oid in pg.execute(
        _DEPENDENT_VIEWS, {"tables": table_oids}
    ).fetchall():
        grants = pg.execute(_GRANTS, [oid]).fetchall()
        column_comments = pg.execute(_COLUMN_COMMENTS, [oid]).fetchall()
        views.append(_View(name, materialized, definition, owner, options, comment, grants, column_comments))
    return views


def _grant(pg, relation: str, grants: list[tuple[str, str, bool]]) -> None:
    """Grants recorded by _GRANTS, given again (relation and grantee are already quoted)."""
    for grantee, privilege, grantable in grants:
        option = " with grant option" if grantable else ""
        pg.execute(f"grant {privilege} on {relation} to {grantee}{option}")


def _recreate(pg, view: _View) -> None:
    """One recorded view, created again with its owner, grants and comments; an error names the view."""
    from psycopg import sql

    kind = sql.SQL("materialized view" if view.materialized else "view")
    name = sql.SQL(view.name)
    try:
        with pg.transaction():  # a savepoint, so the error raised is ours, naming the view
            pg.execute(view.create_statement())
            pg.execute(sql.SQL("alter {} {} owner to {}").format(kind, name, sql.SQL(view.owner)))
            _grant(pg, view.name, view.grants)
            if view.comment is not None:
                pg.execute(sql.SQL("comment on {} {} is {}").format(kind, name, sql.Literal(view.comment)))
            for column, comment in view.column_comments:
                pg.execute(
                    sql.SQL("comment on column {}.{} is {}").format(name, sql.Identifier(column), sql.Literal(comment))
                )
    except Exception as err:
        first_line = str(err).strip().splitlines()[0]
        raise ViewNotRecreated(
            f"the view {view.name} on marts does not fit the new publication ({first_line}); "
            "PostgreSQL keeps the previous publication: change or drop the view, the next run loads again"
        ) from err


def _set_lock_timeout(pg) -> None:
    """The URL's lock_timeout if it sets one, else DEFAULT_LOCK_TIMEOUT: how long a swap waits for readers."""
    from psycopg import sql

    [(current,)] = pg.execute("show lock_timeout").fetchall()
    if current in ("0", "0ms"):
        pg.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(DEFAULT_LOCK_TIMEOUT)))


def _ensure_reader_role(pg) -> None:
    from psycopg import sql

    pg.execute(
        sql.SQL(
            "do $$ begin if not exists (select from pg_roles where rolname = {}) "
            "then create role {} nologin; end if; end $$"
        ).format(sql.Literal(READER_ROLE), sql.Identifier(READER_ROLE))
    )


def _swap_tables(pg, tables: list[str]) -> None:
    """Each marts.<table> replaced by marts_incoming.<table>, keeping the old one's grants and dependent views."""
    from psycopg import sql

    old = _existing_tables(pg, tables)
    views = _dependent_views(pg, list(old.values()))
    old_grants = {table: pg.execute(_GRANTS, [oid]).fetchall() for table, oid in old.items()}
    for table in tables:
        name = sql.Identifier("marts", table)
        pg.execute(sql.SQL("drop table if exists {} cascade").format(name))
        pg.execute(sql.SQL("alter table marts_incoming.{} set schema marts").format(sql.Identifier(table)))
        pg.execute(sql.SQL("grant select on {} to {}").format(name, sql.Identifier(READER_ROLE)))
        _grant(pg, name.as_string(pg), old_grants.get(table, []))
    for view in views:
        _recreate(pg, view)


def publish_to_postgres(url: str, published_db: Path) -> dict[str, int]:
    """Load every table of published.duckdb's schema marts into PostgreSQL schema marts, atomically."""
    import psycopg
    from psycopg import sql

    source = duckdb.connect(str(published_db), read_only=True)
    try:
        tables = published_tables(source)
        counts: dict[str, int] = {}
        try:
            connection = psycopg.connect(url)
        except psycopg.OperationalError as err:
            raise ResourceFailure(
                f"PostgreSQL unreachable ({str(err).strip().splitlines()[0]}); {_PREVIOUS_KEPT}"
            ) from err
        with connection as pg, pg.transaction():
            _set_lock_timeout(pg)
            _ensure_reader_role(pg)
            pg.execute("create schema if not exists marts")
            pg.execute(sql.SQL("grant usage on schema marts to {}").format(sql.Identifier(READER_ROLE)))
            pg.execute("drop schema if exists marts_incoming cascade")
            pg.execute("create schema marts_incoming")
            for table in tables:
                counts[table] = _load_incoming(source, pg, table)
            _swap_tables(pg, tables)
            pg.execute("drop schema marts_incoming")
    except psycopg.errors.LockNotAvailable as err:
        raise ResourceFailure(
            f"PostgreSQL lock timeout: queries on schema marts held it longer than lock_timeout; {_PREVIOUS_KEPT}"
        ) from err
    finally:
        source.close()
    return counts
