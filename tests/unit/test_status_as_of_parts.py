"""Issue 14, the parts that need no pipeline: comment rules, the achieved fraction's display,
the archive's retention."""

from datetime import datetime
from pathlib import Path

import pytest

from dagster_project.feeds.csv_io import CsvRow, CsvTable
from dagster_project.feeds.reference import catalog_ids, known_municipality_codes
from dagster_project.feeds.registry import feed_by_name
from dagster_project.feeds.rules import FileContext, check_rows
from dagster_project.presentation.report import achieved_percent
from dagster_project.publication.publish import _apply_retention, archived_publications
from dagster_project.settings import WarehousePaths

SPEC = feed_by_name("manual_comments").extra["spec"]
CTX = FileContext("indikator_kommentarer.csv", "all", known_municipality_codes(), catalog_ids=catalog_ids())


def test_comment_rows_are_quarantined_with_line_and_rule() -> None:
    rows = [
        ["4.2", "2024-03-01", "Indikatorens vurdering.", "NHN"],  # an indicator id
        ["4.2.2", "2024-03-01", "Måltallets egen.", "NHN"],  # a measure id
        ["9.9", "2024-03-01", "Ukjent id.", "NHN"],
        ["1.1", "21.03.2024", "Feil datoformat.", "NHN"],
        ["1.1", "2024-03-01", "   ", "NHN"],
        ["4.2", "2024-03-01", "Samme id og dato igjen.", "NHN"],
    ]
    table = CsvTable(
        "utf-8", SPEC.columns, [CsvRow(i + 2, dict(zip(SPEC.columns, r, strict=True))) for i, r in enumerate(rows)], []
    )
    valid, quarantined = check_rows(table, SPEC, CTX)
    assert [r.line_number for r in valid] == [2, 3]
    assert [(line, v.rule) for line, _, v in quarantined] == [
        (4, "unknown_id"),
        (5, "invalid_date"),
        (6, "empty_value"),
        (7, "duplicate_key"),
    ]


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [
        (0.4993, "49,9 %"),
        (0.49999, "49,9 %"),
        (0.5, "50,0 %"),
        (0.8999, "89,9 %"),
        (0.9, "90,0 %"),
        (-0.0123, "-1,3 %"),
    ],
)
def test_the_achieved_fraction_never_reads_across_a_threshold(fraction: float, shown: str) -> None:
    assert achieved_percent(fraction) == shown


def test_the_archive_keeps_the_last_months_and_always_the_newest(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path)
    for publication_id in ("20230101T000000Z-aaaa", "20241201T000000Z-bbbb", "20250110T000000Z-cccc", "notours"):
        (paths.parquet_dir / "archive" / publication_id).mkdir(parents=True)
    _apply_retention(paths, datetime(2026, 11, 23), 24)
    assert archived_publications(paths) == ["20241201T000000Z-bbbb", "20250110T000000Z-cccc", "notours"]
    _apply_retention(paths, datetime(2026, 11, 23), 1)
    assert archived_publications(paths) == ["20250110T000000Z-cccc", "notours"]
