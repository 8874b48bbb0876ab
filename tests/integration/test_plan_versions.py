"""Issue 21: the plan over time. A revision of the plan (a new plan version from 2024-01-01) is
a data edit in a temporary copy of the dbt project: one dbt build of the catalog and status
models against a published warehouse, compared with the shipped build of that warehouse."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.presentation.status import format_status
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings, WarehousePaths

REVISION_FROM = "2024-01-01"
# The models a catalog revision touches, and the seeds that hold the plan.
PLAN_SEEDS = ["plan_versions", "plan_owners", "goals", "indicators", "measure_catalog", "measure_target_steps"]
STATUS_MODELS = [
    "int_status_as_of_dates",
    "int_target_steps_chained",
    "dim_plan_version",
    "dim_measure_version",
    "measure_targets",
    "dim_measure",
    "measure_status_daily",
    "measure_status",
    "measure_status_history",
    "goal_summary_daily",
    "goal_summary",
]
REUSED_NAME = "Andel registre med automatisk kvalitetskontroll"


def read_seed(project: Path, name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (project / "seeds" / f"{name}.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_seed(project: Path, name: str, header: list[str], rows: list[dict[str, str]]) -> None:
    with (project / "seeds" / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def revise_plan(project: Path) -> None:
    """Plan version 2024 from 2024-01-01, as a steward would edit the seeds: every 2023 row
    carried over, then 1.5's target 19 -> 18, 4.1 retired, a new measure 1.7 (its own headline
    indicator) and 3.2.1 reused with another meaning."""
    header, versions = read_seed(project, "plan_versions")
    versions[0]["valid_to"] = "2023-12-31"
    versions.append({**versions[0], "plan_version": "2024", "title": "Plan for realisering 2024"})
    versions[-1].update(valid_from=REVISION_FROM, valid_to="")
    write_seed(project, "plan_versions", header, versions)

    header, owners = read_seed(project, "plan_owners")
    write_seed(project, "plan_owners", header, [*owners, {**owners[-1], "plan_version": "2024"}])

    for seed in ("goals", "indicators"):
        header, rows = read_seed(project, seed)
        extra = [{**row, "plan_version": "2024"} for row in rows]
        if seed == "indicators":
            extra = [row for row in extra if row["indicator_id"] != "4.1"]
            extra.append({"plan_version": "2024", "indicator_id": "1.7", "indicator_name_nb": "Ny indikator"})
        write_seed(project, seed, header, rows + extra)

    header, catalog = read_seed(project, "measure_catalog")
    revised = []
    for row in catalog:
        if row["measure_id"] == "4.1":
            continue
        new = {**row, "plan_version": "2024"}
        if row["measure_id"] == "3.2.1":
            new.update(name_nb=REUSED_NAME, direction="down", baseline_value="50")
        revised.append(new)
    one_five = next(row for row in catalog if row["measure_id"] == "1.5")
    revised.append({**one_five, "plan_version": "2024", "indicator_id": "1.7", "measure_id": "1.7", "name_nb": "Ny"})
    write_seed(project, "measure_catalog", header, catalog + revised)

    header, steps = read_seed(project, "measure_target_steps")
    new_steps = [{**row, "plan_version": "2024"} for row in steps if row["measure_id"] != "4.1"]
    for row in new_steps:
        if row["measure_id"] == "1.5":
            row["target_value"] = "18"
    write_seed(project, "measure_target_steps", header, steps + new_steps)


def frame(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def test_a_plan_revision_changes_nothing_before_its_date_and_judges_by_the_new_version_after(
    published_env, tmp_path: Path
) -> None:
    _, warehouse = published_env
    working_db = WarehousePaths(warehouse).working_db
    status_sql = "select * from marts.measure_status_daily order by as_of_date, measure_id"
    goals_sql = "select * from marts.goal_summary_daily order by as_of_date, goal_id"
    shipped_status, shipped_goals = frame(working_db, status_sql), frame(working_db, goals_sql)
    # The shipped plan: one version, from 2023-01-01; no status before any plan existed.
    assert str(shipped_status.as_of_date.min().date()) == "2023-01-01"
    assert set(shipped_status.plan_version) == {"2023"}
    total = shipped_goals[shipped_goals.goal_id == 0]
    assert set(total.n_indicators) == {16}

    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    revise_plan(project)
    done = subprocess.run(
        [
            *(DBT_EXECUTABLE, "build", "--select", *PLAN_SEEDS, *STATUS_MODELS, "--profiles-dir", "."),
            *("--exclude", "test_type:unit"),
            *("--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")),
            *("--vars", json.dumps(Settings.from_env(warehouse_dir=warehouse).dbt_vars())),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    revised_status, revised_goals = frame(working_db, status_sql), frame(working_db, goals_sql)

    # Every status and every goal count computed for a date before the revision is unchanged.
    before = pd.Timestamp(REVISION_FROM)
    pd.testing.assert_frame_equal(
        revised_status[revised_status.as_of_date < before].reset_index(drop=True),
        shipped_status[shipped_status.as_of_date < before].reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        revised_goals[revised_goals.as_of_date < before].reset_index(drop=True),
        shipped_goals[shipped_goals.as_of_date < before].reset_index(drop=True),
    )
    after = revised_status[revised_status.as_of_date >= before]
    assert set(after.plan_version) == {"2024"}

    # 1.5: target 19 before the revision, 18 from it.
    one_five = revised_status[revised_status.measure_id == "1.5"]
    assert set(one_five[one_five.as_of_date < before].target_value) == {19.0}
    assert set(one_five[one_five.as_of_date >= before].target_value) == {18.0}

    # 4.1 retired: no status from the revision, and goal 4 counts one headline indicator less;
    # 1.7 new: a status from the revision only, counted in goal 1.
    assert after[after.measure_id == "4.1"].empty
    new = revised_status[revised_status.measure_id == "1.7"]
    assert not new.empty and new.as_of_date.min() == before
    for goal_id, shipped_n, revised_n in ((4, 2, 1), (1, 6, 7), (0, 16, 16)):
        counts = revised_goals[revised_goals.goal_id == goal_id].set_index("as_of_date").n_indicators
        assert set(counts[counts.index < before]) == {shipped_n}
        assert set(counts[counts.index >= before]) == {revised_n}

    # 3.2.1 reused with another meaning: a new definition beside the old, which is untouched.
    with duckdb.connect(str(working_db), read_only=True) as con:
        definitions = dict(
            con.execute(
                "select plan_version, name_nb from marts.dim_measure_version where measure_id = '3.2.1'"
            ).fetchall()
        )
        assert definitions == {
            "2023": "Lovbestemte helseregistre med > 95 % digital innrapportering",
            "2024": REUSED_NAME,
        }
        assert con.execute("select name_nb from marts.dim_measure where measure_id = '3.2.1'").fetchone() == (
            REUSED_NAME,
        )
        assert con.execute("select count(*) from marts.dim_plan_version").fetchone() == (2,)


def test_status_today_flags_the_expired_2025_targets(published_readonly) -> None:
    """Today is past 31.12.2025, the only target date of the 2023 plan: `ehelse status` says the
    targets have expired, row by row and in a closing line."""
    _, warehouse = published_readonly
    with duckdb.connect(str(WarehousePaths(warehouse).published_db), read_only=True) as con:
        text = format_status(con)
        expired = con.execute(
            "select measure_id, target_year from marts.measure_status where target_expired order by measure_id"
        ).fetchall()
        as_of = con.execute("select max(as_of_date) from marts.measure_status").fetchone()[0]
    assert str(as_of) > "2025-12-31"
    assert ("1.2", 2025) in expired and ("1.5", 2024) in expired
    assert "85.0 (2025, utløpt)" in text
    assert "Måltallene gjaldt til 31.12.2024, 31.12.2025" in text
