"""Write-audit-publish: each scenario is a real file in a real inbox and a real run.

Every test starts from a warehouse that has published once, changes the
inbox (or the acceptance file) as a source or a steward would, runs the
pipeline and checks the verdict, the message and the published file.
"""

import csv
import hashlib
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project import cli
from dagster_project.gate.quality import load_suites
from dagster_project.gate.steward import format_quality, steward_view
from dagster_project.resources import WarehouseResource
from dagster_project.resources.great_expectations import GreatExpectationsResource
from dagster_project.runner import run_pipeline
from dagster_project.settings import WarehousePaths
from tests.conftest import warned_run_output


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_usage(inbox: Path, month: str, change) -> None:
    path = inbox / "helsenorge" / f"helsenorge_bruk_{month}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)


def collapse(rows: list[list[str]]) -> None:
    for row in rows[1:]:
        row[3], row[4] = str(int(row[3]) // 10), str(int(row[4]) // 10)


def halve(rows: list[list[str]]) -> None:
    for row in rows[1:]:
        row[3], row[4] = str(int(row[3]) // 2), str(int(row[4]) // 2)


def check_results(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(WarehousePaths(warehouse).working_db), read_only=True)
    try:
        return con.execute(
            "select check_name, severity, passed, accepted_by from audit.check_results "
            "where run_id = (select run_id from audit.check_results order by checked_at desc limit 1)"
        ).fetchall()
    finally:
        con.close()


def test_a_90_percent_volume_collapse_blocks_publication_and_keeps_the_file(published_env) -> None:
    inbox, warehouse = published_env
    published = WarehousePaths(warehouse).published_db
    before = sha256(published)
    edit_usage(inbox, "2022-06", collapse)

    outcome = run_pipeline()

    assert not outcome.ok and not outcome.published
    assert "quality gate refused to publish" in outcome.message
    assert "raw__helsenorge_usage.monthly_volume_change (error)" in outcome.message
    assert "2022-06" in outcome.message
    assert sha256(published) == before
    report = format_quality(WarehousePaths(warehouse))
    assert "Siste avviste forsøk (ikke publisert): AVVIST" in report and "'row_key': '2022-06'" in report
    # The gate behind the live publication is shown beside it, labelled, with every check it ran.
    published_gate = report.split("Siste avviste forsøk")[0]
    assert "Kvalitetskontrollen bak gjeldende publisering: BESTÅTT" in published_gate
    assert "[FEIL]" not in published_gate
    # The Data Docs are current after the refused run: each suite's newest validation, rendered by its check.
    index = Path(report.split("Data Docs: ")[1].split()[0])
    validations = warehouse / "gx" / "uncommitted" / "validations"
    assert index.exists() and index.stat().st_mtime >= max(f.stat().st_mtime for f in validations.rglob("*.json"))
    assert all(len(list(suite.glob("*/*/"))) == 1 for suite in validations.iterdir() if suite.is_dir())
    [usage_page] = (index.parent / "validations" / "raw__helsenorge_usage").rglob("*.html")
    assert "Failed" in usage_page.read_text()


def test_the_steward_view_keeps_the_published_gate_and_the_refusal_after_a_partial_ui_run(
    published_env, tmp_path: Path
) -> None:
    inbox, warehouse = published_env
    paths = WarehousePaths(warehouse)
    assert cli.main(["quality"]) == 0
    published_checks = len(steward_view(paths).published.checks)
    assert published_checks > 20

    edit_usage(inbox, "2022-06", halve)  # a delivery halved by mistake: the README's case
    outcome = run_pipeline()
    assert not outcome.ok and not outcome.published and "2022-06" in outcome.message
    assert "2022-07" not in outcome.message  # the correct month after it is not the one named
    # A run from the Dagster UI that validates one suite, and passes.
    suite = next(s for s in load_suites() if s.name == "raw__pll_monthly")
    resource = GreatExpectationsResource(acceptances_file=str(tmp_path / "none.csv"))
    outcome = resource.validate(suite, WarehouseResource(inbox=str(inbox), warehouse_dir=str(warehouse)), "ui-run")
    assert not outcome.blocking_failures

    view = steward_view(paths)
    assert len(view.published.checks) == published_checks and view.published.count("failed") == 0
    assert view.refused is not None and view.refused.count("failed") >= 1
    assert any(c.name == "raw__helsenorge_usage.monthly_volume_change" for c in view.refused.shown)
    assert cli.main(["quality"]) == 1  # the latest attempt was refused
    page = (warehouse / "quality.html").read_text(encoding="utf-8")
    assert 'lang="nb"' in page and "Siste avviste forsøk" in page and "bak gjeldende publisering" in page
    assert "&#39;row_key&#39;: &#39;2022-06&#39;" in page
    assert "2022-06 erstattet " in page and "færre besøk" in page  # the restatement, named


@pytest.mark.slow(seconds=65)
def test_an_accepted_failure_publishes_with_the_acceptance_on_record(
    published_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, warehouse = published_env
    edit_usage(inbox, "2022-06", collapse)
    assert not run_pipeline().ok  # refused first, as a steward would meet it

    acceptances = tmp_path / "acceptances.csv"
    acceptances.write_text(
        "check;period;reason;accepted_by;expires_on\n"
        "raw__helsenorge_usage.monthly_volume_change;2022-06;Outage confirmed by NHN;Kari (forvalter);2099-12-31\n"
        "raw__helsenorge_usage.monthly_volume_change;2022-07;Month after the outage;Kari (forvalter);2099-12-31\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EHELSE_ACCEPTANCES", str(acceptances))
    outcome = run_pipeline()

    assert outcome.ok and outcome.published, outcome.message
    assert "raw__helsenorge_usage.monthly_volume_change (accepted)" in outcome.message
    accepted = [r for r in check_results(warehouse) if r[0] == "raw__helsenorge_usage.monthly_volume_change"]
    assert accepted == [("raw__helsenorge_usage.monthly_volume_change", "warn", False, "Kari (forvalter)")]


def test_an_expired_or_partial_acceptance_does_not_accept(
    published_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, warehouse = published_env
    edit_usage(inbox, "2022-06", collapse)
    edit_usage(inbox, "2022-09", collapse)
    acceptances = tmp_path / "acceptances.csv"
    acceptances.write_text(
        "check;period;reason;accepted_by;expires_on\n"
        "raw__helsenorge_usage.monthly_volume_change;2022-06;Outage;Kari;2099-12-31\n"  # 2022-09 not covered
        "raw__helsenorge_usage.monthly_volume_change;2022-09;Outage;Kari;2020-01-01\n",  # expired
        encoding="utf-8",
    )
    monkeypatch.setenv("EHELSE_ACCEPTANCES", str(acceptances))
    outcome = run_pipeline()
    assert not outcome.ok and "monthly_volume_change (error)" in outcome.message


def test_an_invalid_acceptance_file_is_refused_with_its_line(
    published_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    acceptances = tmp_path / "acceptances.csv"
    acceptances.write_text(
        "check;period;reason;accepted_by;expires_on\nno_such_check;*;x;Kari;2099-12-31\n", encoding="utf-8"
    )
    monkeypatch.setenv("EHELSE_ACCEPTANCES", str(acceptances))
    outcome = run_pipeline()
    assert not outcome.ok
    assert "acceptances.csv line 2: unknown check 'no_such_check'" in outcome.message


def test_a_negative_count_is_quarantined_and_publishes_with_a_warning(warned_publication, warned_env) -> None:
    # The run (a negative count in helsenorge_bruk_2022-09.csv line 6) is conftest's
    # warned_publication, shared with the steward page's test: `ehelse run` prints outcome.message.
    inbox, warehouse = warned_env
    before = (warned_publication / "published_before.sha256").read_text()
    code, message = warned_run_output(warned_publication)

    assert code == 0, message  # outcome.ok
    assert "staging__stg_ingestion__file_loads.no_quarantined_rows (warn)" in message
    assert sha256(WarehousePaths(warehouse).published_db) != before  # it published
    report = format_quality(WarehousePaths(warehouse))
    assert "helsenorge_bruk_2022-09.csv" in report and "negative_count" in report
    assert "line 6" in report or "  6  " in report


@pytest.mark.slow(seconds=55)
def test_a_survey_answer_code_8_fails_the_survey_and_blocks_publication(published_env) -> None:
    inbox, warehouse = published_env
    published = WarehousePaths(warehouse).published_db
    before = sha256(published)
    path = inbox / "surveys" / "innbyggerundersokelsen_2022.xlsx"
    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    sheets["data"].loc[0, "INB_FORNOYD_DIGITAL_KONTAKT"] = 8
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)

    outcome = run_pipeline()

    assert not outcome.ok
    assert "staging__stg_ingestion__file_loads.survey_answers_on_scale (error)" in outcome.message
    assert "innbyggerundersokelsen_2022.xlsx" in outcome.message
    assert sha256(published) == before
    report = format_quality(WarehousePaths(warehouse))
    assert "answer_outside_scale" in report


def test_a_target_without_baseline_is_a_warning_that_still_publishes(warned_publication, warned_env) -> None:
    # The run is conftest's warned_publication: its inbox also has a steward's value for 5.1
    # (pilot 2023), whose target of 85 % has no baseline in the plan.
    _, warehouse = warned_env
    code, message = warned_run_output(warned_publication)

    assert code == 0, message  # outcome.ok, and it published (below)
    assert "marts__dim_measure.target_has_baseline (warn): 1 failing row(s) ['5.1']" in message
    results = {r[0]: r for r in check_results(warehouse)}
    assert results["marts__dim_measure.target_has_baseline"][1:3] == ("warn", False)
    con = duckdb.connect(str(WarehousePaths(warehouse).published_db), read_only=True)
    status = con.execute("select latest_value, status from marts.measure_status where measure_id = '5.1'").fetchone()
    con.close()
    assert status == (72.0, "no_target")


@pytest.mark.slow(seconds=55)
def test_a_reader_holding_the_file_open_neither_blocks_nor_sees_a_mix(published_env) -> None:
    inbox, warehouse = published_env
    published = WarehousePaths(warehouse).published_db
    reader = duckdb.connect(str(published), read_only=True)
    query = "select count(*), sum(value) from marts.fct_measure_value where measure_id = '4.2.6'"
    seen_before = reader.execute(query).fetchone()

    def more_patients(rows: list[list[str]]) -> None:
        rows[1][3] = str(int(rows[1][3]) + 1000)

    path = inbox / "pll" / "pll_2022-12.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    more_patients(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)

    done: dict = {}
    worker = threading.Thread(target=lambda: done.setdefault("outcome", run_pipeline()))
    worker.start()
    while worker.is_alive():  # the reader keeps querying the whole time: always the old, whole publication
        assert reader.execute(query).fetchone() == seen_before
        worker.join(timeout=0.5)
    assert done["outcome"].ok and done["outcome"].published, done["outcome"].message
    assert reader.execute(query).fetchone() == seen_before
    reader.close()

    fresh = duckdb.connect(str(published), read_only=True)
    seen_after = fresh.execute(query).fetchone()
    fresh.close()
    assert seen_after[0] == seen_before[0] and seen_after[1] == seen_before[1] + 2000  # national + municipality
