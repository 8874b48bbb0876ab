"""`ehelse run`: the whole pipeline once, in-process, on the definitions of
definitions.py (the same jobs the Dagster UI and schedules run).

1. Each monthly feed: one single-run backfill over the months in the inbox.
2. transform_and_publish: snapshot and manual feeds, dbt build (models and
   tests), and the publication, which blocking checks and failed tests stop.

With nothing new in the inbox and no change to the dbt project since the last
publication, nothing runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.lib.inbox import InboxFile, scan_inbox
from dagster_project.lib.ingest import LOADABLE_FAMILIES
from dagster_project.lib.ledger import sha256_cached_by_stat
from dagster_project.lib.publish_pg import PG_URL_ENV_VAR
from dagster_project.lib.settings import (
    ACCEPTANCES_ENV_VAR,
    DBT_PROJECT_DIR,
    EXPECTATIONS_DIR,
    WarehousePaths,
    dagster_home,
    inbox_dir,
    warehouse_dir,
)

log = logging.getLogger(__name__)
_FINGERPRINTED = ("dbt_project.yml", "models", "seeds", "macros", "tests")
# The CLI prints a summary; the step-by-step log stays in the Dagster instance.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    published: bool
    message: str


def project_fingerprint() -> str:
    """Hash of everything besides the inbox that changes what would be published: the dbt
    project, the suites, the stewards' acceptance file and the publication targets."""
    digest = hashlib.sha256()
    roots = [DBT_PROJECT_DIR / name for name in _FINGERPRINTED] + [EXPECTATIONS_DIR]
    acceptances = os.environ.get(ACCEPTANCES_ENV_VAR)
    if acceptances:
        roots.append(Path(acceptances))
    # A newly configured publication target is owed a publication too.
    digest.update(hashlib.sha256(os.environ.get(PG_URL_ENV_VAR, "").encode()).digest())
    for root in roots:
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            digest.update(str(f).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def ledger_state(paths: WarehousePaths) -> str:
    """What the ledger holds: a refused run loads files without publishing them, so a later
    run with no new file is still owed a publication."""
    if not paths.working_db.exists():
        return ""
    con = duckdb.connect(str(paths.working_db), read_only=True)
    try:
        count, latest = con.execute("select count(*), max(finished_at) from raw.load_ledger").fetchone()
        return f"{count}:{latest}"
    except duckdb.CatalogException:
        return ""
    finally:
        con.close()


def inbox_sha256(paths: WarehousePaths, files: list[Path]) -> dict[Path, str]:
    """sha256 of each file, hashed again only when its size or mtime changed since the last
    run (the inbox sensor's rule), so a no-op run over a year of lookup logs reads no file."""
    cache_file = paths.root / "inbox_sha256.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    hashes = {path: sha256_cached_by_stat(path, cache)[0] for path in files}
    if paths.root.exists():
        # Only the files still in the inbox.
        cache_file.write_text(json.dumps({str(path): cache[str(path)] for path in files}))
    return hashes


def pending_files(paths: WarehousePaths, files: list[InboxFile], unmatched: list[Path]) -> list[InboxFile | Path]:
    """Inbox files whose current content the ledger has not handled yet."""
    if not paths.working_db.exists():
        return [*files, *unmatched]
    con = duckdb.connect(str(paths.working_db), read_only=True)
    try:
        handled = {
            (name, sha)
            for name, sha in con.execute(
                """
                select file_name, arg_max(sha256, finished_at) from raw.load_ledger group by source_family, file_name
                """
            ).fetchall()
        }
    except duckdb.CatalogException:
        return [*files, *unmatched]
    finally:
        con.close()
    inbox = inbox_dir()
    named = [(f.name, f.path, f) for f in files] + [(p.relative_to(inbox).as_posix(), p, p) for p in unmatched]
    hashes = inbox_sha256(paths, [path for _, path, _ in named])
    return [item for name, path, item in named if (name, hashes[path]) not in handled]


def _instance() -> dg.DagsterInstance:
    """The persistent instance (DAGSTER_HOME, else dagster_home/): the UI shows every run, materialization and check."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)  # a new DAGSTER_HOME starts empty, as `dagster dev` allows
    return dg.DagsterInstance.from_config(str(home))


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Failed checks (with the expectations that failed) and failed steps, in words."""
    reasons = []
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                severity = evaluation.severity.value if evaluation.severity else "ERROR"
                what = f": {evaluation.description}" if evaluation.description else ""
                reasons.append(
                    f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} failed ({severity}){what}"
                )
        elif event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            if error and "DagsterAssetCheckFailedError" in (error.cls_name or ""):
                continue  # a blocking check: already reported by its evaluation
            first_line = (error.message if error else "").strip().splitlines()[:1]
            reasons.append(f"step {event.step_key} failed: {first_line[0] if first_line else ''}")
    return reasons


