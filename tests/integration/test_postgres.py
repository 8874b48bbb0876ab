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
from tests.integration.fault_checks import restate_usage

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


@pytest.mark.slow(seconds=70)
@NEEDS_POSTGRES
def test_publication_loads_postgres_atomically_for_a_read_only_role(
    published_env, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    inbox, warehouse = published_env
    paths = WarehousePaths(warehouse)
    built = {path: path.stat().st_mtime_ns for path in (paths.working_db, paths.published_db)}
    monkeypatch.setenv(PG_URL_ENV_VAR, postgres_server)
    first = run_pipeline()  # a new target is owed the current publication: a load, not a build
    assert first.ok and first.published, first.message
    assert "to PostgreSQL (nothing else had changed)" in first.message
    assert {path: path.stat().st_mtime_ns for path in built} == built  # no dbt build, no new publication
    assert run_pipeline().message.startswith("nothing changed")  # and once loaded, nothing is owed

    published = paths.published_db
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

    # A new delivery: the full run publishes and loads the target in the same run, and owes nothing after.
    restated = restate_usage(inbox)
    second = run_pipeline()
    assert second.ok and second.published and "nothing else had changed" not in second.message, second.message
    assert _loaded_sha(postgres_server, restated.name) == _loaded_sha_duckdb(published, restated.name)
    assert run_pipeline().message.startswith("nothing changed")


def _loaded_sha(url: str, file_name: str) -> str:
    """The content hash PostgreSQL's publication records for an inbox file."""
    import psycopg

    with psycopg.connect(url) as con:
        return con.execute("select sha256 from marts.publication_files where file_name = %s", [file_name]).fetchone()[0]


def _loaded_sha_duckdb(published: Path, file_name: str) -> str:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("select sha256 from marts.publication_files where file_name = ?", [file_name]).fetchone()[0]


@NEEDS_POSTGRES
def test_a_load_only_run_that_fails_builds_nothing_and_the_next_tries_again(published_env) -> None:
    """A target that does not answer: the run owed only the load says PostgreSQL keeps what it
    had, touches no DuckDB file, and the next run tries the load again (it is still owed)."""
    _, warehouse = published_env
    paths = WarehousePaths(warehouse)
    built = {path: path.stat().st_mtime_ns for path in (paths.working_db, paths.published_db)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PG_URL_ENV_VAR, f"postgresql://postgres@127.0.0.1:{free_port()}/postgres?connect_timeout=2")
        for _ in range(2):
            outcome = run_pipeline()
            assert not outcome.ok and not outcome.published, outcome.message
            assert "PostgreSQL still holds its previous publication" in outcome.message, outcome.message
            assert {path: path.stat().st_mtime_ns for path in built} == built


def _published_copy(warehouse: Path, dest: Path, change: str | None = None) -> Path:
    """A copy of the warehouse's published.duckdb, optionally changed by one SQL statement."""
    copy = dest / "published.duckdb"
    shutil.copy(WarehousePaths(warehouse).published_db, copy)
    if change:
        con = duckdb.connect(str(copy))
        con.execute(change)
        con.close()
    return copy


BI_OBJECTS = """
create schema bi;
create view bi.no_data as select measure_id, status from marts.measure_status where status = 'no_data';
create view bi.no_data_count as select count(*) as n from bi.no_data;
create materialized view bi.goal_totals as select goal_id, n_indicators from marts.goal_summary;
create view marts.red as select measure_id from marts.measure_status where status = 'red';
create role bi_user login in role ehelse_reader;
grant usage on schema bi to bi_user;
grant select on bi.no_data, bi.no_data_count to bi_user;
grant select on marts.red to ehelse_reader;
comment on view bi.no_data is 'measures without data, for the council dashboard';
"""


@pytest.fixture
def bi_views_on_postgres(published_env, postgres_server: str, tmp_path: Path) -> Path:
    """PostgreSQL loaded with the published warehouse, and BI_OBJECTS made on it; the warehouse's path."""
    import psycopg

    from dagster_project.publication.publish_pg import publish_to_postgres

    _, warehouse = published_env
    publish_to_postgres(postgres_server, _published_copy(warehouse, tmp_path))
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(BI_OBJECTS)
    (tmp_path / "next").mkdir()
    return warehouse


@NEEDS_POSTGRES
def test_republishing_keeps_bi_users_views_on_the_new_tables(
    bi_views_on_postgres: Path, postgres_server: str, tmp_path: Path
):
    import psycopg

    from dagster_project.publication.publish_pg import publish_to_postgres

    warehouse = bi_views_on_postgres
    with psycopg.connect(postgres_server) as admin:
        [(waiting,)] = admin.execute("select count(*) from bi.no_data").fetchall()
    assert waiting > 0

    # In the next publication every measure is red: the views must read the new tables.
    publish_to_postgres(
        postgres_server,
        _published_copy(
            warehouse, tmp_path / "next", "update marts.measure_status set status = 'red' where status = 'no_data'"
        ),
    )
    reader_url = postgres_server.replace("postgres@", "bi_user@")
    with psycopg.connect(reader_url) as reader:
        assert reader.execute("select count(*) from bi.no_data").fetchone() == (0,)
        assert reader.execute("select n from bi.no_data_count").fetchone() == (0,)
        # The grants and comments on the views, and the reader role's on the tables, survived.
        assert reader.execute("select obj_description('bi.no_data'::regclass)").fetchone() == (
            "measures without data, for the council dashboard",
        )
        assert reader.execute("select count(*) from marts.red").fetchone() == (waiting,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("select * from bi.goal_totals")
    with psycopg.connect(postgres_server) as admin:
        # The materialized view was created again, with the new publication's rows.
        assert admin.execute("select count(*) from bi.goal_totals").fetchone()[0] > 0
        assert admin.execute(
            "select count(*) from information_schema.schemata where schema_name = 'marts_incoming'"
        ).fetchone() == (0,)


@NEEDS_POSTGRES
def test_a_view_that_no_longer_fits_stops_the_load_and_names_it(
    bi_views_on_postgres: Path, postgres_server: str, tmp_path: Path
):
    import psycopg

    from dagster_project.publication.publish_pg import ViewNotRecreated, publish_to_postgres

    warehouse = bi_views_on_postgres
    with psycopg.connect(postgres_server) as admin:
        before = admin.execute("select count(*) from marts.measure_status").fetchone()
    narrower = _published_copy(
        warehouse,
        tmp_path / "next",
        "create or replace table marts.measure_status as "
        "select * exclude (status) from marts.measure_status where false",
    )
    with pytest.raises(ViewNotRecreated, match=r"bi\.no_data .*keeps the previous publication"):
        publish_to_postgres(postgres_server, narrower)
    with psycopg.connect(postgres_server) as admin:
        assert admin.execute("select count(*) from marts.measure_status").fetchone() == before
        assert admin.execute("select count(*) from bi.no_data").fetchone()[0] > 0


@pytest.mark.slow(seconds=80)
@NEEDS_POSTGRES
def test_a_lock_timeout_names_the_fault_and_the_next_run_loads_again(
    published_env, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from dagster_project.publication.publish_pg import publish_to_postgres

    inbox, warehouse = published_env
    paths = WarehousePaths(warehouse)
    published = paths.published_db
    publish_to_postgres(postgres_server, published)  # PostgreSQL holds the last publication
    restated = restate_usage(inbox)  # a new delivery: the next run builds and publishes again

    # A BI query that keeps marts.measure_status open: the next swap must wait, then give up.
    impatient = postgres_server + "?options=-c%20lock_timeout%3D2s"
    monkeypatch.setenv(PG_URL_ENV_VAR, impatient)
    reader = psycopg.connect(postgres_server)
    reader.execute("select count(*) from marts.measure_status")
    try:
        outcome = run_pipeline()
    finally:
        reader.close()
    assert not outcome.ok
    assert "PostgreSQL lock timeout" in outcome.message, outcome.message
    # The DuckDB file was replaced before the PostgreSQL load: the message must not deny it.
    assert outcome.published and "previous publication is unchanged" not in outcome.message
    assert published.exists()

    built = paths.working_db.stat().st_mtime_ns
    again = run_pipeline()  # the reader is gone: the same settings load PostgreSQL again
    assert again.ok and again.published, again.message
    # The publication was whole: the rerun loads it into PostgreSQL and builds nothing again.
    assert "to PostgreSQL (nothing else had changed)" in again.message
    assert paths.working_db.stat().st_mtime_ns == built
    assert _loaded_sha(postgres_server, restated.name) == _loaded_sha_duckdb(published, restated.name)
