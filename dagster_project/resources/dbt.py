"""dagster-dbt's DbtCliResource without the two start-up costs we never use.

On every run dagster-dbt (0.29) asks the dbt executable for its version
(`dbt --version` in a subprocess, ~2 s, to tell dbt Core from Fusion) and
builds a dbt adapter in this process (~1 s), which only serves
fetch_row_counts()/fetch_column_metadata(). We install dbt Core ourselves (the
lock pins it) and count rows on our own connection (transform/assets.py), so
both are answered here without the cost. If a dagster-dbt upgrade renames
these members, the overrides simply stop applying.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class EhelseDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        # DBT_EXECUTABLE is the dbt of this environment, so its version is the installed package's.
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):  # noqa: ARG002 (same signature as the parent)
        return None  # no adapter: DbtCliInvocation then skips adapter-based metadata, which we never ask for
