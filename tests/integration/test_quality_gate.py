"""Write-audit-publish: each scenario is a real file in a real inbox and a real run.

Every test starts from a warehouse that has published once, changes the
inbox (or the acceptance file) as a source or a steward would, runs the
pipeline and checks the verdict, the message and the published file.
"""

import csv
import hashlib
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
from tests.conftest import recorded_outcome, warned_run_output


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_usage(inbox: Path, month: str, change) -> None:
    path = inbox / "helsenorge" / f"helsenorge_bruk_{month}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)


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


def accept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *periods: tuple[str, str]) -> None:
    """A steward's acceptance file accepting monthly_volume_change for each (period, expires_on)."""
    acceptances = tmp_path / "acceptances.csv"
    rows = [
        f"raw__helsenorge_usage.monthly_volume_change;{period};Outage confirmed by NHN;Kari (forvalter);{expires}\n"
        for period, expires in periods
    ]
    acceptances.write_text("check;period;reason;accepted_by;expires_on\n" + "".join(rows), encoding="utf-8")
    monkeypatch.setenv("EHELSE_ACCEPTANCES", str(acceptances))


def test_a_halved_month_blocks_publication_and_keeps_the_file(refused_publication: Path) -> None:
    # The run is conftest's refused_publication: 2022-06 and 2022-09 halved, the README's case.
    outcome = recorded_outcome(refused_publication)
    warehouse = refused_publication / "warehouse"
    assert not outcome["ok"] and not outcome["published"]
    assert "quality gate refused to publish" in outcome["message"]
    assert "raw__helsenorge_usage.monthly_volume_change (error)" in outcome["message"]
    assert "2022-06" in outcome["message"] and "2022-09" in outcome["message"]
    assert "2022-07" not in outcome["message"]  # the correct month after it is not the one named
    before = (refused_publication / "published_before.sha256").read_text()
    assert sha256(WarehousePaths(warehouse).published_db) == before
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
    refused_env, tmp_path: Path
) -> None:
    inbox, warehouse = refused_env  # a copy of the refused run: the UI run below writes its checks
    paths = WarehousePaths(warehouse)
    published_checks = len(steward_view(paths).published.checks)
    assert published_checks > 20
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


@pytest.mark.slow(seconds=45)
def test_an_accepted_failure_publishes_with_the_acceptance_on_record(
    refused_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, warehouse = refused_env  # refused first, as a steward would meet it (refused_publication)
    accept(tmp_path, monkeypatch, ("2022-06", "2099-12-31"), ("2022-09", "2099-12-31"))
    outcome = run_pipeline()

    assert outcome.ok and outcome.published, outcome.message
    assert "raw__helsenorge_usage.monthly_volume_change (accepted)" in outcome.message
    accepted = [r for r in check_results(warehouse) if r[0] == "raw__helsenorge_usage.monthly_volume_change"]
    assert accepted == [("raw__helsenorge_usage.monthly_volume_change", "warn", False, "Kari (forvalter)")]
    assert cli.main(["quality"]) == 0  # the latest attempt published


def test_an_expired_or_partial_acceptance_does_not_accept(
    refused_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept(tmp_path, monkeypatch, ("2022-06", "2099-12-31"), ("2022-09", "2020-01-01"))  # 2022-09 expired
    outcome = run_pipeline()
    assert not outcome.ok and "monthly_volume_change (error)" in outcome.message
    assert "2022-09" in outcome.message.split("monthly_volume_change (error)")[1]


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
