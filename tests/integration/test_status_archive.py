"""Issue 14: a publication in the archive renders the same report after a restatement (a real
pipeline run: Dagster in-process, dbt build, publish)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dagster_project.presentation.report import write_report
from dagster_project.publication.publish import archived_publications
from dagster_project.runner import run_pipeline
from dagster_project.settings import WarehousePaths

TODAY = date(2026, 1, 15)  # the report's "Laget" line: fixed, so two renderings can be compared byte for byte


@pytest.mark.slow(seconds=100)
def test_an_archived_publication_renders_the_same_report_after_a_restatement(published_env, tmp_path: Path) -> None:
    inbox, warehouse = published_env
    paths = WarehousePaths(warehouse)
    [first] = archived_publications(paths)
    as_of = date(2023, 3, 31)
    archived = write_report(paths.published_db, tmp_path / "a.html", as_of, first, TODAY).read_text()
    current = write_report(paths.published_db, tmp_path / "c.html", as_of, None, TODAY).read_text()
    assert archived == current

    # A month after: the PLL file of 2022-12 is restated with twice the patients.
    pll = inbox / "pll" / "pll_2022-12.csv"
    frame = pd.read_csv(pll, sep=";", dtype=str)
    frame["antall_pasienter_med_pll"] = (frame["antall_pasienter_med_pll"].astype(int) * 2 + 7).astype(str)
    frame.to_csv(pll, sep=";", index=False)
    outcome = run_pipeline()
    assert outcome.ok and outcome.published, outcome.message

    assert archived_publications(paths)[0] == first and len(archived_publications(paths)) == 2
    again = write_report(paths.published_db, tmp_path / "a2.html", as_of, first, TODAY).read_text()
    restated = write_report(paths.published_db, tmp_path / "c2.html", as_of, None, TODAY).read_text()
    assert again == archived
    assert restated != archived
