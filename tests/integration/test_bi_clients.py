"""What a BI user's own client sees of a publication: DuckDB 1.x opens published.duckdb, the
tables and columns carry dbt's descriptions, and pandas reads the Parquet copies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from dagster_project.publication.publish import PUBLISHED_TABLES
from dagster_project.settings import DBT_PROJECT_DIR, PROJECT_ROOT, WarehousePaths

# `make test` installs it (make duckdb1): DuckDB 1.4.2, the version Evidence bundles.
DUCKDB1_PYTHON = PROJECT_ROOT / ".venv-duckdb1" / "bin" / "python"
NEEDS_DUCKDB1 = pytest.mark.skipif(
    not DUCKDB1_PYTHON.exists() and os.environ.get("CI") != "true",
    reason="no DuckDB 1.x client: `make duckdb1` installs one in .venv-duckdb1",
)
# `make test` installs it (make evidence): Evidence's DuckDB connector, run as `npm run sources` runs it.
EVIDENCE_DIR = PROJECT_ROOT / "tests" / "evidence"
NEEDS_EVIDENCE = pytest.mark.skipif(
    not (EVIDENCE_DIR / "node_modules" / "@evidence-dev" / "duckdb").exists() and os.environ.get("CI") != "true",
    reason="Evidence's DuckDB connector not installed: `make evidence`",
)
EXAMPLE_QUERIES = PROJECT_ROOT / "examples" / "queries"
MARTS_YML = DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml"

READ_WITH_DUCKDB1 = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [t for (t,) in con.execute(
    "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
print(json.dumps({
    "version": duckdb.__version__,
    "counts": {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in tables},
    "goal_summary": [
        list(map(str, r)) for r in con.execute("select * from marts.goal_summary order by goal_id").fetchall()
    ],
    "comment": con.execute(
        "select comment from duckdb_tables() where schema_name = 'marts' and table_name = 'measure_status'"
    ).fetchone()[0],
}))
"""


# docs/bi.md's Superset path: the SQLAlchemy URI of the guide, then the calls Superset makes to list the
# tables of a schema and create a dataset (reflect the columns, the table comment and, on Superset's own
# SQLAlchemy 1.4, keys and indexes), then a query. Printed as JSON for the test to compare.
REFLECT_LIKE_SUPERSET = """
import json, sys
import duckdb, sqlalchemy
engine = sqlalchemy.create_engine(f"duckdb:///{sys.argv[1]}?access_mode=read_only")
inspector = sqlalchemy.inspect(engine)
tables = inspector.get_table_names(schema="marts")
reflected = {
    t: {
        "columns": [[c["name"], str(c["type"]), c["comment"]] for c in inspector.get_columns(t, schema="marts")],
        "comment": inspector.get_table_comment(t, schema="marts")["text"],
    }
    for t in tables
}
if sys.argv[2] == "keys":
    for t in tables:
        inspector.get_pk_constraint(t, schema="marts")
        inspector.get_foreign_keys(t, schema="marts")
        inspector.get_indexes(t, schema="marts")
with engine.connect() as con:
    rows = con.execute(sqlalchemy.text("select goal_id, n_yellow from marts.goal_summary order by goal_id")).all()
print(json.dumps({
    "versions": [duckdb.__version__, sqlalchemy.__version__],
    "tables": reflected,
    "goal_summary": [list(r) for r in rows],
}))
"""


SQLALCHEMY_TYPE_NAMES = {"DOUBLE": "FLOAT"}


