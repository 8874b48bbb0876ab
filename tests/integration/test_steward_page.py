"""The steward's quality page: written by `ehelse run`, readable offline, a warning shown as one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dagster_project.gate.quality import data_docs_index
from dagster_project.gate.steward import STEWARD_PAGE_NAME, check_status
from dagster_project.settings import WarehousePaths
from tests.browser import Page, chromium_path
from tests.conftest import warned_run_output

NEEDS_BROWSER = pytest.mark.skipif(
    chromium_path() is None and os.environ.get("EHELSE_REQUIRE_BROWSER") != "1",
    reason="chromium is not installed (.ci/run installs it and sets EHELSE_REQUIRE_BROWSER=1)",
)
WARNED = "staging__stg_ingestion__file_loads.no_quarantined_rows"


def test_check_status_words() -> None:
    assert check_status("warn", False, None) == "warning"
    assert check_status("error", False, None) == "failed"
    assert check_status("error", False, "Kari") == "accepted"
    assert check_status("error", True, None) == "passed"


@NEEDS_BROWSER
@pytest.mark.slow
def test_the_quality_page_works_offline_and_shows_a_warning_as_a_warning(
    warned_publication, warned_env, tmp_path: Path
) -> None:
    # `ehelse run` on an inbox with two warnings (conftest's warned_publication, shared with the
    # quality gate's tests): a negative count in helsenorge_bruk_2022-09.csv, quarantined (the warn
    # rule no_quarantined_rows fails), and a target without baseline; it publishes.
    inbox, warehouse = warned_env
    code, printed = warned_run_output(warned_publication)
    assert code == 0, printed
    page_file = WarehousePaths(warehouse).root / STEWARD_PAGE_NAME
    assert page_file.exists()

    page = Page(tmp_path / "chromium")
    try:
        page.go_offline()
        page.open(page_file.as_uri())
        rows = page.evaluate(
            "[...document.querySelectorAll('tr[data-check]')].map(r => [r.dataset.check, r.dataset.status])"
        )
        heading = page.evaluate("document.querySelector('h1').textContent")
        link = page.evaluate("document.querySelector('a').getAttribute('href')")
    finally:
        page.close()
    statuses = dict(rows)
    assert statuses[WARNED] == "warning"
    assert "failed" not in statuses.values() and len(statuses) > 20
    assert heading == "Kvalitetskontroll: bestått"
    assert [u for u in page.requests if not u.startswith("file://")] == []  # nothing from the network
    assert page.errors == []
    # The link leads into GX's Data Docs, rendered by the same run, without analytics.
    docs = (page_file.parent / link).resolve()
    assert docs == data_docs_index(WarehousePaths(warehouse).root).resolve() and docs.exists()
    assert not any("dataContextId" in p.read_text() for p in docs.parent.rglob("*.html"))
