"""The definitions of the code location, built from one Settings object (build_defs)."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.ingestion.assets import INGESTION_ASSETS
from dagster_project.defs.ingestion.checks import INGESTION_CHECKS
from dagster_project.defs.open_data.assets import open_data
from dagster_project.defs.pipeline.jobs import INGESTION_JOBS, transform_and_publish
from dagster_project.defs.pipeline.schedules import SCHEDULES
from dagster_project.defs.pipeline.sensors import SENSORS
from dagster_project.defs.publication.assets import published, status_report
from dagster_project.defs.quality.checks import GX_CHECKS
from dagster_project.defs.transform.assets import build_dbt_assets, dbt_project, prepare_manifest
from dagster_project.resources import WarehouseResource
from dagster_project.resources.dbt import EhelseDbtCliResource
from dagster_project.resources.great_expectations import GreatExpectationsResource
from dagster_project.settings import DBT_EXECUTABLE, Settings


def build_defs(settings: Settings) -> dg.Definitions:
    project = dbt_project()
    prepare_manifest(project, settings.dbt_vars())
    return dg.Definitions(
        assets=[*INGESTION_ASSETS, build_dbt_assets(project), published, status_report, open_data],
        asset_checks=[*INGESTION_CHECKS, *GX_CHECKS],
        jobs=[*INGESTION_JOBS.values(), transform_and_publish],
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "dbt": EhelseDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE, target=settings.engine),
            "great_expectations": GreatExpectationsResource(acceptances_file=str(settings.acceptances)),
        },
    )
