"""The one settings object: built once (from the CLI's arguments over the environment)
and passed down to the runner, the Dagster resources and dbt's --vars. Nothing below
the CLI reads the environment for configuration (the pseudonym key, a secret, is read
where it is used: feeds/pseudonym.py).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from dagster_project.presentation.alerts import AlertTargets
from dagster_project.warehouse.raw_zone import RawZone
from dagster_project.warehouse.spark_cluster import parse_spark_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
# The pipeline's manifest in a target folder of its own, written only by prepare_manifest (under
# a lock): dbt run by hand (`ehelse dbt ...`, `make docs`) writes target/manifest.json, and a run
# that read that file while another process rewrote it failed (JSONDecodeError at publication).
DBT_PIPELINE_TARGET = Path("target") / "pipeline"
DBT_PIPELINE_MANIFEST = DBT_PROJECT_DIR / DBT_PIPELINE_TARGET / "manifest.json"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# The project's Dagster instance (dagster.yaml committed, its storage local): `make dev` shows
# what `ehelse run` recorded there.
DAGSTER_HOME_DIR = PROJECT_ROOT / "dagster_home"
DAGSTER_HOME_ENV_VAR = "DAGSTER_HOME"
# Every warehouse's writer pool is named <prefix><dir name>-<hash> (WarehousePaths.writer_pool).
WRITER_POOL_PREFIX = "ehelse_writer-"

# dbt installed beside this Python (the project's venv), even when the venv is not on PATH.
_VENV_DBT = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_VENV_DBT) if _VENV_DBT.exists() else (shutil.which("dbt") or "dbt")

INBOX_ENV_VAR = "EHELSE_INBOX"
WAREHOUSE_ENV_VAR = "EHELSE_WAREHOUSE_DIR"
SUPPRESSION_ENV_VAR = "EHELSE_MIN_CELL_COUNT"
ACCEPTANCES_ENV_VAR = "EHELSE_ACCEPTANCES"
INGEST_WORKERS_ENV_VAR = "EHELSE_INGEST_WORKERS"
MEMORY_LIMIT_ENV_VAR = "EHELSE_DUCKDB_MEMORY_LIMIT"
PG_URL_ENV_VAR = "EHELSE_PUBLISH_PG_URL"
RAW_RETENTION_ENV_VAR = "EHELSE_RAW_RETENTION_DAYS"
ENGINE_ENV_VAR = "EHELSE_ENGINE"  # duckdb (one machine) or spark (docs/scale-out.md): the dbt target
# thrift://host:port of a Spark cluster's SQL server (`make spark-cluster`): engine spark builds there.
SPARK_URL_ENV_VAR = "EHELSE_SPARK_URL"
CLOCK_ENV_VAR = "EHELSE_CLOCK"  # fixes the load-time clock (tests, reproducible runs): warehouse/clock.py
ARCHIVE_MONTHS_ENV_VAR = "EHELSE_ARCHIVE_MONTHS"  # publications kept under published/archive (outputs.md)
DEFAULT_ARCHIVE_MONTHS = 24
# How long a run waits for another run that holds the warehouse's writer slot before it gives up.
WRITER_WAIT_ENV_VAR = "EHELSE_WRITER_WAIT_SECONDS"
DEFAULT_WRITER_WAIT_SECONDS = 1800.0
# The first month of the Dagster partitions (YYYY-MM): by default the earliest baseline period
# of the measure catalog, so the UI does not count years before the data as missing.
PARTITIONS_START_ENV_VAR = "EHELSE_PARTITIONS_START"
# Who hears of a failed run (the run-failure sensor, under `make dev`): SMTP and/or a webhook.
ALERT_SMTP_HOST_ENV_VAR = "EHELSE_ALERT_SMTP_HOST"
ALERT_SMTP_PORT_ENV_VAR = "EHELSE_ALERT_SMTP_PORT"
ALERT_EMAIL_FROM_ENV_VAR = "EHELSE_ALERT_EMAIL_FROM"
ALERT_EMAIL_TO_ENV_VAR = "EHELSE_ALERT_EMAIL_TO"  # comma-separated addresses
ALERT_WEBHOOK_ENV_VAR = "EHELSE_ALERT_WEBHOOK_URL"
DEFAULT_INBOX = "data/inbox"
DEFAULT_WAREHOUSE = "data/warehouse"
# Per DuckDB process (ours and dbt's, which never work at the same time): keeps the
# whole pipeline under 2 GB at national scale; DuckDB spills to disk beyond it.
DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_MIN_CELL_COUNT = 5
ENGINES = ("duckdb", "spark")  # the targets of dbt_project/profiles.yml
SPARK_THRIFT_TARGET = "spark_thrift"  # engine spark with a SPARK_URL: the cluster's SQL server
DEFAULT_ENGINE = "duckdb"
# What EHELSE_ENGINE=spark needs beyond the base install (`make spark` installs it): the spark
# extra's packages (module, distribution) and a Java runtime for Spark's local mode.
SPARK_MODULES = (("dbt.adapters.spark", "dbt-spark"), ("pyspark", "pyspark"))


def missing_for_engine(
    engine: str, modules: tuple[tuple[str, str], ...] = SPARK_MODULES, environ: dict[str, str] | None = None
) -> list[str]:
    """What `engine` needs that this installation lacks, named for the user; empty when ready.
    Checked before a run does any work, so a missing extra is not a dbt failure minutes later."""
    if engine != "spark":
        return []
    env = os.environ if environ is None else environ
    missing = [f"the Python package {dist}" for module, dist in modules if not _importable(module)]
    if not _java_runtime(env):
        missing.append("a Java runtime (java on PATH or in JAVA_HOME)")
    return missing


def engine_missing_message(engine: str, missing: list[str]) -> str:
    return (
        f"EHELSE_ENGINE={engine} needs what is not installed: {'; '.join(missing)}. "
        f"Run `make {engine}` to install it (or unset EHELSE_ENGINE for DuckDB); nothing was run."
    )


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _java_runtime(env: dict[str, str]) -> bool:
    # Where pyspark looks: JAVA_HOME/bin/java when JAVA_HOME is set, else java on PATH.
    if env.get("JAVA_HOME"):
        return os.access(Path(env["JAVA_HOME"]) / "bin" / "java", os.X_OK)
    return shutil.which("java", path=env.get("PATH", "")) is not None


def dbt_target(engine: str, spark_url: str | None) -> str:
    """The profiles.yml target: the engine's, and on Spark the cluster's when a URL is set."""
    return SPARK_THRIFT_TARGET if engine == "spark" and spark_url else engine


@dataclass(frozen=True)
class WarehousePaths:
    """The files of one warehouse directory."""

    root: Path

    @property
    def working_db(self) -> Path:
        """dbt's models and the audit tables. BI tools never open it."""
        return self.root / "warehouse.duckdb"

    @property
    def raw_zone(self) -> RawZone:
        """Every accepted file version as Parquet, and the ledger (warehouse/raw_zone.py)."""
        return RawZone(self.root / "raw")

    @property
    def published_db(self) -> Path:
        """The database BI tools open read-only; replaced only by a passed gate."""
        return self.root / "published.duckdb"

    @property
    def build_summary(self) -> Path:
        """Tests run and failed in the last dbt build (written by the dbt asset)."""
        return self.root / "dbt_build_summary.json"

    @property
    def publication_fingerprint(self) -> Path:
        """What the current publication was made from (runner.py): the same again is no work."""
        return self.root / "last_publication_fingerprint"

    @property
    def postgres_fingerprint(self) -> Path:
        """Which publication the PostgreSQL target was last loaded with (runner.py)."""
        return self.root / "last_postgres_fingerprint"

    @property
    def unit_tests_passed(self) -> Path:
        """The dbt project (and target) whose unit tests all passed here last (gate/dbt_tests.py)."""
        return self.root / "dbt_unit_tests_passed"

    @property
    def report(self) -> Path:
        """The council's status report, rendered from published.duckdb."""
        return self.root / "status_report.html"

    @property
    def spark_dir(self) -> Path:
        """The Spark engine's metastore and tables (engine spark): marts are Parquet under
        spark/warehouse/marts.db/<table>, which the working database reads as views."""
        return self.root / "spark"

    @property
    def parquet_dir(self) -> Path:
        return self.root / "published"

    @property
    def writer_pool(self) -> str:
        """The Dagster pool (limit 1) that every run writing this warehouse holds, named from the
        warehouse's path: two warehouses recorded in one Dagster instance never wait for each
        other. Also the value of the runs' ehelse/writes-warehouse tag (63 characters at most)."""
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", self.root.resolve().name)[:24]
        return f"{WRITER_POOL_PREFIX}{name}-{digest}"

    @property
    def inbox_hashes(self) -> Path:
        """sha256 of each inbox file by size and mtime, so unchanged files are not read again."""
        return self.root / "inbox_sha256.json"


