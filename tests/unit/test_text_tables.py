"""The plain-text tables of `ehelse status` and the steward's report (tabulate underneath)."""

import re

from dagster_project.presentation.status import format_table


def test_a_table_is_left_aligned_under_a_dashed_header_and_keeps_the_callers_text() -> None:
    text = format_table(["mål", "verdi", "status"], [["1", "1 234", "grønn"], ["12", "012", None]])
    header, dashes, first, second = text.splitlines()
    # Every column starts where its header and its dashes do.
    starts = [header.index(name) for name in ("mål", "verdi", "status")]
    assert starts[0] == 0 and [m.start() for m in re.finditer(r"-+", dashes)] == starts
    assert [first.index(cell) for cell in ("1", "1 234", "grønn")] == starts
    # Cells are not re-parsed as numbers: "012" stays as written, "1 234" keeps its space.
    assert second[starts[1] :].startswith("012 ") and second[starts[2] :].rstrip() == "None"
    assert "1 234" in first
