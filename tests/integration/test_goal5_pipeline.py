"""Goal 5 from the roadmap and the portfolio (issue 15), through the whole pipeline: 5.2 as
computed by hand from the CSV, a slipping forecast turning a sub-goal to points_to_red, the
feed winning over a steward with a warning, and the report opening with the sub-goal summary."""

import csv
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.presentation.report import write_report
from dagster_project.runner import run_pipeline


def share_delayed_by_hand(snapshot: Path, phase: str, threshold: int = 90) -> tuple[int, int]:
    """indicators.md 5.2 / 5.3 on the year's last snapshot, straight from the file."""
    day = date.fromisoformat(snapshot.stem[-10:])
    delayed = due = 0
    with snapshot.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            planned = date.fromisoformat(row["planlagt_dato"])
            if row["fase"] != phase or row["status"] == "avbrutt" or planned.year != day.year or planned > day:
                continue
            if row["fullfort_dato"]:
                judged = date.fromisoformat(row["fullfort_dato"])
            elif row["prognose_dato"] and date.fromisoformat(row["prognose_dato"]) >= day:
                judged = date.fromisoformat(row["prognose_dato"])
            else:
                judged = day
            due += 1
            delayed += (judged - planned).days > threshold
    return delayed, due


def published(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse / "published.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def rewrite(path: Path, change) -> None:  # noqa: ANN001 - a function of the rows
    with path.open(encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter=";")
        header, rows = reader.fieldnames, list(reader)
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def test_goal_5_comes_from_the_roadmap_and_the_portfolio(published_env, tmp_path: Path) -> None:
    inbox, warehouse = published_env
    december = inbox / "veikart" / "veikart_delmaal_2022-12-31.csv"

    # 5.2 and 5.3 for 2022: by hand from the year's last snapshot, against the published values
    for measure_id, phase in (("5.2", "utvikling"), ("5.3", "innforing")):
        delayed, due = share_delayed_by_hand(december, phase)
        [(value, numerator, denominator)] = published(
            warehouse,
            "select value, numerator, denominator from marts.fct_measure_value "
            "where measure_id = ? and period = '2022' and geography_level = 'national'",
            [measure_id],
        )
        assert (numerator, denominator) == (delayed, due)
        assert abs(value - 100 * delayed / due) < 1e-9
    # 5.4 from the portfolio file
    with (inbox / "portefolje" / "portefolje_tiltak_2022.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    evaluated = sum("ja" in (r["midler_til_evaluering"], r["planlagt_folgeforskning"]) for r in rows)
    assert published(
        warehouse,
        "select numerator, denominator from marts.fct_measure_value where measure_id = '5.4' and period = '2022'",
    ) == [(evaluated, len(rows))]
    assert (
        10
        <= published(
            warehouse, "select value from marts.fct_measure_value where measure_id = '5.3' and period = '2022'"
        )[0][0]
        <= 20
    )

    # A new quarter: a sub-goal's forecast slips 107 days past its plan, another's plan moves.
    def add_subgoal(forecast: str):
        new = dict.fromkeys(rows_header(december), "")
        new.update(
            delmaal_id="TEST-1",
            losning="Helsenorge",
            tittel="Timebestilling <på tvers>",
            fase="utvikling",
            strategisk_mal="1",
            planlagt_dato="2023-06-30",
            prognose_dato=forecast,
            status="pagar",
            prioritert_av_radsmodellen="ja",
        )
        return lambda rows: [*rows, new]

    rewrite(december, add_subgoal("2023-07-15"))
    march = inbox / "veikart" / "veikart_delmaal_2023-03-31.csv"
    march.write_bytes(december.read_bytes())
    rewrite(
        march,
        lambda rows: [
            r | {"prognose_dato": "2023-10-15", "status": "utsatt"} if r["delmaal_id"] == "TEST-1" else r for r in rows
        ],
    )
    moved = next(r for r in csv.DictReader(march.open(encoding="utf-8"), delimiter=";") if r["status"] == "fullfort")
    rewrite(
        march,
        lambda rows: [
            r | {"planlagt_dato": "2021-01-01"} if r["delmaal_id"] == moved["delmaal_id"] else r for r in rows
        ],
    )
    # A steward value for a year the feed does not cover, and one that disagrees with the feed.
    with (inbox / "manual" / "indikator_observasjoner.csv").open("a", encoding="utf-8") as f:
        f.write("5.2;2021;18;Helsedirektoratet;\r\n5.2;2022;99;Helsedirektoratet;\r\n")

    outcome = run_pipeline()
    assert outcome.ok and outcome.published, outcome.message
    assert "5.2 2022: feed" in outcome.message and "steward 99" in outcome.message
    assert (
        f"{moved['delmaal_id']} (2023-03-31): planlagt_dato {moved['planlagt_dato']} -> 2021-01-01" in outcome.message
    )

    assert published(
        warehouse,
        "select snapshot_date, delay_days, points_to_red from marts.roadmap_subgoals where delmaal_id = 'TEST-1'",
    ) == [(date(2023, 3, 31), 107, True)]
    values = dict(
        published(
            warehouse, "select period, value from marts.fct_measure_value where measure_id = '5.2' and period < '2023'"
        )
    )
    assert values["2021"] == 18  # the steward's, for a year the feed does not cover
    assert values["2022"] != 99  # the feed's wins

    report = write_report(warehouse / "published.duckdb", tmp_path / "report.html").read_text(encoding="utf-8")
    body = report[report.index("<body>") :]
    # The headline comes first (issue 21), then the sub-goals that point to red.
    assert body.index('id="headline"') < body.index("Status nasjonal e-helsestrategi – oppsummering delmål")
    assert "Timebestilling &lt;på tvers&gt;" in body and 'data-subgoal="TEST-1" data-prioritised="true"' in body
    assert "30.06.2023" in body and "15.10.2023" in body


def rows_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return next(csv.reader(f, delimiter=";"))