def dbt_vars(paths: WarehousePaths, memory_limit: str, min_cell_count: int, **more: str) -> dict[str, object]:
    """Everything dbt is told, as --vars (profiles.yml and the models read them; dbt reads
    no configuration from the environment)."""
    return {
        "warehouse_dir": str(paths.root),
        "raw_zone": str(paths.raw_zone.root),
        "memory_limit": memory_limit,
        "min_cell_count": min_cell_count,
        **more,
    }


def spark_url_vars(spark_url: str) -> dict[str, object]:
    """The cluster's SQL server as the dbt vars the spark_thrift target reads (none without a URL)."""
    if not spark_url:
        return {}
    host, port = parse_spark_url(spark_url)
    return {"spark_host": host, "spark_port": port}


def earliest_catalog_period(catalog: Path | None = None) -> str:
    """The first month any measure's baseline needs (measure_catalog.csv's baseline_period:
    "2021", "2021-09/2022-09", "2022-11-29" ...), as YYYY-MM."""
    with (catalog or SEEDS_DIR / "measure_catalog.csv").open(encoding="utf-8") as f:
        starts = [row["baseline_period"].split("/")[0] for row in csv.DictReader(f) if row["baseline_period"]]
    return min(f"{start}-01"[:7] for start in starts)


def _alert_targets(env: dict[str, str]) -> AlertTargets:
    return AlertTargets(
        smtp_host=env.get(ALERT_SMTP_HOST_ENV_VAR) or "",
        smtp_port=int(env.get(ALERT_SMTP_PORT_ENV_VAR) or 25),
        email_from=env.get(ALERT_EMAIL_FROM_ENV_VAR) or AlertTargets.email_from,
        email_to=tuple(a.strip() for a in (env.get(ALERT_EMAIL_TO_ENV_VAR) or "").split(",") if a.strip()),
        webhook_url=env.get(ALERT_WEBHOOK_ENV_VAR) or "",
    )


