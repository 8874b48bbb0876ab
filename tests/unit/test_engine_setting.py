"""EHELSE_ENGINE: the one setting that picks the dbt target (docs/scale-out.md)."""

import pytest
import yaml

from dagster_project.settings import DBT_PROJECT_DIR, ENGINES, Settings, missing_for_engine


def test_the_engine_defaults_to_duckdb_and_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).engine == "duckdb"
    assert Settings.from_env({"EHELSE_ENGINE": "Spark"}).engine == "spark"
    assert Settings.from_env({"EHELSE_ENGINE": "spark"}, engine="duckdb").engine == "duckdb"


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="EHELSE_ENGINE='bigquery'"):
        Settings.from_env({"EHELSE_ENGINE": "bigquery"})


def test_every_engine_is_a_target_of_the_profile() -> None:
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["ehelse"]
    assert set(profile["outputs"]) == set(ENGINES)
    assert profile["outputs"]["spark"]["method"] == "session"


def test_the_duckdb_engine_needs_nothing_more() -> None:
    assert missing_for_engine("duckdb", environ={"PATH": ""}) == []


def test_spark_names_a_missing_package_and_a_missing_java(tmp_path) -> None:
    """The real import check and the real PATH lookup: a module that is not installed and a PATH
    without java are named; an installed module and a java on PATH are not."""
    modules = (("duckdb", "duckdb"), ("ehelse_no_such_module.adapters", "ehelse-no-such-package"))
    missing = missing_for_engine("spark", modules, environ={"PATH": str(tmp_path)})
    assert missing == ["the Python package ehelse-no-such-package", "a Java runtime (java on PATH or in JAVA_HOME)"]
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    assert missing_for_engine("spark", modules[:1], environ={"PATH": str(java.parent)}) == []
    assert missing_for_engine("spark", modules[:1], environ={"PATH": "", "JAVA_HOME": str(tmp_path)}) == []


def test_a_spark_run_without_java_stops_before_any_work(tmp_path, monkeypatch) -> None:
    """EHELSE_ENGINE=spark where Java is missing: the run refuses at once, naming what is missing and
    `make spark`, and leaves the warehouse directory untouched (no lock, no database, no instance)."""
    from dagster_project.runner import run_pipeline

    monkeypatch.setenv("PATH", str(tmp_path / "no-java"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    settings = Settings.from_env(
        {
            "EHELSE_ENGINE": "spark",
            "EHELSE_INBOX": str(tmp_path / "inbox"),
            "EHELSE_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        }
    )
    outcome = run_pipeline(settings)
    assert not outcome.ok and not outcome.published
    assert "EHELSE_ENGINE=spark needs" in outcome.message and "a Java runtime" in outcome.message
    assert "make spark" in outcome.message
    assert not (tmp_path / "warehouse").exists() and not (tmp_path / "dagster_home").exists()
