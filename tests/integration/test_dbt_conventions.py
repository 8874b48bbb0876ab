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

from dagster_project.defs.transform.assets import dbt_project, prepare_manifest
from dagster_project.feeds.registry import feeds as feeds_
from dagster_project.feeds.registry import raw_tables
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, PROJECT_ROOT, Settings, WarehousePaths

EXAMPLE_QUERIES = PROJECT_ROOT / "examples" / "queries"
REPORT_SQL = PROJECT_ROOT / "dagster_project" / "presentation" / "report.py"
PK_TESTS = {"unique", "unique_since"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    project = dbt_project()
    prepare_manifest(project, Settings.from_env().dbt_vars())
    return json.loads(Path(project.manifest_path).read_text())


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
    # Every feed delivered on a cadence; the stewards' comments come when there is something to say.
    cadenced = {t for f in feeds_() if f.freshness for t in f.table_names}
    assert cadenced == set(raw_tables()) - {"manual_comments"}
    feeds = [s for s in manifest["sources"].values() if s["name"] in cadenced]
    assert len(feeds) == len(cadenced)
    for source in feeds:
        freshness = source["config"]["freshness"] or {}
        thresholds = [(freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after")]
        assert any(thresholds), source["unique_id"]
        assert source["loaded_at_query"] or source["loaded_at_field"], source["unique_id"]
        assert source["description"], source["unique_id"]


def run_freshness(warehouse: Path, target: Path) -> dict[str, str]:
    done = subprocess.run(
        [
            *(DBT_EXECUTABLE, "source", "freshness", "--profiles-dir", ".", "--target-path", str(target)),
            *("--vars", json.dumps(Settings.from_env(warehouse_dir=warehouse).dbt_vars())),
        ],
        cwd=DBT_PROJECT_DIR,
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
    assert {k: v for k, v in statuses.items() if v != "pass"} == {}

    # No PLL file for 100 days: the append-only ledger's PLL entries, dated back.
    con = duckdb.connect()
    for entry in (WarehousePaths(warehouse).raw_zone.ledger_dir).glob("*.parquet"):
        [(family,)] = con.execute(f"select max(source_family) from read_parquet('{entry}')").fetchall() or [(None,)]
        if family == "pll_monthly":
            dated_back = entry.with_suffix(".tmp")
            con.execute(
                f"copy (select * replace (finished_at - interval 100 day as finished_at) "
                f"from read_parquet('{entry}')) to '{dated_back}' (format parquet)"
            )
            os.replace(dated_back, entry)
    con.close()
    statuses = run_freshness(warehouse, tmp_path / "stale")
    assert statuses.pop("raw.pll_monthly") == "error"
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