def reflect_like_superset(python: Path | str, db: Path, keys: bool) -> dict:
    done = subprocess.run(
        [str(python), "-W", "ignore", "-c", REFLECT_LIKE_SUPERSET, str(db), "keys" if keys else "columns"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def published_catalog(db: Path) -> tuple[dict[str, list[tuple[str, str, str | None]]], dict[str, str], list]:
    """Columns (name, type, comment) and table comments of marts, and goal_summary, read with DuckDB itself."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns: dict[str, list[tuple[str, str, str | None]]] = {}
        for table, column, data_type, comment in con.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns()"
            " where schema_name = 'marts' order by table_name, column_index"
        ).fetchall():
            columns.setdefault(table, []).append((column, data_type, comment))
        comments = dict(
            con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        )
        goals = [
            list(r) for r in con.execute("select goal_id, n_yellow from marts.goal_summary order by goal_id").fetchall()
        ]
    finally:
        con.close()
    return columns, comments, goals


def assert_superset_sees_the_publication(seen: dict, db: Path) -> None:
    columns, comments, goals = published_catalog(db)
    assert set(seen["tables"]) == set(columns) and set(PUBLISHED_TABLES) <= set(columns)
    for table, expected in columns.items():
        reflected = seen["tables"][table]
        assert [(name, comment) for name, _, comment in reflected["columns"]] == [
            (name, comment) for name, _, comment in expected
        ], table
        # SQLAlchemy's generic types, named like DuckDB's but for DOUBLE (SQLAlchemy's FLOAT, a double).
        expected_types = [SQLALCHEMY_TYPE_NAMES.get(t, t) for _, t, _ in expected]
        assert [t for _, t, _ in reflected["columns"]] == expected_types, table
        assert reflected["comment"] == comments[table], table
    assert seen["goal_summary"] == goals and goals


def test_superset_path_of_docs_bi_on_duckdb_2(gate_templates) -> None:
    """duckdb-engine 0.17 and SQLAlchemy 2.0 (constraints.txt) on the project's DuckDB 2: list the tables,
    reflect every column with its comment (SQLAlchemy 2.1 fails here: pg_collation), run a query."""
    db = WarehousePaths(gate_templates[1]).published_db
    seen = reflect_like_superset(sys.executable, db, keys=False)
    assert seen["versions"][0].startswith("2.") and seen["versions"][1].startswith("2.0.")
    assert_superset_sees_the_publication(seen, db)


@NEEDS_DUCKDB1
def test_superset_path_of_docs_bi_on_duckdb_1_with_supersets_pins(gate_templates) -> None:
    """Superset's own pins (apache-superset[duckdb]: duckdb-engine 0.12, SQLAlchemy 1.4) on DuckDB 1.4.2:
    every call Superset makes to create a dataset, keys and indexes included."""
    db = WarehousePaths(gate_templates[1]).published_db
    seen = reflect_like_superset(DUCKDB1_PYTHON, db, keys=True)
    assert seen["versions"][0].startswith("1.") and seen["versions"][1].startswith("1.4.")
    assert_superset_sees_the_publication(seen, db)


def marts_descriptions() -> dict[str, dict]:
    """dbt's descriptions as written in the marts yml (not via the code under test, which reads the manifest)."""
    models = yaml.safe_load(MARTS_YML.read_text())["models"]
    return {m["name"]: m for m in models}


@NEEDS_DUCKDB1
def test_a_duckdb_1x_client_opens_the_published_file(published_readonly) -> None:
    _, warehouse = published_readonly
    db = WarehousePaths(warehouse).published_db
    done = subprocess.run(
        [str(DUCKDB1_PYTHON), "-c", READ_WITH_DUCKDB1, str(db)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["version"].startswith("1.")

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
        expected = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for (t,) in tables}
        goals = [list(map(str, r)) for r in con.execute("select * from marts.goal_summary order by goal_id").fetchall()]
    finally:
        con.close()
    assert seen["counts"] == expected and set(PUBLISHED_TABLES) <= set(expected)
    assert seen["goal_summary"] == goals
    assert seen["comment"] == marts_descriptions()["measure_status"]["description"]


def test_published_tables_and_columns_carry_dbt_descriptions(published_readonly) -> None:
    _, warehouse = published_readonly
    con = duckdb.connect(str(WarehousePaths(warehouse).published_db), read_only=True)
    try:
        table_comments = dict(
            con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        )
        column_comments = {
            (t, c): comment
            for t, c, comment in con.execute(
                "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
            ).fetchall()
        }
    finally:
        con.close()
    described = marts_descriptions()
    checked = 0
    for table in PUBLISHED_TABLES:
        model = described[table]
        assert table_comments[table] == model["description"].strip(), table
        for column in model.get("columns", []):
            if column.get("description") and (table, column["name"]) in column_comments:
                assert column_comments[(table, column["name"])] == column["description"].strip(), (table, column)
                checked += 1
    assert checked > 50
    # The publication's own tables are described too.
    assert all(table_comments[t] for t in ("publication_log", "publication_files", "publication_checks"))
    # Every column of the published file, theirs included, carries a real description (issue 24:
    # 34 had none, some had a formula symbol such as `b.`).
    weak = sorted(f"{t}.{c}: {text!r}" for (t, c), text in column_comments.items() if len((text or "").split()) < 3)
    assert weak == []


def test_pandas_reads_the_parquet_copies(published_readonly) -> None:
    _, warehouse = published_readonly
    paths = WarehousePaths(warehouse)
    frame = pd.read_parquet(paths.parquet_dir / "measure_status.parquet")
    con = duckdb.connect(str(paths.published_db), read_only=True)
    try:
        expected = con.execute("select measure_id, status from marts.measure_status order by measure_id").fetchall()
    finally:
        con.close()
    assert sorted(frame[["measure_id", "status"]].itertuples(index=False, name=None)) == expected


@NEEDS_EVIDENCE
def test_the_evidence_recipe_of_docs_bi_reads_every_example_query(published_env, tmp_path) -> None:
    """docs/bi.md: a link to published.duckdb in the source folder and `filename: published.duckdb`
    (the connector joins the folder and the filename, so an absolute filename does not work)."""
    _, warehouse = published_env
    source = tmp_path / "evidence" / "sources" / "ehelse"
    source.mkdir(parents=True)
    (source / "published.duckdb").symlink_to(WarehousePaths(warehouse).published_db)
    queries = sorted(EXAMPLE_QUERIES.glob("*.sql"))
    assert queries
    for query in queries:
        (source / query.name).write_text(query.read_text())
        done = subprocess.run(
            ["node", str(EVIDENCE_DIR / "run_source.cjs"), str(source), "published.duckdb", str(source / query.name)],
            cwd=tmp_path / "evidence",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{query.name}: {done.stderr[-2000:]}"
        assert json.loads(done.stdout)["rows"] > 0, query.name
