"""Goal 5 from its sources (issue 15): every rule of the veikart and portefolje contracts on a
bad file, against a real raw zone."""

from pathlib import Path

import pytest

from dagster_project.feeds.inbox import scan_inbox
from tests.conftest import load

VEIKART_HEADER = (
    "delmaal_id;losning;tittel;fase;strategisk_mal;planlagt_dato;prognose_dato;fullfort_dato;status;"
    "prioritert_av_radsmodellen"
)
PORTFOLIO_HEADER = (
    "aar;tiltak_id;navn;ansvarlig_virksomhet;strategisk_mal;midler_til_evaluering;planlagt_folgeforskning"
)
GOOD_SUBGOAL = "KJ-1;Kjernejournal;Deling av dokumenter;utvikling;4;2023-01-15;2023-03-01;;pagar;ja"


def write(inbox: Path, relative: str, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path = inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\r\n".join([header, *rows, ""]).encode(encoding))
    return path


def load_all(con, zone, inbox: Path):
    return load(con, zone, *scan_inbox(inbox).files)


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("KJ-2;Kjernejournal;Innføring;drift;4;2023-01-15;;;pagar;ja", "invalid_phase"),
        ("KJ-2;Kjernejournal;Innføring;innforing;6;2023-01-15;;;pagar;ja", "invalid_goal"),
        ("KJ-2;Kjernejournal;Innføring;innforing;fire;2023-01-15;;;pagar;ja", "invalid_goal"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;15.01.2023;;;pagar;ja", "invalid_date"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;2023-01-15;2023-02-30;;pagar;ja", "invalid_date"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;2023-01-15;;;ferdig;ja", "invalid_status"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;2023-01-15;;;fullfort;ja", "completion_date_missing"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;2023-01-15;;2023-02-01;pagar;ja", "completion_date_without_status"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;2023-01-15;;2023-07-01;fullfort;ja", "date_after_snapshot"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;2023-01-15;2023-04-01;;avbrutt;ja", "forecast_when_closed"),
        ("KJ-2;Kjernejournal;Innføring;innforing;4;2023-01-15;;;pagar;kanskje", "invalid_yes_no"),
        ("KJ-2;Kjernejournal;;innforing;4;2023-01-15;;;pagar;ja", "empty_value"),
    ],
)
def test_a_bad_roadmap_row_is_quarantined_with_file_line_and_rule(
    con, zone, tmp_path: Path, row: str, rule: str
) -> None:
    write(tmp_path, "veikart/veikart_delmaal_2023-03-31.csv", VEIKART_HEADER, [GOOD_SUBGOAL, row])
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 1, 1)
    [(line, found_rule, message)] = con.execute("select line_number, rule, message from raw.quarantine").fetchall()
    assert (line, found_rule) == (3, rule)
    assert message.startswith("veikart/veikart_delmaal_2023-03-31.csv line 3:")


def test_a_completed_sub_goal_with_its_date_loads(con, zone, tmp_path: Path) -> None:
    write(
        tmp_path,
        "veikart/veikart_delmaal_2023-03-31.csv",
        VEIKART_HEADER,
        ["KJ-1;Kjernejournal;Tromsø og Ålesund;innforing;4;2023-01-15;;2023-03-31;fullfort;nei"],
        encoding="cp1252",
    )
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1)
    assert con.execute("select tittel from raw.veikart_subgoals").fetchone()[0] == "Tromsø og Ålesund"


def test_a_repeated_sub_goal_id_rejects_the_snapshot_naming_its_lines(con, zone, tmp_path: Path) -> None:
    write(tmp_path, "veikart/veikart_delmaal_2023-03-31.csv", VEIKART_HEADER, [GOOD_SUBGOAL])
    load_all(con, zone, tmp_path)
    write(
        tmp_path,
        "veikart/veikart_delmaal_2023-03-31.csv",
        VEIKART_HEADER,
        [GOOD_SUBGOAL, "PLL-1;PLL;Utprøving;innforing;4;2023-02-01;;;planlagt;nei", GOOD_SUBGOAL.replace("ja", "nei")],
    )
    [outcome] = load_all(con, zone, tmp_path)
    assert outcome.status == "rejected"
    assert "duplicate_id" in outcome.reason and "'KJ-1' on lines 2, 4" in outcome.reason
    # the snapshot published before stays as it was
    assert con.execute("select count(*), min(prioritert_av_radsmodellen) from raw.veikart_subgoals").fetchone() == (
        1,
        "ja",
    )


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("2023;T-2;Pilot;KS;0;ja;nei", "invalid_goal"),
        ("2023;T-2;Pilot;KS;3;JA;nei", "invalid_yes_no"),
        ("2023;T-2;Pilot;KS;3;ja;-", "invalid_yes_no"),
        ("2023;T-2;;KS;3;ja;nei", "empty_value"),
    ],
)
def test_a_bad_portfolio_row_is_quarantined_with_file_line_and_rule(
    con, zone, tmp_path: Path, row: str, rule: str
) -> None:
    write(
        tmp_path, "portefolje/portefolje_tiltak_2023.csv", PORTFOLIO_HEADER, ["2023;T-1;Forprosjekt;NHN;5;nei;ja", row]
    )
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (1, 1)
    assert con.execute("select line_number, rule from raw.quarantine").fetchall() == [(3, rule)]


def test_a_portfolio_year_other_than_the_file_name_rejects_the_file(con, zone, tmp_path: Path) -> None:
    write(tmp_path, "portefolje/portefolje_tiltak_2023.csv", PORTFOLIO_HEADER, ["2022;T-1;Forprosjekt;NHN;5;nei;ja"])
    [outcome] = load_all(con, zone, tmp_path)
    assert outcome.status == "rejected"
    assert "period_mismatch" in outcome.reason and "line 2" in outcome.reason


def test_a_repeated_initiative_id_rejects_the_file_naming_its_lines(con, zone, tmp_path: Path) -> None:
    rows = ["2023;T-1;Forprosjekt;NHN;5;nei;ja", "2023;T-2;Pilot;KS;3;ja;nei", "2023;T-1;Forprosjekt;NHN;5;ja;ja"]
    write(tmp_path, "portefolje/portefolje_tiltak_2023.csv", PORTFOLIO_HEADER, rows)
    [outcome] = load_all(con, zone, tmp_path)
    assert outcome.status == "rejected"
    assert "tiltak_id 'T-1' on lines 2, 4" in outcome.reason


def test_a_misnamed_roadmap_file_is_not_loaded(tmp_path: Path) -> None:
    write(tmp_path, "veikart/veikart_delmaal_2023-02-30.csv", VEIKART_HEADER, [GOOD_SUBGOAL])
    scan = scan_inbox(tmp_path)
    assert not scan.files and len(scan.unmatched) == 1


def test_stewards_may_still_report_the_measures_the_feeds_replace(con, zone, tmp_path: Path) -> None:
    rows = ["5.2;2021;18;Helsedirektoratet;", "5.4;2021;35;Helsedirektoratet;", "1.1.1;2021;5;Helsedirektoratet;"]
    write(tmp_path, "manual/indikator_observasjoner.csv", "measure_id;periode;verdi;kilde;kommentar", rows)
    [outcome] = load_all(con, zone, tmp_path)
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (2, 1)  # 1.1.1 has a feed and no steward fallback
    assert con.execute("select line_number, rule from raw.quarantine").fetchall() == [(4, "unknown_measure")]
