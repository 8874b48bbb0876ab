"""The dbt project as Dagster assets; dbt tests become asset checks.

The translator puts every dbt node under a key named after its layer
(seeds/…, staging/…, intermediate/…, marts/…) and maps the dbt source `raw`
onto the raw/… keys of the ingestion assets, so the graph is one lineage from
inbox files to the published marts. The manifest is prepared explicitly
(prepare_manifest, called when the definitions are built), never on import.
"""

import contextlib
import io
import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DagsterDbtTranslator, DbtCliInvocation, DbtProject, dbt_assets
from filelock import FileLock

from dagster_project.gate import dbt_tests
from dagster_project.presentation.progress import DbtBuildProgress, dbt_lines_shown, report_detail, report_step
from dagster_project.publication.publish import first_unpublished_day, write_build_summary
from dagster_project.resources import WarehouseResource
from dagster_project.resources.dbt import EhelseDbtCliResource
from dagster_project.settings import DBT_EXECUTABLE, DBT_PIPELINE_TARGET, DBT_PROJECT_DIR, SPARK_THRIFT_TARGET
from dagster_project.warehouse import spark_cluster, spark_outputs, working_db
from dagster_project.warehouse.damaged import DamagedRawFile, damaged_file
from dagster_project.warehouse.faults import resource_failure_in_output
from dagster_project.warehouse.known_status import refresh_known_statuses, remember_last_build

_DBT_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "seeds", "macros", "tests")


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DBT_PIPELINE_TARGET)


def manifest_is_stale(project: DbtProject) -> bool:
    """True when a dbt file is newer than manifest.json: parse only then, not on every run."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in _DBT_INPUTS:
        path = project.project_dir / name
        files = [path] if path.is_file() else path.rglob("*")
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def prepare_manifest(project: DbtProject, dbt_vars: Mapping[str, object]) -> None:
    """`dbt parse` when the project changed since the last manifest (dagster-dbt's
    prepare_if_dev, but also outside `dagster dev`: `ehelse run` needs it too). Under a lock: two
    processes of one checkout (two warehouses' runs, parallel test workers) must not write the
    pipeline's manifest (settings.DBT_PIPELINE_MANIFEST) at once, nor read it half-written."""
    target = project.project_dir / project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with FileLock(target / "parse.lock"):
        if manifest_is_stale(project):
            dbt = EhelseDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)
            dbt.cli(["parse", "--quiet", "--vars", json.dumps(dict(dbt_vars))], target_path=project.target_path).wait()


def with_row_counts(context: dg.AssetExecutionContext, warehouse: WarehouseResource, events: list) -> Iterator[Any]:
    """The events, with `dagster/row_count` on every materialized table (views are not counted)."""
    keys = {
        e.output_name: context.assets_def.keys_by_output_name[e.output_name] for e in events if isinstance(e, dg.Output)
    }
    with warehouse.connect() as con:
        tables = {
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' and table_catalog = current_database()"
            ).fetchall()
        }
        counts = {
            key: con.execute(f'select count(*) from "{key.path[0]}"."{key.path[1]}"').fetchone()[0]
            for key in keys.values()
            if (key.path[0], key.path[-1]) in tables
        }
    for event in events:
        if isinstance(event, dg.Output) and keys[event.output_name] in counts:
            event = event.with_metadata({**event.metadata, "dagster/row_count": counts[keys[event.output_name]]})
        yield event


# The statuses as known on each meeting date: written by the dbt asset itself before its build
# (warehouse/known_status.py), read by meeting_status through the dbt source `known`.
KNOWN_STATUS_SPEC = dg.AssetSpec(
    dg.AssetKey(["known", "indicator_statuses"]),
    description="Each headline indicator's status as known on each meeting date (only the file "
    "versions loaded by then), computed by scratch dbt builds before the main build.",
    group_name="intermediate",
    kinds={"parquet"},
    owners=["team:analytics-engineering"],
)


class DbtBuildConfig(dg.Config):
    """Run config of the dbt build: the date statuses are computed as of (YYYY-MM-DD, empty = today)."""

    as_of_date: str = ""


class EhelseDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # raw/<table> are the ingestion assets; known/indicator_statuses is written inside
            # the dbt asset itself (warehouse/known_status.py) and stays an external key.
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([self.get_group_name(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        return dbt_resource_props["fqn"][1]  # staging, intermediate or marts

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]


def _node_of(event: Any) -> str:
    """One line per dbt node for --verbose: the model or test and how it ended."""
    if isinstance(event, dg.Output):
        return f"{event.output_name} built"
    if isinstance(event, dg.AssetCheckResult):
        return f"{event.check_name} {'passed' if event.passed else 'FAILED'}"
    return type(event).__name__


def dbt_summary(run_results: Mapping[str, Any]) -> str:
    """dbt's build in one line: what ran, what failed, how long it took."""
    counts: dict[str, int] = {}
    for result in run_results["results"]:
        kind = result["unique_id"].split(".")[0]
        counts[kind] = counts.get(kind, 0) + 1
    failed = sum(r["status"] in ("fail", "error") for r in run_results["results"])
    parts = ", ".join(f"{n} {kind}s" for kind, n in sorted(counts.items()))
    return f"dbt build: {parts}; {failed} failed; {run_results.get('elapsed_time', 0):.0f} s"


def _raise_failed_tests(invocation, warehouse: WarehouseResource, run_id: str, err: Exception) -> None:
    """Failed dbt tests named with their model, rule and failing keys, in the run's message and in
    audit.check_results (the steward's view), instead of "The dbt CLI process with command ..."."""
    try:
        run_results = invocation.get_artifact("run_results.json")
    except (OSError, ValueError):
        return  # no run results (dbt stopped before writing them): dagster-dbt's error stands
    for result in run_results.get("results", []):
        # A model that could not read a raw-zone file truncated by hand: the file and the way out.
        damaged = damaged_file(Exception(result.get("message") or ""), warehouse.paths.raw_zone)
        if damaged is not None:
            raise DamagedRawFile(damaged) from err
    tests = dbt_tests.failed_tests(run_results, invocation.manifest)
    if not tests:
        return
    with warehouse.connect() as con:
        dbt_tests.add_examples(con, tests)
        con.execute(working_db.AUDIT_DDL)
        dbt_tests.record(con, tests, run_id)
    raise dbt_tests.DbtTestsFailed(dbt_tests.failure_message(tests)) from err


_BUILT = ("model", "seed", "snapshot", "test")


def _with_progress(invocation: DbtCliInvocation) -> Iterator[Any]:
    """dagster-dbt's stream() (dbt's events as Dagster events), reporting on the way the nodes
    done of the build's total and the slowest node running (presentation/progress.py)."""
    nodes = invocation.manifest["nodes"].values()
    progress = DbtBuildProgress(sum(node["resource_type"] in _BUILT for node in nodes))
    for raw in invocation.stream_raw_events():
        name, node = raw.raw_event["info"]["name"], raw.raw_event["data"].get("node_info", {})
        if name == "NodeStart" and node.get("node_name"):
            progress.node_started(node["node_name"])
        elif name == "NodeFinished" and node.get("node_name"):
            progress.node_finished(node["node_name"])
        yield from raw.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=invocation.context,
            target_path=invocation.target_path,
            project=invocation.project,
        )


def build_dbt_assets(project: DbtProject, pool: str) -> dg.AssetsDefinition:
    """The dbt models as one multi-asset in the warehouse's writer pool; the manifest must have been prepared."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=EhelseDbtTranslator(),
        pool=pool,
    )
    def ehelse_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: EhelseDbtCliResource,
        warehouse: WarehouseResource,
        config: DbtBuildConfig,
    ) -> Iterator[Any]:
        warehouse.paths.root.mkdir(parents=True, exist_ok=True)
        if warehouse.dbt_target == SPARK_THRIFT_TARGET:  # a run from the UI is asked too (runner.py)
            spark_cluster.check_sql_server(warehouse.spark_url, warehouse.paths.root)
        # The as-of date is resolved here, so every model of the build judges the same day.
        as_of = date.fromisoformat(config.as_of_date) if config.as_of_date else date.today()
        # The tests on the 73-million-row lookup history look at what is new since the last
        # publication (the `where` of those tests in staging/kjernejournal/_kjernejournal__models.yml).
        dbt_vars = warehouse.dbt_vars(
            lookups_tested_from=first_unpublished_day(warehouse.paths), as_of_date=as_of.isoformat()
        )
        # What the warehouse knew on each meeting date, built first: meeting_status reads it.
        paths = warehouse.paths
        refreshed = refresh_known_statuses(
            paths.root, paths.working_db, paths.raw_zone, DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars
        )
        for known_on, seconds, how in refreshed.computed:
            context.log.info(f"statuses as known on {known_on} {how} in {seconds:.1f} s")
        unit_tests_stamp = dbt_tests.unit_tests_stamp(
            warehouse.dbt_target, refreshed.record["project"], DBT_PROJECT_DIR / "profiles.yml"
        )
        unit_tests_passed = dbt_tests.unit_tests_already_passed(warehouse.paths.unit_tests_passed, unit_tests_stamp)
        skip_unit_tests = dbt_tests.SKIP_UNIT_TESTS if unit_tests_passed else ()
        invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars), *skip_unit_tests], context=context)
        # dagster-dbt's fetch_row_counts() keeps dbt-duckdb's connection open in this
        # process, which then refuses our own connections to the file; count here instead.
        events = []
        with contextlib.nullcontext() if dbt_lines_shown() else contextlib.redirect_stdout(io.StringIO()):
            try:
                for event in _with_progress(invocation):
                    events.append(event)
                    report_detail(f"dbt: {_node_of(event)}")
            except DagsterDbtCliRuntimeError as err:
                # A full disk or memory is no verdict on the models: name the fault, not "dbt failed".
                failure = resource_failure_in_output(str(err), f"{warehouse.paths.root} (dbt build)")
                if failure is not None:
                    raise failure from err
                _raise_failed_tests(invocation, warehouse, context.run_id, err)
                raise
        if warehouse.engine == "spark" and invocation.is_successful():
            # The Spark build's Parquet tables, as views of the working database that the
            # gate and the publication read (warehouse/spark_outputs.py).
            with warehouse.connect() as con:
                spark_outputs.register_in_working_db(warehouse.paths, con)
        if warehouse.engine == "duckdb" and not context.is_subset and invocation.is_successful():
            # The next run's meetings may have known exactly what this build did (a subset, as
            # from the UI, leaves the other models as they were: no record).
            remember_last_build(paths.root, refreshed.record)
        yield from with_row_counts(context, warehouse, events)
        # The publication step reports how many tests guarded it.
        run_results = invocation.get_artifact("run_results.json")
        write_build_summary(warehouse.paths, run_results)
        dbt_tests.record_unit_tests(
            warehouse.paths.unit_tests_passed, unit_tests_stamp, run_results, invocation.manifest
        )
        report_step(dbt_summary(run_results))

    return ehelse_dbt_models
