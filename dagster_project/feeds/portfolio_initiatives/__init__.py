"""portefolje/portefolje_tiltak_YYYY.csv: the yearly count of the national e-health portfolio,
one row per initiative (tiltak). Measure 5.4 is computed from it."""

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.portfolio_initiatives.demo import write_demo_files
from dagster_project.feeds.rules import (
    CsvSpec,
    integer_between,
    non_empty,
    period_matches_file,
    unique_or_reject,
    yes_no,
)

FEED = csv_feed(
    name="portfolio_initiatives",
    folder="portefolje",
    file_pattern="portefolje_tiltak_{period}.csv",
    grain="year",
    spec=CsvSpec(
        columns=[
            "aar",
            "tiltak_id",
            "navn",
            "ansvarlig_virksomhet",
            "strategisk_mal",
            "midler_til_evaluering",
            "planlagt_folgeforskning",
        ],
        row_rules=[
            non_empty("tiltak_id"),
            non_empty("navn"),
            integer_between("strategisk_mal", 1, 5, "invalid_goal"),
            yes_no("midler_til_evaluering"),
            yes_no("planlagt_folgeforskning"),
        ],
        key=("tiltak_id",),
        file_rules=[period_matches_file("aar"), unique_or_reject("tiltak_id")],
    ),
    freshness=Freshness(400, 760),
    display_name="Nasjonal portefølje: tiltak",
    description="The yearly count of the national e-health portfolio, one row per initiative "
    "(portefolje_tiltak_YYYY.csv).",
    demo=write_demo_files,
)
