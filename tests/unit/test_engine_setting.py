"""EHELSE_ENGINE: the one setting that picks the dbt target (docs/scale-out.md)."""

import pytest
import yaml

from dagster_project.settings import DBT_PROJECT_DIR, ENGINES, SPARK_THRIFT_TARGET, Settings


def test_the_engine_defaults_to_duckdb_and_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).engine == "duckdb"
    assert Settings.from_env({"EHELSE_ENGINE": "Spark"}).engine == "spark"
    assert Settings.from_env({"EHELSE_ENGINE": "spark"}, engine="duckdb").engine == "duckdb"


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="EHELSE_ENGINE='bigquery'"):
        Settings.from_env({"EHELSE_ENGINE": "bigquery"})


def test_every_engine_is_a_target_of_the_profile() -> None:
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["ehelse"]
    # Engine spark has a second target, the cluster's SQL server (EHELSE_SPARK_URL, issue 25).
    assert set(profile["outputs"]) == {*ENGINES, SPARK_THRIFT_TARGET}
    assert profile["outputs"]["spark"]["method"] == "session"
    assert profile["outputs"][SPARK_THRIFT_TARGET]["method"] == "thrift"
