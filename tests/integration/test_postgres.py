"""The optional PostgreSQL publication, against a real server the test starts on loopback."""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.runner import run_pipeline
from dagster_project.settings import DBT_PROJECT_DIR, PG_URL_ENV_VAR, WarehousePaths

MARTS_YML = DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml"
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
NEEDS_POSTGRES = pytest.mark.skipif(
    (PG_BIN is None or not (PG_BIN / "initdb").exists()) and os.environ.get("EHELSE_REQUIRE_POSTGRES") != "1",
    reason="PostgreSQL server binaries not installed (.ci/run installs them and sets EHELSE_REQUIRE_POSTGRES=1)",
)


def as_postgres_user() -> list[str]:
    """initdb refuses root: run the server as the postgres system user when we are root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_server():
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="ehelse-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    subprocess.run(
        [*as_postgres_user(), str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_postgres_user(),
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(root / "server.log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as admin:
            admin.execute("create database ehelse")
        yield f"postgresql://postgres@127.0.0.1:{port}/ehelse"
    finally:
        subprocess.run(
            [*as_postgres_user(), str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


@NEEDS_POSTGRES
def test_publication_loads_postgres_atomically_for_a_read_only_role(
    published_env, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    _, warehouse = published_env
    monkeypatch.setenv(PG_URL_ENV_VAR, postgres_server)
    first = run_pipeline()  # a new target counts as a change: the warehouse publishes again
    assert first.ok and first.published, first.message

    published = WarehousePaths(warehouse).published_db
    con = duckdb.connect(str(published), read_only=True)
    expected = {
        table: con.execute(f"select count(*) from marts.{table}").fetchone()[0]
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    yellow = con.execute("select n_yellow from marts.goal_summary where goal_id = 0").fetchone()[0]
    con.close()
    described = {m["name"]: m for m in yaml.safe_load(MARTS_YML.read_text())["models"]}

    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute("create role bi_user login in role ehelse_reader")
        schemas = {r[0] for r in admin.execute("select schema_name from information_schema.schemata").fetchall()}
    assert "marts" in schemas and "marts_incoming" not in schemas

    reader_url = postgres_server.replace("postgres@", "bi_user@")
    with psycopg.connect(reader_url) as reader:
        counts = {t: reader.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in expected}
        assert counts == expected
        assert reader.execute("select n_yellow from marts.goal_summary where goal_id = 0").fetchone()[0] == yellow
        # dbt's descriptions reach a BI user of PostgreSQL as table and column comments.
        table_comment, column_comment = reader.execute(
            "select obj_description('marts.measure_status'::regclass), "
            "col_description('marts.measure_status'::regclass, "
            "(select attnum from pg_attribute where attrelid = 'marts.measure_status'::regclass "
            "and attname = 'achieved_fraction'))"
        ).fetchone()
        assert table_comment == described["measure_status"]["description"]
        [achieved] = [c for c in described["measure_status"]["columns"] if c["name"] == "achieved_fraction"]
        assert column_comment == achieved["description"]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("delete from marts.measure_status")
