"""Issue 14: a publication in the archive renders the same report after a restatement (a real
pipeline run: Dagster in-process, dbt build, publish)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from dagster_project.presentation.report import write_report
from dagster_project.publication.publish import archived_publications
from dagster_project.settings import WarehousePaths

TODAY = date(2026, 1, 15)  # the report's "Laget" line: fixed, so two renderings can be compared byte for byte


def without_publication(report: str) -> str:
    """The report without the line naming its publication (id and time), which differs between
    any two publications: what is left is what the data says."""
    return re.sub(r"Publisering [^,]+,\s*[^()]+\(UTC\)", "", report)


def test_an_archived_publication_renders_the_same_report_after_a_restatement(
    published_readonly, restated_publication: Path, tmp_path: Path
) -> None:
    """The shared template's publication, and the same warehouse after a run that restated a
    file of 2022-06 and added the stewards' comments (conftest's restated_publication, a copy
    of that template): the first
    publication, read from the archive, renders byte for byte the report it rendered when it
    was current; the new current publication renders another."""
    _, template = published_readonly
    paths = WarehousePaths(restated_publication / "warehouse")
    [first] = archived_publications(WarehousePaths(template))
    as_of = date(2023, 3, 31)
    archived = write_report(WarehousePaths(template).published_db, tmp_path / "a.html", as_of, first, TODAY)
    current = write_report(WarehousePaths(template).published_db, tmp_path / "c.html", as_of, None, TODAY)
    assert archived.read_text() == current.read_text()

    assert archived_publications(paths)[0] == first and len(archived_publications(paths)) == 2
    again = write_report(paths.published_db, tmp_path / "a2.html", as_of, first, TODAY).read_text()
    restated = write_report(paths.published_db, tmp_path / "c2.html", as_of, None, TODAY).read_text()
    assert again == archived.read_text()
    # The current publication is the restating run's: its inbox's new comment on 1.1 (HTML,
    # escaped) shows in its report and not in the archived one's.
    comment = "Positive bevegelser &lt;script&gt;"
    assert comment in restated and comment not in archived.read_text()
    assert without_publication(restated) != without_publication(archived.read_text())
    assert without_publication(again) == without_publication(archived.read_text())
