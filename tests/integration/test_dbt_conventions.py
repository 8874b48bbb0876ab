"""dbt conventions a dbt user expects: a primary-key test on every model, freshness on every
feed, exposures for everything that reads the marts, and an enforced contract on every
published mart."""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.transform.assets import dbt_project, prepare_manifest
from dagster_project.feeds.registry import feeds as feeds_
from dagster_project.feeds.registry import raw_tables
from dagster_project.gate import dbt_tests
from dagster_project.publication import publish
from dagster_project.publication.publish import PUBLISHED_TABLES
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, PROJECT_ROOT, Settings, WarehousePaths

EXAMPLE_QUERIES = PROJECT_ROOT / "examples" / "queries"
REPORT_SQL = PROJECT_ROOT / "dagster_project" / "presentation" / "report.py"
MEETING_SQL = PROJECT_ROOT / "dagster_project" / "presentation" / "meeting.py"  # the report's meeting section
PK_TESTS = {"unique"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    project = dbt_project()
    prepare_manifest(project, Settings.from_env().dbt_vars())
    return json.loads(Path(project.manifest_path).read_text())


def test_a_dbt_command_run_by_hand_leaves_the_manifest_a_run_reads_alone(manifest: dict) -> None:
    """`ehelse dbt parse` (like `ehelse dbt docs generate`, or a build by hand beside a run) writes
    dbt's own target/manifest.json. The manifest a run builds from and publishes the marts'
    descriptions from is another file, so a run never reads one half-written by a command beside
    it (seen in the suite: a run refused at publication with a JSONDecodeError)."""
    pipeline_manifest = dbt_project().manifest_path
    assert inspect.signature(publish.dbt_descriptions).parameters["manifest"].default == pipeline_manifest
    before = pipeline_manifest.stat().st_mtime_ns
    ehelse = Path(sys.executable).parent / "ehelse"
    done = subprocess.run([str(ehelse), "dbt", "parse"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (DBT_PROJECT_DIR / "target" / "manifest.json").stat().st_mtime_ns > before  # the command wrote its own
    assert pipeline_manifest.stat().st_mtime_ns == before


def test_every_model_has_a_primary_key_test(manifest: dict) -> None:
    tests_by_column: dict[str, dict[str | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata"):
            tests_by_column[node["attached_node"]][node.get("column_name")].add(node["test_metadata"]["name"])
    # A key in row_rules counts; a key of one column only with that column not null too (as a
    # column's unique counts only beside its not_null).
    keyed_by_row_rules = {
        node["attached_node"]
        for node in manifest["nodes"].values()
        if (node.get("test_metadata") or {}).get("name") == "row_rules"
        and (key := node["test_metadata"]["kwargs"].get("key"))
        and (len(key) > 1 or set(key) <= set(node["test_metadata"]["kwargs"].get("not_null") or []))
    }
    models = [key for key, node in manifest["nodes"].items() if node["resource_type"] == "model"]
    assert len(models) > 20
    missing = [
        key
        for key in models
        if key not in keyed_by_row_rules
        and not any(names & PK_TESTS and "not_null" in names for names in tests_by_column[key].values())
    ]
    assert missing == []


def test_every_feed_source_has_freshness(manifest: dict) -> None:
    # Every feed delivered on a cadence; the stewards' comments come when there is something to
    # say, and the meeting register changes when a meeting is planned.
    cadenced = {t for f in feeds_() if f.freshness for t in f.table_names}
    assert cadenced == set(raw_tables()) - {"manual_comments", "meetings"}
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

    # No PLL file for 100 days: the append-only ledger's PLL entries, dated back (in whichever
    # file holds them: an entry's own, or the month's folded file beside other feeds' entries).
    con = duckdb.connect()
    for entry in (WarehousePaths(warehouse).raw_zone.ledger_dir).glob("*.parquet"):
        dated_back = entry.with_suffix(".tmp")
        con.execute(
            "copy (select * replace (case when source_family = 'pll_monthly' then finished_at - interval 100 day "
            f"else finished_at end as finished_at) from read_parquet('{entry}')) to '{dated_back}' (format parquet)"
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
    report_sql = REPORT_SQL.read_text() + MEETING_SQL.read_text()
    readers["status_report"] = marts_read_by(report_sql) & set(models.values())
    assert len(readers) >= 4
    for name, tables in readers.items():
        assert name in exposures, name
        assert {models[k] for k in exposures[name]["depends_on"]["nodes"]} == tables, name


def test_every_published_mart_has_an_enforced_contract(manifest: dict) -> None:
    marts = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for table in PUBLISHED_TABLES:
        node = marts[table]
        assert node["config"]["contract"]["enforced"], table
        assert node["columns"], table
        untyped = [name for name, column in node["columns"].items() if not column.get("data_type")]
        assert untyped == [], table


def test_published_column_types_are_the_contracts(manifest: dict, published_readonly) -> None:
    """The published file has the declared columns, in their order, with the declared types
    (as DuckDB names them: string is VARCHAR)."""
    marts = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    _, warehouse = published_readonly
    with duckdb.connect(str(WarehousePaths(warehouse).published_db), read_only=True) as con:
        for table in PUBLISHED_TABLES:
            declared = marts[table]["columns"].values()
            typed = ", ".join(f"cast(null as {c['data_type']}) as {c['name']}" for c in declared)
            expected = [(row[0], row[1]) for row in con.execute(f"describe select {typed}").fetchall()]
            published = [(row[0], row[1]) for row in con.execute(f"describe marts.{table}").fetchall()]
            assert published == expected, table


def test_a_mart_whose_column_type_drifts_fails_its_contract(published_env, tmp_path: Path) -> None:
    """The contract is executable: in a copy of the project, kjernejournal_lookups_monthly
    publishes n_lookups (a bigint) as text, and dbt refuses to build it."""
    _, warehouse = published_env
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    model = project / "models" / "marts" / "kjernejournal_lookups_monthly.sql"
    sql = model.read_text()
    drifted = sql.replace("cast(split.n_lookups as bigint)", "cast(split.n_lookups as {{ dbt.type_string() }})")
    assert drifted != sql
    model.write_text(drifted)
    done = subprocess.run(
        [
            *(DBT_EXECUTABLE, "run", "--select", "kjernejournal_lookups_monthly", "--profiles-dir", "."),
            *("--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")),
            *("--vars", json.dumps(Settings.from_env(warehouse_dir=warehouse).dbt_vars())),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0, done.stdout[-2000:]
    assert "This model has an enforced contract that failed" in done.stdout, done.stdout[-3000:]
    mismatches = [line for line in done.stdout.splitlines() if "data type mismatch" in line]
    assert len(mismatches) == 1 and "n_lookups" in mismatches[0], done.stdout[-3000:]
    # The published-to-be table in the warehouse is the previous build's, untouched.
    with duckdb.connect(str(WarehousePaths(warehouse).working_db), read_only=True) as con:
        columns = con.execute("describe marts.kjernejournal_lookups_monthly").fetchall()
    assert ("n_lookups", "BIGINT") in [(row[0], row[1]) for row in columns]


def test_lookup_ids_are_stored_as_uuids_so_their_unique_test_fits_the_memory_limit(published_readonly) -> None:
    """As text, the `unique` test over a national year's 73 million lookup ids needs more than
    the default 1 GB (DuckDB: out of memory, the first load refused); as 16-byte UUIDs it ran in
    24 s (benchmarks/national_year.py). Ingestion has checked every id is a UUID."""
    _, warehouse = published_readonly
    with duckdb.connect(str(WarehousePaths(warehouse).working_db), read_only=True) as con:
        [(data_type,)] = con.execute(
            "select data_type from information_schema.columns "
            "where table_name = 'stg_kjernejournal__lookups' and column_name = 'lookup_id'"
        ).fetchall()
    assert data_type == "UUID"


def test_a_models_key_and_not_null_rules_are_one_test(manifest: dict) -> None:
    """A model's key and its columns' not_null are entries of its one row_rules test (one node,
    one query and one Spark job per model instead of one per rule and column); a per-column
    unique or not_null stays only with a config of its own (the lookups' new days)."""
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]

    def rule(node: dict) -> str | None:
        return (node.get("test_metadata") or {}).get("name")

    per_column = [n["name"] for n in tests if rule(n) in ("unique", "not_null") and not n["config"].get("where")]
    assert per_column == []
    row_rules = [n["attached_node"] for n in tests if rule(n) == "row_rules"]
    assert len(row_rules) == len(set(row_rules)) > 60


def test_a_null_or_a_repeated_key_in_a_mart_fails_its_row_rules_naming_the_column_and_the_key(
    published_env, tmp_path: Path
) -> None:
    """The merged rules still fail on one null and on one repeated key, and the steward's message
    (dbt_tests) names the model, the rules, the column that is null and the key repeated."""
    _, warehouse = published_env
    with duckdb.connect(str(WarehousePaths(warehouse).working_db)) as con:
        (first, last) = con.execute("select min(measure_id), max(measure_id) from marts.dim_measure").fetchone()
        con.execute("update marts.dim_measure set name_nb = null where measure_id = ?", [first])
        con.execute("insert into marts.dim_measure select * from marts.dim_measure where measure_id = ?", [last])
    target = tmp_path / "target"
    done = subprocess.run(
        [
            *(DBT_EXECUTABLE, "test", "--select", "dim_measure,test_name:row_rules"),
            *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--target-path", str(target), "--log-path", str(tmp_path / "logs")),
            *("--vars", json.dumps(Settings.from_env(warehouse_dir=warehouse).dbt_vars())),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0, done.stdout[-2000:]
    run_results = json.loads((target / "run_results.json").read_text())
    failed = dbt_tests.failed_tests(run_results, json.loads((target / "manifest.json").read_text()))
    assert [(t.model, t.failing_rows) for t in failed] == [("dim_measure", 2)]
    with duckdb.connect(str(WarehousePaths(warehouse).working_db), read_only=True) as con:
        dbt_tests.add_examples(con, failed)
    assert sorted(failed[0].examples, key=str) == [
        {"rule": "not_null", "failing": "name_nb"},
        {"rule": "unique", "failing": f"measure_id={last}"},
    ]
    assert "row_rules(key=['measure_id'], not_null=[" in failed[0].rule and "'name_nb'" in failed[0].rule
