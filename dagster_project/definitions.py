"""The Dagster code location (`dagster dev`, `dagster definitions validate`): the
definitions of defs/, built from the settings of the environment. `ehelse run`
builds its own from the settings of its command line."""

from dagster_project.defs import build_defs
from dagster_project.settings import Settings, engine_missing_message, missing_for_engine

_settings = Settings.from_env()
# The UI's runs would fail in the dbt step with dbt's opaque error: refuse to load instead,
# naming what the engine lacks and `make spark` (the same check as `ehelse run`).
if missing := missing_for_engine(_settings.engine):
    raise RuntimeError(engine_missing_message(_settings.engine, missing))

defs = build_defs(_settings)
