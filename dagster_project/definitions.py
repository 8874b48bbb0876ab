"""The Dagster code location (`dagster dev`, `dagster definitions validate`): the
definitions of defs/, built from the settings of the environment. `ehelse run`
builds its own from the settings of its command line."""

from dagster_project.defs import build_defs
from dagster_project.settings import Settings

defs = build_defs(Settings.from_env())