def _materialized(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> bool:
    return any(
        event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key == key for event in result.all_events
    )


def run_pipeline() -> RunOutcome:
    paths = WarehousePaths(warehouse_dir())
    scan = scan_inbox(inbox_dir())
    fingerprint = f"{project_fingerprint()} {ledger_state(paths)}"
    fingerprint_file = paths.root / "last_publication_fingerprint"
    loadable = [f for f in scan.files if f.family.name in LOADABLE_FAMILIES]
    pending = pending_files(paths, loadable, scan.unmatched)
    if (
        not pending
        and paths.published_db.exists()
        and fingerprint_file.exists()
        and fingerprint_file.read_text() == fingerprint
    ):
        return RunOutcome(
            True,
            False,
            "nothing changed: no new files in the inbox, no change to the dbt project, suites or acceptances",
        )

    # Loading the definitions (Dagster, dagster-dbt, the manifest, GX) takes ~2 s: only
    # once we know there is work to do.
    from dagster_project.definitions import defs
    from dagster_project.defs.ingestion.assets import FAMILIES_BY_ASSET_KEY, PARTITIONED_INGESTION_ASSETS
    from dagster_project.defs.pipeline.jobs import JOB_FOR_FAMILY
    from dagster_project.lib import quality

    instance = _instance()
    warnings: list[str] = []
    for asset in PARTITIONED_INGESTION_ASSETS:
        [family] = FAMILIES_BY_ASSET_KEY[asset.key]
        job = JOB_FOR_FAMILY[family]
        valid = set(job.partitions_def.get_partition_keys())
        # Only the partitions with a new or changed file: a monthly run must not re-hash the history.
        periods = sorted({f.period for f in pending if isinstance(f, InboxFile) and f.family.name == family})
        outside = [p for p in periods if p not in valid]
        if outside:
            warnings.append(f"{family}: {len(outside)} file(s) outside the partitions, not loaded: {outside[:3]}")
        periods = [p for p in periods if p in valid]
        if not periods:
            continue
        result = defs.resolve_job_def(job.name).execute_in_process(
            instance=instance,
            asset_selection=[asset.key],
            run_config=QUIET,
            tags={
                "dagster/asset_partition_range_start": periods[0],
                "dagster/asset_partition_range_end": periods[-1],
            },
            raise_on_error=False,
        )
        # A loaded feed whose checks fail goes on: the same checks are the gate of the
        # publication below. A feed that could not be loaded stops the run.
        if not _materialized(result, asset.key):
            return RunOutcome(False, False, "ingestion failed:\n  " + "\n  ".join(_failures(result)))

    result = defs.resolve_job_def("transform_and_publish").execute_in_process(
        instance=instance, run_config=QUIET, raise_on_error=False
    )
    # Once per run, whatever the gate decided: the steward reads them most after a refusal.
    quality.build_data_docs(paths.root)
    failures = _failures(result)
    blocking = [f for f in failures if "(WARN)" not in f]
    warnings += [f for f in failures if "(WARN)" in f]
    if blocking:
        warnings.append("see `ehelse quality` for the failing rows; expectations/acceptances.csv accepts a known issue")
    published = result.success and _materialized(result, dg.AssetKey(["published"]))
    notes = "".join(f"\n  warning: {w}" for w in warnings)
    if not result.success or not published:
        return RunOutcome(
            False,
            False,
            "quality gate refused to publish; the previous publication is unchanged:\n  "
            + "\n  ".join(blocking or ["the run failed"])
            + notes,
        )
    fingerprint_file.write_text(f"{project_fingerprint()} {ledger_state(paths)}")
    return RunOutcome(True, True, f"published {paths.published_db}{notes}")
