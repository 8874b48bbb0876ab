"""dbt conventions a dbt user expects: a primary-key test on every model, freshness on every
feed, exposures for everything that reads the marts."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.transform.assets import DBT_PROJECT, ensure_manifest
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, PROJECT_ROOT, WarehousePaths

EXAMPLE_QUERIES = PROJECT_ROOT / "examples" / "queries"
REPORT_SQL = PROJECT_ROOT / "dagster_project" / "lib" / "report.py"
PK_TESTS = {"unique", "unique_since"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    ensure_manifest()
    return json.loads(Path(DBT_PROJECT.manifest_path).read_text())


def test_every_model_has_a_primary_key_test(manifest: dict) -> None:
    tests_by_column: dict[str, dict[str | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata"):
            tests_by_column[node["attached_node"]][node.get("column_name")].add(node["test_metadata"]["name"])
    models = [key for key, node in manifest["nodes"].items() if node["resource_type"] == "model"]
    assert len(models) > 20
    missing = [
        key
        for key in models
        if not any(
            (names & PK_TESTS and "not_null" in names) or "unique_combination_of_columns" in names
            for names in tests_by_column[key].values()
        )
    ]
    assert missing == []


def test_every_feed_source_has_freshness(manifest: dict) -> None:
    feeds = [s for s in manifest["sources"].values() if s["source_name"] != "ingestion"]
    assert len(feeds) == 8
    for source in feeds:
        freshness = source["config"]["freshness"] or {}
        thresholds = [(freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after")]
        assert any(thresholds), source["unique_id"]
        assert source["loaded_at_query"] or source["loaded_at_field"], source["unique_id"]
        assert source["description"], source["unique_id"]


def run_freshness(warehouse: Path, target: Path) -> dict[str, str]:
    done = subprocess.run(
        [DBT_EXECUTABLE, "source", "freshness", "--profiles-dir", ".", "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "EHELSE_WAREHOUSE_DIR": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = json.loads((target / "sources.json").read_text())["results"]
    assert results, done.stdout[-2000:]
    return {r["unique_id"].removeprefix("source.ehelse."): r["status"] for r in results}


def test_source_freshness_passes_after_a_load_and_errors_on_a_stale_feed(published_env, tmp_path: Path) -> None:
    _, warehouse = published_env
    statuses = run_freshness(warehouse, tmp_path / "fresh")
    assert set(statuses.values()) == {"pass"}, statuses

    con = duckdb.connect(str(WarehousePaths(warehouse).working_db))
    con.execute("update raw.load_ledger set finished_at = finished_at - interval 100 day where source_family = 'pll'")
    con.close()
    statuses = run_freshness(warehouse, tmp_path / "stale")
    assert statuses.pop("pll.monthly") == "error"
    assert set(statuses.values()) == {"pass"}, statuses


def marts_read_by(sql: str) -> set[str]:
    return set(re.findall(r"marts\.([a-z_]+)", sql))


def test_exposures_cover_the_report_and_every_example_query(manifest: dict) -> None:
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    models = {key: node["name"] for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    readers = {q.stem: marts_read_by(q.read_text()) for q in EXAMPLE_QUERIES.glob("*.sql")}
    # The report also reads the publication's own tables, which dbt does not build.
    readers["status_report"] = marts_read_by(REPORT_SQL.read_text()) & set(models.values())
    assert len(readers) >= 4
    for name, tables in readers.items():
        assert name in exposures, name
        assert {models[k] for k in exposures[name]["depends_on"]["nodes"]} == tables, name