@dataclass(frozen=True)
class Settings:
    inbox: Path
    warehouse_dir: Path
    acceptances: Path
    pg_url: str | None = None
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT
    ingest_workers: int = 1
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    # Days a superseded file version stays in the raw zone; None keeps every version.
    raw_retention_days: int | None = None
    archive_months: int = DEFAULT_ARCHIVE_MONTHS  # months of publications kept under published/archive
    as_of_date: str = ""  # the date statuses are computed as of (YYYY-MM-DD); empty: today
    dagster_home: Path = DAGSTER_HOME_DIR  # the Dagster instance `ehelse run` records into
    engine: str = DEFAULT_ENGINE  # where dbt builds: duckdb or spark (the dbt target)
    clock: str = ""  # an ISO instant the load-time clock starts at; empty: the system clock
    # Seconds a run waits for the run holding this warehouse's writer slot, then gives up saying so.
    writer_wait_seconds: float = DEFAULT_WRITER_WAIT_SECONDS
    alerts: AlertTargets = AlertTargets()  # where a failed run is told; none by default
    partitions_start: str = ""  # first month of the Dagster partitions (YYYY-MM); empty: the catalog's earliest
    spark_url: str = ""  # thrift://host:port of a Spark SQL server; engine spark then builds there

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"{ENGINE_ENV_VAR}={self.engine!r}: expected one of {', '.join(ENGINES)}")
        if not self.partitions_start:
            object.__setattr__(self, "partitions_start", earliest_catalog_period())  # frozen: set once here
        elif not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.partitions_start):
            raise ValueError(f"{PARTITIONS_START_ENV_VAR}={self.partitions_start!r}: expected YYYY-MM")
        spark_url_vars(self.spark_url)  # a malformed URL is refused here, naming the variable

    @property
    def dbt_target(self) -> str:
        """The profiles.yml target: the engine's, and on Spark the cluster's when a URL is set."""
        return dbt_target(self.engine, self.spark_url)

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(self.warehouse_dir)

    def dbt_vars(self, **more: str) -> dict[str, object]:
        return dbt_vars(self.paths, self.memory_limit, self.min_cell_count, **spark_url_vars(self.spark_url), **more)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from the environment (EHELSE_*), with explicit values (the CLI's) winning."""
        env = dict(os.environ if environ is None else environ)
        settings = cls(
            inbox=Path(env.get(INBOX_ENV_VAR) or DEFAULT_INBOX).resolve(),
            warehouse_dir=Path(env.get(WAREHOUSE_ENV_VAR) or DEFAULT_WAREHOUSE).resolve(),
            acceptances=Path(env.get(ACCEPTANCES_ENV_VAR) or EXPECTATIONS_DIR / "acceptances.csv").resolve(),
            pg_url=env.get(PG_URL_ENV_VAR) or None,
            min_cell_count=int(env.get(SUPPRESSION_ENV_VAR) or DEFAULT_MIN_CELL_COUNT),
            # Files parsed at once (each on its own DuckDB cursor); default: the cores, at most 4.
            ingest_workers=max(1, int(env.get(INGEST_WORKERS_ENV_VAR) or min(4, os.cpu_count() or 1))),
            memory_limit=env.get(MEMORY_LIMIT_ENV_VAR) or DEFAULT_MEMORY_LIMIT,
            raw_retention_days=int(env[RAW_RETENTION_ENV_VAR]) if env.get(RAW_RETENTION_ENV_VAR) else None,
            archive_months=int(env.get(ARCHIVE_MONTHS_ENV_VAR) or DEFAULT_ARCHIVE_MONTHS),
            dagster_home=Path(env.get(DAGSTER_HOME_ENV_VAR) or DAGSTER_HOME_DIR).resolve(),
            engine=(env.get(ENGINE_ENV_VAR) or DEFAULT_ENGINE).lower(),
            clock=env.get(CLOCK_ENV_VAR) or "",
            writer_wait_seconds=float(env.get(WRITER_WAIT_ENV_VAR) or DEFAULT_WRITER_WAIT_SECONDS),
            alerts=_alert_targets(env),
            partitions_start=env.get(PARTITIONS_START_ENV_VAR) or "",
            spark_url=env.get(SPARK_URL_ENV_VAR) or "",
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("inbox", "warehouse_dir", "acceptances"):
            if key in given:
                given[key] = Path(given[key]).resolve()
        return replace(settings, **given)
