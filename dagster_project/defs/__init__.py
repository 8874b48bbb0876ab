"""The definitions of the code location, built from one Settings object (build_defs)."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.ingestion.assets import LEDGER_SPEC, ingestion_assets
from dagster_project.defs.ingestion.checks import ingestion_checks
from dagster_project.defs.ingestion.freshness import freshness_checks, freshness_job_and_schedule
from dagster_project.defs.open_data.assets import open_data
from dagster_project.defs.pipeline.alerts import build_failure_alert_sensor
from dagster_project.defs.pipeline.jobs import build_jobs
from dagster_project.defs.pipeline.schedules import build_schedules
from dagster_project.defs.pipeline.sensors import build_sensors
from dagster_project.defs.publication.assets import (
    POSTGRES_KEY,
    build_published,
    build_published_postgres,
    status_report,
)
from dagster_project.defs.publication.sweep import build_sweep
from dagster_project.defs.quality.checks import gx_checks
from dagster_project.defs.transform.assets import KNOWN_STATUS_SPEC, build_dbt_assets, dbt_project, prepare_manifest
from dagster_project.feeds.base import Feed
from dagster_project.feeds.registry import feeds as registered_feeds
from dagster_project.resources import WarehouseResource
from dagster_project.resources.dbt import EhelseDbtCliResource
from dagster_project.resources.great_expectations import GreatExpectationsResource
from dagster_project.settings import DBT_EXECUTABLE, Settings


def build_defs(settings: Settings, feeds: tuple[Feed, ...] | None = None) -> dg.Definitions:
    """The code location for one warehouse (settings) and its feeds (default: the registry's),
    built from these arguments only: nothing in defs/ is computed on import."""
    feeds = registered_feeds() if feeds is None else feeds
    project = dbt_project()
    prepare_manifest(project, settings.dbt_vars())
    # Every step that writes this warehouse runs in its pool: one run at a time per warehouse.
    pool = settings.paths.writer_pool
    jobs = build_jobs(feeds, pool, settings.partitions_start, POSTGRES_KEY if settings.pg_url else None)
    freshness = freshness_checks(feeds)
    freshness_job, freshness_schedule = freshness_job_and_schedule(freshness)
    return dg.Definitions(
        assets=[
            *ingestion_assets(feeds, pool, settings.partitions_start),
            LEDGER_SPEC,
            KNOWN_STATUS_SPEC,
            build_dbt_assets(project, pool),
            build_published(feeds, pool),
            *([build_published_postgres(pool)] if settings.pg_url else []),
            status_report,
            build_sweep(pool),
            open_data,
        ],
        asset_checks=[*ingestion_checks(feeds), *freshness, *gx_checks(pool)],
        jobs=[*jobs.all, freshness_job],
        schedules=[*build_schedules(jobs), freshness_schedule],
        sensors=[*build_sensors(jobs, feeds), build_failure_alert_sensor(settings.alerts, str(settings.warehouse_dir))],
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "dbt": EhelseDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE, target=settings.dbt_target),
            "great_expectations": GreatExpectationsResource(acceptances_file=str(settings.acceptances)),
        },
    )
