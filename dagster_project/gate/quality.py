"""The quality gate's Great Expectations layer, free of Dagster.

A suite is two version-controlled files in expectations/:

- `<layer>__<table>.json`: the GX suite; every expectation's `meta` carries an
  `id`, a `severity` (`error` blocks publication, `warn` is reported) and a
  `description` a steward can read;
- `<layer>__<table>.sql`: the batch, a query on the working database. Marts
  are validated whole; big raw tables as per-partition aggregates, so GX
  never pulls millions of rows into pandas (row rules on big tables are dbt
  tests, which run inside DuckDB).

Every batch has a `row_key` column (a period, a measure id or a file name):
failing rows are reported by it, and a steward's acceptance names it.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import logging
import shutil
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.feeds.hostile import scrub_identifiers
from dagster_project.settings import EXPECTATIONS_DIR

log = logging.getLogger(__name__)
SEVERITIES = ("error", "warn")
ACCEPTANCE_COLUMNS = ["check", "period", "reason", "accepted_by", "expires_on"]


@dataclass(frozen=True)
class Suite:
    name: str  # <layer>__<table>
    expectations: list[dict]
    batch_sql: str

    @property
    def asset_path(self) -> list[str]:
        layer, table = self.name.split("__", 1)
        return [layer, table]


@dataclass(frozen=True)
class Acceptance:
    check: str
    period: str  # a row_key, or * for any
    reason: str
    accepted_by: str
    expires_on: date

    def covers(self, check: str, row_key: str | None, today: date) -> bool:
        """Whether this line accepts a failure of `check` on the row `row_key` (None: a table-level failure)."""
        return self.check == check and today <= self.expires_on and self.period in ("*", row_key)


def covering(check: str, row_keys: list[str], acceptances: list[Acceptance], today: date) -> list[Acceptance]:
    """The acceptance lines that together cover every failing row, or [] if any row is not covered."""
    used: list[Acceptance] = []
    for key in row_keys or [None]:
        line = next((a for a in acceptances if a.covers(check, key, today)), None)
        if line is None:
            return []
        if line not in used:
            used.append(line)
    return used


@dataclass
class ExpectationOutcome:
    suite: str
    check_name: str  # <suite>.<id>, the name an acceptance uses
    rule: str
    description: str
    severity: str  # after acceptances
    passed: bool
    failing_rows: int
    row_keys: list[str]
    examples: list[dict]
    accepted: list[Acceptance] = field(default_factory=list)


@dataclass
class SuiteOutcome:
    suite: str
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    data_docs: str | None = None

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.passed and o.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.passed and o.severity == "warn"]


# --------------------------------------------------------------------------- suites


def load_suites(directory: Path = EXPECTATIONS_DIR) -> list[Suite]:
    suites = []
    for path in sorted(directory.glob("*__*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        sql_path = path.with_suffix(".sql")
        if spec.get("name") != path.stem or not sql_path.exists():
            raise ValueError(f"{path.name}: suite name must equal the file name and {sql_path.name} must exist")
        for expectation in spec["expectations"]:
            meta = expectation.get("meta", {})
            if not meta.get("id") or meta.get("severity") not in SEVERITIES:
                raise ValueError(f"{path.name}: every expectation needs meta.id and meta.severity in {SEVERITIES}")
        suites.append(Suite(path.stem, spec["expectations"], sql_path.read_text(encoding="utf-8")))
    return suites


def rule_text(expectation: dict) -> str:
    kwargs = {k: v for k, v in expectation["kwargs"].items() if k != "condition_parser"}
    return f"{expectation['type']}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


# --------------------------------------------------------------------------- acceptances


class AcceptanceFileInvalid(ValueError):
    pass


def load_acceptances(path: Path | None, known_checks: set[str]) -> list[Acceptance]:
    """The steward's acceptance file, validated as a whole: one bad line voids it (with the line named)."""
    if path is None or not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter=";")
        if reader.fieldnames is None or [c.strip() for c in reader.fieldnames] != ACCEPTANCE_COLUMNS:
            raise AcceptanceFileInvalid(f"{path.name} line 1: columns must be {';'.join(ACCEPTANCE_COLUMNS)}")
        acceptances = []
        for line_number, row in enumerate(reader, start=2):
            # A steward's text is stored and published: an identifier typed into it is pseudonymised.
            values = {k.strip(): scrub_identifiers((v or "").strip()) for k, v in row.items() if k is not None}
            if values["check"] not in known_checks:
                raise AcceptanceFileInvalid(f"{path.name} line {line_number}: unknown check {values['check']!r}")
            if not values["reason"] or not values["accepted_by"]:
                raise AcceptanceFileInvalid(f"{path.name} line {line_number}: reason and accepted_by are required")
            try:
                expires = date.fromisoformat(values["expires_on"])
            except ValueError:
                raise AcceptanceFileInvalid(
                    f"{path.name} line {line_number}: expires_on {values['expires_on']!r} is not YYYY-MM-DD"
                ) from None
            acceptances.append(
                Acceptance(values["check"], values["period"] or "*", values["reason"], values["accepted_by"], expires)
            )
    return acceptances


