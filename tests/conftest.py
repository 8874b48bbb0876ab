"""Shared fixtures: a small generated inbox and an isolated warehouse per test."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from dagster_project.demo.demo_data import DemoConfig, generate
from dagster_project.feeds.base import InboxFile
from dagster_project.runner import RunOutcome, interruptible
from dagster_project.settings import (
    DAGSTER_HOME_DIR,
    DAGSTER_HOME_ENV_VAR,
    INBOX_ENV_VAR,
    WAREHOUSE_ENV_VAR,
    WarehousePaths,
)
from dagster_project.warehouse.ingest import LoadOutcome, ingest_files, parsing_connection, prepare
from dagster_project.warehouse.raw_zone import RawZone
from dagster_project.warehouse.working_db import attach_raw_zone

# 2021-01 .. 2022-12 covers the 1.1.x baseline window and gives 13 months
# with a full 12-month history; few lookups keep the suite fast.
SMALL_RANGE = ("2021-01", "2022-12")


# A session's folders (warehouses, raw zones, Dagster instances) need about 4 GB at most; the
# retention policy (pyproject.toml) removes a passed test's folder as it ends.
MEMORY_TEMP_ROOT, MEMORY_TEMP_MIN_FREE = Path("/dev/shm"), 8 << 30
TEST_TMPDIR_ENV_VAR = "EHELSE_TEST_TMPDIR"


def _test_temp_root() -> str | None:
    """Where the session's temporary folders go: EHELSE_TEST_TMPDIR, else /dev/shm when it is a
    writable tmpfs with room (a run's seconds are partly SQLite commits and DuckDB checkpoints
    waiting on the disk: about 15 % of a pipeline run here), else the default (None)."""
    if chosen := os.environ.get(TEST_TMPDIR_ENV_VAR):
        return chosen
    root = MEMORY_TEMP_ROOT
    if root.is_dir() and os.access(root, os.W_OK) and shutil.disk_usage(root).free >= MEMORY_TEMP_MIN_FREE:
        return str(root)
    return None


def pytest_configure(config: pytest.Config) -> None:
    """The session's temporary folders in memory where possible (_test_temp_root); xdist's
    workers get their folders from the controller, so only it chooses.

    pytest-xdist's workers run `python -c ...`: their __main__ has neither a spec nor a file,
    which pyspark.sql.connect (imported by Great Expectations when the spark extra is installed)
    takes for a doctest run and answers with sys.exit(0), so every GX step of a run fails
    "SystemExit: 0". The worker's __main__ is given the file the worker runs (xdist's remote
    module), as pytest's own process has one; nothing here starts processes by spawn."""
    # A suite started in the background by a script has SIGINT ignored; every Dagster run in
    # it would then ignore SIGTERM too (runner.interruptible says why), also in the tests that
    # run Dagster without the runner.
    interruptible()
    if not os.environ.get("PYTEST_XDIST_WORKER") and config.option.basetemp is None:
        tempfile.tempdir = _test_temp_root()  # read when pytest first makes its base folder
    main = sys.modules["__main__"]
    if os.environ.get("PYTEST_XDIST_WORKER") and main.__spec__ is None and not hasattr(main, "__file__"):
        import xdist.remote

        main.__file__ = xdist.remote.__file__


