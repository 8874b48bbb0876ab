"""The Dagster code location: everything is defined under defs/."""

from __future__ import annotations

import os

import dagster as dg

from dagster_project.defs.ingestion.assets import INGESTION_ASSETS
from dagster_project.defs.ingestion.checks import INGESTION_CHECKS
from dagster_project.defs.pipeline.jobs import ingest_daily_lookups, ingest_monthly_feeds, transform_and_publish
from dagster_project.defs.pipeline.schedules import monthly_ingestion_schedule, monthly_publication_schedule
from dagster_project.defs.pipeline.sensors import inbox_sensor, publish_after_ingestion
from dagster_project.defs.publication.assets import published, status_report
from dagster_project.defs.quality.checks import GX_CHECKS
from dagster_project.defs.transform.assets import DBT_PROJECT, ehelse_dbt_models
from dagster_project.lib.settings import (
    DBT_EXECUTABLE,
    INBOX_ENV_VAR,
    WAREHOUSE_ENV_VAR,
    inbox_dir,
    warehouse_dir,
)
from dagster_project.resources import WarehouseResource
from dagster_project.resources.dbt import EhelseDbtCliResource
from dagster_project.resources.great_expectations import GreatExpectationsResource

# EnvVar needs the variables set: default them to absolute paths so that
# `dagster dev` and the CLI agree with the Makefile without extra setup.
os.environ.setdefault(INBOX_ENV_VAR, str(inbox_dir()))
os.environ.setdefault(WAREHOUSE_ENV_VAR, str(warehouse_dir()))

defs = dg.Definitions(
    assets=[*INGESTION_ASSETS, ehelse_dbt_models, published, status_report],
    asset_checks=[*INGESTION_CHECKS, *GX_CHECKS],
    jobs=[ingest_monthly_feeds, ingest_daily_lookups, transform_and_publish],
    schedules=[monthly_ingestion_schedule, monthly_publication_schedule],
    sensors=[inbox_sensor, publish_after_ingestion],
    resources={
        "warehouse": WarehouseResource(inbox=dg.EnvVar(INBOX_ENV_VAR), warehouse_dir=dg.EnvVar(WAREHOUSE_ENV_VAR)),
        "dbt": EhelseDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE),
        "great_expectations": GreatExpectationsResource(),
    },
)