def known_check_names(suites: list[Suite]) -> set[str]:
    return {f"{s.name}.{e['meta']['id']}" for s in suites for e in s.expectations}


# --------------------------------------------------------------------------- validation


@functools.cache
def _gx_context(project_root: Path):
    """One file context per GX project and process (creating it costs more than validating a mart)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    project_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(project_root))
    # No progress bars on stderr: the CLI prints its own summary.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    # No usage statistics; without an id the Data Docs no longer stamp it on every page's logo URL.
    context.variables.analytics_enabled = False
    context.variables.data_context_id = None
    return context


def validate_suite(
    suite: Suite,
    frame: pd.DataFrame,
    acceptances: list[Acceptance],
    gx_root: Path,
    today: date | None = None,
) -> SuiteOutcome:
    """Validate one batch with GX, store the result and render its Data Docs page and the
    index (render_suite_docs): the step of the graph that validates is the one that renders,
    so the steward finds the docs after any run, refused ones included, however started."""
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    today = today or date.today()
    context = _gx_context(gx_root)
    expectations = [get_expectation_impl(e["type"])(**e["kwargs"], meta=e["meta"]) for e in suite.expectations]
    # The suite files are the truth: replace what an earlier run registered under the same name.
    for collection in (context.checkpoints, context.validation_definitions, context.suites):
        with contextlib.suppress(Exception):
            collection.delete(suite.name)
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=expectations))
    batch_definition = _dataframe_batch_definition(context, suite.name)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=suite.name,
            validation_definitions=[definition],
            actions=[],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": _index_columns(frame)},
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = checkpoint.run(batch_parameters={"dataframe": frame})
    render_suite_docs(gx_root, suite.name, list(result.run_results))
    outcome = SuiteOutcome(suite.name, data_docs=str(data_docs_index(gx_root)))
    for validation in result.run_results.values():
        for res in validation.results:
            outcome.outcomes.append(_expectation_outcome(suite, res, acceptances, today))
    return outcome


# Columns a batch may add to name a failing row in words for the steward (issue 22): a restated
# period says when it was replaced and how much it changed ("2024-05 erstattet ...: 50 % færre besøk").
EXPLAINING_COLUMNS = ("restatement",)


def _index_columns(frame: pd.DataFrame) -> list[str]:
    return ["row_key", *(c for c in EXPLAINING_COLUMNS if c in frame.columns)]


def _dataframe_batch_definition(context, asset_name: str):
    """The pandas data source, asset and whole-frame batch definition, created on first use."""
    try:
        source = context.data_sources.get("warehouse")
    except KeyError:
        source = context.data_sources.add_pandas("warehouse")
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _expectation_outcome(suite: Suite, res, acceptances: list[Acceptance], today: date) -> ExpectationOutcome:
    meta = res.expectation_config.meta or {}
    spec = next(e for e in suite.expectations if e["meta"]["id"] == meta["id"])
    failing = res.result.get("unexpected_index_list") or []
    row_keys = sorted({str(row.get("row_key")) for row in failing})
    count = res.result.get("unexpected_count")
    if count is None:  # table-level expectations (row counts, ...) report no rows
        count = 0 if res.success else 1
    check_name = f"{suite.name}.{meta['id']}"
    outcome = ExpectationOutcome(
        suite=suite.name,
        check_name=check_name,
        rule=rule_text(spec),
        description=meta.get("description", ""),
        severity=meta["severity"],
        passed=bool(res.success),
        failing_rows=int(count),
        row_keys=row_keys,
        examples=[{k: _plain(v) for k, v in row.items()} for row in failing[:5]],
    )
    if not outcome.passed and outcome.severity == "error":
        accepted = covering(check_name, row_keys, acceptances, today)
        if accepted:
            outcome.severity = "warn"
            outcome.accepted = accepted
            for line in accepted:
                log.warning(
                    "%s failed on %s but is accepted by %s until %s: %s",
                    check_name,
                    line.period,
                    line.accepted_by,
                    line.expires_on,
                    line.reason,
                )
    return outcome


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def data_docs_index(gx_root: Path) -> Path:
    return gx_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def batch_frame(con: duckdb.DuckDBPyConnection, suite: Suite) -> pd.DataFrame:
    frame = con.execute(suite.batch_sql).df()
    if "row_key" not in frame.columns:
        raise ValueError(f"{suite.name}.sql must return a row_key column")
    frame["row_key"] = frame["row_key"].astype(str)
    return frame


# --------------------------------------------------------------------------- audit


def record_outcome(con: duckdb.DuckDBPyConnection, outcome: SuiteOutcome, run_id: str | None) -> None:
    now = datetime.now()
    table = outcome.suite.replace("__", ".", 1)
    con.executemany(
        "insert into audit.check_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                now,
                o.suite,
                o.check_name,
                table,
                o.rule,
                o.description,
                o.severity,
                o.passed,
                o.failing_rows,
                json.dumps(o.examples, ensure_ascii=False, default=str),
                ", ".join(sorted({a.accepted_by for a in o.accepted})) or None,
                "; ".join(f"{a.period}: {a.reason} (until {a.expires_on})" for a in o.accepted) or None,
                outcome.data_docs,
            ]
            for o in outcome.outcomes
        ],
    )


def _validations_dir(gx_root: Path) -> Path:
    return gx_root / "gx" / "uncommitted" / "validations"


def _drop_older_runs(gx_root: Path, suite_name: str) -> None:
    """Keep only a suite's newest validation and its page: the results stay in
    audit.check_results, and a site that kept them all would render slower every run."""
    site = data_docs_index(gx_root).parent / "validations"
    for tree in (_validations_dir(gx_root), site):
        # <suite>/<run name>/<timestamp>/<batch>.json|html; GX's timestamps sort as text.
        runs = sorted((tree / suite_name).glob("*/*/"), key=lambda d: d.name)
        for old in runs[:-1]:
            shutil.rmtree(old, ignore_errors=True)


def render_suite_docs(gx_root: Path, suite_name: str, identifiers: list) -> None:
    """One suite's newest validation page and the index (~0.04 s with the kept site builders; the
    whole site ~0.3 s, when it does not exist yet). A site that cannot be written (disk full) is
    logged, never a verdict of the gate: the result is stored, and `ehelse quality` renders it again."""
    _drop_older_runs(gx_root, suite_name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if data_docs_index(gx_root).exists():
                for builder in _site_builders(gx_root):
                    builder.build(identifiers, build_index=True)
            else:
                _gx_context(gx_root).build_data_docs()
    except Exception as error:  # noqa: BLE001 - any failure to render leaves the verdict as it is
        log.warning("Data Docs of %s not rendered: %s", suite_name, error)


_SITE_BUILDER_MODULE = "great_expectations.render.renderer.site_builder"


@functools.cache
def _site_builders(gx_root: Path) -> list:
    """The context's Data Docs site builders, kept for the process. GX's build_data_docs makes new
    ones on every call, and their page views compile every Jinja template again: ~0.1 s of each
    check's ~0.13 s of rendering. Built as build_data_docs builds them, from the sites' config."""
    from great_expectations.data_context.util import instantiate_class_from_config

    context = _gx_context(gx_root)
    return [
        instantiate_class_from_config(
            config=config,
            runtime_environment={"data_context": context, "root_directory": context.root_directory, "site_name": name},
            config_defaults={"class_name": "SiteBuilder", "module_name": _SITE_BUILDER_MODULE},
        )
        for name, config in context.variables.data_docs_sites.items()
    ]


def build_data_docs(gx_root: Path) -> Path | None:
    """Render the Data Docs from the newest stored validation of each suite.

    Older validations are removed first: their results stay in audit.check_results,
    and a site that kept them all would take longer to render every run.
    """
    results = _validations_dir(gx_root)
    if not results.exists():
        return None
    index = data_docs_index(gx_root)
    newest_result = max((f.stat().st_mtime for f in results.rglob("*.json")), default=0.0)
    if index.exists() and index.stat().st_mtime >= newest_result:
        return index  # already rendered since the last validation (every check renders its own page)
    for suite_dir in (d for d in results.iterdir() if d.is_dir()):
        _drop_older_runs(gx_root, suite_dir.name)
    shutil.rmtree(gx_root / "gx" / "uncommitted" / "data_docs", ignore_errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _gx_context(gx_root).build_data_docs()
    return index if index.exists() else None