def instance_copy(dest: Path) -> Path:
    """A private Dagster instance with the committed settings (dagster_home/dagster.yaml, not a
    developer's local run history), so tests run against the instance config `ehelse run` uses."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(DAGSTER_HOME_DIR / "dagster.yaml", dest / "dagster.yaml")
    return dest


@pytest.fixture(autouse=True)
def dagster_instance(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test records into its own instance: never the project's dagster_home/."""
    home = instance_copy(tmp_path_factory.mktemp("dagster_home"))
    monkeypatch.setenv(DAGSTER_HOME_ENV_VAR, str(home))
    return home


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`<name>` built by `build(folder)` once per test session, also when pytest-xdist runs it in
    several workers: the first worker builds it under a file lock in the folder the workers share
    (xdist's documented pattern), the others wait and reuse it. A failed build is remembered, so
    every worker fails with its message instead of building it again."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # pytest-<n>/: the session's folder above popen-gw0, popen-gw1, ...
    folder, done, failed = shared / name, shared / f"{name}.done", shared / f"{name}.failed"
    with FileLock(shared / f"{name}.lock"):
        if failed.exists():
            pytest.fail(f"{name} could not be built (by another worker):\n{failed.read_text()}")
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            try:
                build(folder)
            except BaseException as error:
                failed.write_text(f"{type(error).__name__}: {error}")
                raise
            done.touch()
    return folder


@pytest.fixture(scope="session")
def demo_inbox_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def build(inbox: Path) -> None:
        generate(DemoConfig(inbox=inbox, first_month=SMALL_RANGE[0], last_month=SMALL_RANGE[1], lookups_per_day=20))

    return built_once(tmp_path_factory, "inbox_template", build)


@pytest.fixture
def demo_inbox(demo_inbox_template: Path, tmp_path: Path) -> Path:
    """A private copy of the generated inbox that a test may change."""
    inbox = tmp_path / "inbox"
    shutil.copytree(demo_inbox_template, inbox)
    return inbox


@pytest.fixture
def paths(tmp_path: Path) -> WarehousePaths:
    return WarehousePaths(tmp_path / "warehouse")


@pytest.fixture
def zone(paths: WarehousePaths) -> RawZone:
    return paths.raw_zone


@pytest.fixture
def con(paths: WarehousePaths):
    """A parsing connection with an empty raw zone attached (raw.<table>, raw.load_ledger,
    raw.quarantine), for ingestion tests that call the ingestion directly."""
    connection = parsing_connection()
    prepare(paths.raw_zone, connection)
    attach_raw_zone(paths, connection)
    yield connection
    connection.close()


def load(con: duckdb.DuckDBPyConnection, zone: RawZone, *files: InboxFile, workers: int = 1) -> list[LoadOutcome]:
    """Ingest files into the raw zone, as the ingestion assets do."""
    return ingest_files(con, zone, list(files), workers=workers)


@pytest.fixture
def warehouse_env(demo_inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point EHELSE_INBOX / EHELSE_WAREHOUSE_DIR at temporary folders; returns the warehouse dir."""
    warehouse = tmp_path / "warehouse"
    monkeypatch.setenv(INBOX_ENV_VAR, str(demo_inbox))
    monkeypatch.setenv(WAREHOUSE_ENV_VAR, str(warehouse))
    return warehouse


def publish_once(root: Path) -> RunOutcome:
    """One `run_pipeline()` of `<root>/inbox` into the warehouse `<root>/warehouse` (empty, or a
    copy of a published one), recorded in a fresh Dagster instance `<root>/dagster_home`, with no
    acceptances; its outcome."""
    from dagster_project.runner import run_pipeline

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(INBOX_ENV_VAR, str(root / "inbox"))
        patch.setenv(WAREHOUSE_ENV_VAR, str(root / "warehouse"))
        patch.setenv(DAGSTER_HOME_ENV_VAR, str(instance_copy(root / "dagster_home")))
        patch.delenv("EHELSE_ACCEPTANCES", raising=False)
        return run_pipeline()


def generate_gate_inbox(inbox: Path, days_a_month: int) -> None:
    """The gate's small inbox: 2022, with only the first `days_a_month` lookup logs of each month."""
    generate(DemoConfig(inbox=inbox, first_month="2022-01", last_month="2022-12", lookups_per_day=20))
    keep_lookup_days(inbox, days_a_month)


def keep_lookup_days(inbox: Path, days_a_month: int) -> None:
    """Remove every lookup log after day `days_a_month` of its month: a test that reads no
    lookup measure need not ingest them all."""
    for path in (inbox / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"):
        if int(path.name[-11:-9]) > days_a_month:
            path.unlink()


def build_demo_publication(root: Path, inbox_template: Path) -> None:
    """The generated inbox (SMALL_RANGE) in `<root>/inbox`, published once from an empty warehouse
    in `<root>/warehouse`, recorded in the Dagster instance `<root>/dagster_home`;
    `<root>/outcome.json` is the run's RunOutcome (ok, published, message)."""
    shutil.copytree(inbox_template, root / "inbox")
    record_outcome(root, publish_once(root))


def record_outcome(root: Path, outcome: RunOutcome) -> None:
    (root / "outcome.json").write_text(json.dumps(dataclasses.asdict(outcome)), encoding="utf-8")


def recorded_outcome(root: Path) -> dict:
    """The RunOutcome of a shared run (record_outcome), as a dict (ok, published, message)."""
    return json.loads((root / "outcome.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_publication(demo_inbox_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first run on the generated inbox (two years, 20 lookups a day), shared by the tests that
    start from it: built once for the session; read it through demo_published_env (a private copy)."""
    return built_once(
        tmp_path_factory, "demo_publication", lambda root: build_demo_publication(root, demo_inbox_template)
    )


@pytest.fixture
def demo_published_env(
    demo_publication: Path, dagster_instance: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A private copy of the demo publication's inbox, warehouse and Dagster instance (the test's
    own instance gets the runs that made it); env vars point at them."""
    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse"
    shutil.copytree(demo_publication / "inbox", inbox)
    shutil.copytree(demo_publication / "warehouse", warehouse)
    shutil.copytree(demo_publication / "dagster_home", dagster_instance, dirs_exist_ok=True)
    monkeypatch.setenv(INBOX_ENV_VAR, str(inbox))
    monkeypatch.setenv(WAREHOUSE_ENV_VAR, str(warehouse))
    monkeypatch.delenv("EHELSE_ACCEPTANCES", raising=False)
    return inbox, warehouse


def build_gate_template(root: Path) -> None:
    """A small inbox (2022, one week of lookup logs a month) in `<root>/inbox` and a warehouse that
    published it once in `<root>/warehouse` (recorded in the Dagster instance `<root>/dagster_home`)."""
    generate_gate_inbox(root / "inbox", days_a_month=7)
    outcome = publish_once(root)
    assert outcome.ok and outcome.published, outcome.message


@pytest.fixture(scope="session")
def gate_templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small inbox (2022, one week of lookup logs a month) and a warehouse that published it once,
    built once for the whole session (every xdist worker): read them, or copy them (published_env)."""
    root = built_once(tmp_path_factory, "gate_template", build_gate_template)
    return root / "inbox", root / "warehouse"


def copy_published_template(root: Path, template: tuple[Path, Path]) -> tuple[Path, Path]:
    """The published template's inbox and warehouse copied to `<root>/inbox` and `<root>/warehouse`
    for a shared run on top of it; `<root>/published_before.sha256` is the template's publication."""
    inbox, warehouse = root / "inbox", root / "warehouse"
    shutil.copytree(template[0], inbox)
    shutil.copytree(template[1], warehouse)
    published = WarehousePaths(warehouse).published_db
    (root / "published_before.sha256").write_text(hashlib.sha256(published.read_bytes()).hexdigest())
    return inbox, warehouse


def build_warned_publication(root: Path, template: tuple[Path, Path]) -> None:
    """A copy of the published template after one `ehelse run` on an inbox with two warnings, and
    it publishes: a negative count in helsenorge_bruk_2022-09.csv (line 6), quarantined at
    ingestion (the warn rule no_quarantined_rows fails), and a steward's value for 5.1, whose
    target has no baseline in the plan (the warn rule target_has_baseline fails).
    `<root>/published_before.sha256` is the template's publication, `<root>/run.out` the exit
    code and what the run printed."""
    from dagster_project import cli
    from tests.integration.test_quality_gate import edit_usage

    inbox, warehouse = copy_published_template(root, template)

    def negative(rows: list[list[str]]) -> None:
        rows[5][3] = "-12"

    edit_usage(inbox, "2022-09", negative)
    # 5.1 (pilot 2023) has a target of 85 % but no baseline in the plan; a steward reports a value.
    manual = inbox / "manual" / "indikator_observasjoner.csv"
    manual.write_bytes(manual.read_bytes() + "5.1;2025;72;Helsedirektoratet;Utprøving\r\n".encode())
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setenv(INBOX_ENV_VAR, str(inbox))
        patch.setenv(WAREHOUSE_ENV_VAR, str(warehouse))
        patch.setenv(DAGSTER_HOME_ENV_VAR, str(instance_copy(root / "dagster_home")))
        patch.delenv("EHELSE_ACCEPTANCES", raising=False)
        code = cli.main(["run"])
    (root / "run.out").write_text(f"{code}\n{printed.getvalue()}", encoding="utf-8")


@pytest.fixture(scope="session")
def warned_publication(gate_templates: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run shared by the tests of a publication with warnings (the quality gate's verdicts, the
    steward's page): built once for the session; read it through warned_env (a private copy)."""
    return built_once(
        tmp_path_factory, "warned_publication", lambda root: build_warned_publication(root, gate_templates)
    )


def warned_run_output(warned_publication: Path) -> tuple[int, str]:
    """The exit code of the warned publication's `ehelse run` and what it printed."""
    code, printed = (warned_publication / "run.out").read_text(encoding="utf-8").split("\n", 1)
    return int(code), printed


@pytest.fixture
def warned_env(warned_publication: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A private copy of the warned publication's inbox and warehouse; env vars point at them."""
    return private_copy(warned_publication / "inbox", warned_publication / "warehouse", tmp_path, monkeypatch)


def private_copy(inbox: Path, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Copies of a shared inbox and warehouse under tmp_path, the env vars pointing at them and no
    acceptances: what a test may change."""
    copies = tmp_path / "inbox", tmp_path / "warehouse"
    shutil.copytree(inbox, copies[0])
    shutil.copytree(warehouse, copies[1])
    monkeypatch.setenv(INBOX_ENV_VAR, str(copies[0]))
    monkeypatch.setenv(WAREHOUSE_ENV_VAR, str(copies[1]))
    monkeypatch.delenv("EHELSE_ACCEPTANCES", raising=False)
    return copies


def build_refused_publication(root: Path, template: tuple[Path, Path]) -> None:
    """A copy of the published template whose inbox halves the Helsenorge visits of 2022-06 and
    2022-09 (a delivery halved by mistake: the README's case), run once: the quality gate refuses
    it. `<root>/outcome.json` is the run's RunOutcome, `<root>/published_before.sha256` the
    template's publication."""
    from tests.integration.test_quality_gate import edit_usage, halve

    copy_published_template(root, template)
    for month in ("2022-06", "2022-09"):
        edit_usage(root / "inbox", month, halve)
    record_outcome(root, publish_once(root))


@pytest.fixture(scope="session")
def refused_publication_built(gate_templates: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One refused run shared by the quality gate's tests of a refusal, the steward's view of it
    and the acceptances that answer it: built once for the session; read it through
    refused_publication, or copy it (refused_env)."""
    return built_once(
        tmp_path_factory, "refused_publication", lambda root: build_refused_publication(root, gate_templates)
    )


@pytest.fixture
def refused_publication(refused_publication_built: Path):
    """The shared refused run (`<root>/outcome.json`, `<root>/inbox`, `<root>/warehouse`), NOT
    copied: a test that wrote here fails (as published_readonly)."""
    with unchanged(refused_publication_built, "the shared refused run"):
        yield refused_publication_built


@pytest.fixture
def refused_env(refused_publication_built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A private copy of the refused run's inbox and warehouse; env vars point at them."""
    root = refused_publication_built
    return private_copy(root / "inbox", root / "warehouse", tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def restated_publication_built(gate_templates: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uninterrupted restating run with readers holding every file (fault_checks.
    build_restated_publication), built once for the session; read it through restated_publication."""
    from tests.integration.fault_checks import build_restated_publication

    return built_once(
        tmp_path_factory, "restated_publication", lambda root: build_restated_publication(root, gate_templates)
    )


@pytest.fixture
def restated_publication(restated_publication_built: Path):
    """The shared restating run (`<root>/run.json`, `<root>/inbox`, `<root>/warehouse`), NOT
    copied: read by the readers' test, the archive's test, the status as of a past date (which
    copies it: private_copy) and the dbt kill test (what its rerun owes). A test that wrote here
    would change the others' input: it fails (as published_readonly)."""
    with unchanged(restated_publication_built, "the shared restating run"):
        yield restated_publication_built


@contextlib.contextmanager
def unchanged(folder: Path, what: str):
    """Fails the test that changed any file under `folder` (added, changed or removed): a shared
    run or template that every xdist worker reads, which a test must copy before it writes
    (published_env, refused_env, warned_env: private_copy)."""
    before = file_states(folder)
    yield
    assert file_states(folder) == before, f"a test wrote into {what} {folder}: copy it first"


def file_states(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime in ns) of every file under folder: what a write would change."""
    states = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            states[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return states


@pytest.fixture
def published_readonly(gate_templates: tuple[Path, Path]):
    """The shared published warehouse and its inbox, NOT copied: for tests that only read a
    publication (open DuckDB files with read_only=True, write outputs under tmp_path). Every xdist
    worker reads the same files, so a test that wrote here would change the others' input: the
    fixture fails such a test (any file added, changed or removed) and tells it to use published_env."""
    inbox, warehouse = gate_templates
    with unchanged(inbox, "the shared template inbox"), unchanged(warehouse, "the shared published template"):
        yield gate_templates


@pytest.fixture
def published_env(gate_templates: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private copy of a published warehouse and its inbox; env vars point at them."""
    return private_copy(*gate_templates, tmp_path, monkeypatch)


def expected_seconds(item: pytest.Item) -> float:
    """What a test costs by its mark: `slow(seconds=N)` (measured under two-worker load, fixture
    set-up included), 60 for `slow` without a figure, 0 for the rest."""
    marker = item.get_closest_marker("slow")
    return 0 if marker is None else marker.kwargs.get("seconds", 60)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files whose marked tests cost most first, each file's tests together and its longest
    first, the rest in collection order: `make test` hands whole files to the workers in this
    order (--dist loadfile --no-loadscope-reorder; xdist's default reorder puts the files with
    the most tests first), and a long file started last would run alone at the end while the
    other worker idles. A file of many one-minute runs (the quality gate's) costs as much as
    one long test."""
    file_seconds: dict[Path, float] = defaultdict(float)
    for item in items:
        file_seconds[item.path] += expected_seconds(item)
    items.sort(key=lambda item: (-file_seconds[item.path], -expected_seconds(item)))
