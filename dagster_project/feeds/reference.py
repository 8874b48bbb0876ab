"""Reference data the row rules check against, read from the dbt seeds (one copy of each list)."""

from __future__ import annotations

import csv
from functools import cache

from dagster_project.settings import SEEDS_DIR


@cache
def known_municipality_codes() -> frozenset[str]:
    """Every code of the 2019, 2020-2023 and 2024 structures, and 9999: the correspondence seed's sources."""
    with (SEEDS_DIR / "municipality_code_map.csv").open(encoding="utf-8") as f:
        return frozenset(row["source_code"] for row in csv.DictReader(f))


@cache
def manual_measure_ids() -> frozenset[str]:
    """Measures a steward may report: the manual ones, and those a feed replaces (steward_fallback:
    the steward's value stands for the periods the feed does not cover)."""
    with (SEEDS_DIR / "measure_catalog.csv").open(encoding="utf-8") as f:
        return frozenset(
            row["measure_id"]
            for row in csv.DictReader(f)
            if row["source"] == "manual" or row.get("steward_fallback") == "true"
        )


REPORT_COMMENT_ID = "rapport"  # a comment on the report as a whole (inputs.md)


def goal_comment_id(goal_id: int | str) -> str:
    """The comment id of a goal: mal-N (inputs.md)."""
    return f"mal-{goal_id}"


@cache
def catalog_ids() -> frozenset[str]:
    """What a steward comment may be about: every measure_id and indicator_id of any plan
    version, every goal (mal-N) and the report as a whole (rapport)."""
    with (SEEDS_DIR / "measure_catalog.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (SEEDS_DIR / "goals.csv").open(encoding="utf-8") as f:
        goals = frozenset(goal_comment_id(row["goal_id"]) for row in csv.DictReader(f))
    measures = frozenset(row["measure_id"] for row in rows) | frozenset(row["indicator_id"] for row in rows)
    return measures | goals | {REPORT_COMMENT_ID}
