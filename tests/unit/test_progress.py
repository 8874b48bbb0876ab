"""Progress on the terminal: per feed and overall, redrawn on a terminal, plain lines
elsewhere, nothing with --quiet, dbt's node lines only with --verbose."""

import io

from dagster_project.presentation import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(stream, quiet=False, verbose=False) -> str:
    handler = progress.attach(quiet=quiet, verbose=verbose, stream=stream)
    try:
        for done in range(1, 4):
            progress.report_files("pll_monthly", done, 3, rows=done * 356)
        progress.report_files("kj_lookups", 1, 2, rows=200_000)
        progress.report_detail("dbt: stg_pll__municipality_months built")
        progress.report_step("dbt build: 40 models, 150 tests; 0 failed; 12 s")
    finally:
        progress.detach(handler)
    return stream.getvalue()


def test_plain_lines_name_the_feed_files_rows_rate_and_time_left() -> None:
    out = _run(io.StringIO())
    lines = out.splitlines()
    assert lines[0].startswith("pll_monthly: 1/3 files, 356 rows, ") and "files/s" in lines[0] and "left" in lines[0]
    assert "pll_monthly: 3/3 files, 1 068 rows" in out  # the last one always
    assert "kj_lookups: 1/2 files, 200 000 rows" in out and "(all feeds: 4/5 files)" in out
    assert "\r" not in out and "dbt: stg_pll" not in out
    assert lines[-1] == "dbt build: 40 models, 150 tests; 0 failed; 12 s"


def test_a_terminal_redraws_one_line_per_feed() -> None:
    out = _run(Terminal())
    assert out.count("\r\033[K") == 4
    assert "\r\033[Kpll_monthly: 3/3 files" in out and "pll_monthly: 3/3 files, 1 068 rows" in out.split("\n")[0]


def test_quiet_shows_nothing_and_verbose_shows_dbt_nodes() -> None:
    assert _run(io.StringIO(), quiet=True) == ""
    assert "dbt: stg_pll__municipality_months built" in _run(io.StringIO(), verbose=True)


def test_dbt_lines_are_summarised_unless_verbose_and_shown_where_no_one_asked() -> None:
    assert progress.dbt_lines_shown()  # dagster dev: the compute logs keep them
    for quiet, verbose, shown in ((False, False, False), (True, False, False), (False, True, True)):
        handler = progress.attach(quiet=quiet, verbose=verbose, stream=io.StringIO())
        assert progress.dbt_lines_shown() is shown
        progress.detach(handler)
    assert progress.dbt_lines_shown()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_dbt_build_shows_nodes_done_the_slowest_running_and_time_left() -> None:
    stream, clock = io.StringIO(), Clock()
    handler = progress.attach(quiet=False, verbose=False, stream=stream)
    handler.interval = 0.0  # every line, for the test
    try:
        build = progress.DbtBuildProgress(total=4, clock=clock)
        build.node_started("stg_pll__municipality_months")
        clock.now = 2.0
        build.node_started("int_lookups_counted")
        clock.now = 10.0
        build.node_finished("int_lookups_counted")
        clock.now = 100.0
        build.node_finished("stg_pll__municipality_months")
        build.node_finished("measure_status")
        build.node_finished("goal_summary")
    finally:
        progress.detach(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "dbt build: 0/4 nodes, slowest running stg_pll__municipality_months (0s)"
    # The longest running node is named with its time; time left from the mean pace so far (10 s a node).
    assert lines[2] == "dbt build: 1/4 nodes, slowest running stg_pll__municipality_months (10s), 30s left"
    assert lines[-1] == "dbt build: 4/4 nodes"
    quiet = progress.attach(quiet=True, verbose=False, stream=stream)
    assert quiet is None  # --quiet: no handler, so none of these lines
    progress.detach(quiet)
