"""pll/pll_YYYY-MM.csv: pasientens legemiddelliste per municipality and month."""

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import CsvSpec, municipality, non_negative_integer, period_matches_file, yes_no

FEED = csv_feed(
    name="pll_monthly",
    folder="pll",
    file_pattern="pll_{period}.csv",
    grain="month",
    spec=CsvSpec(
        columns=[
            "maaned",
            "kommunenummer",
            "tilrettelagt",
            "antall_pasienter_med_pll",
            "antall_oppslag",
            "antall_virksomheter_som_oppdaterer",
        ],
        row_rules=[
            municipality("kommunenummer", allow_unknown=False),
            yes_no("tilrettelagt"),
            non_negative_integer("antall_pasienter_med_pll"),
            non_negative_integer("antall_oppslag"),
            non_negative_integer("antall_virksomheter_som_oppdaterer"),
        ],
        key=("kommunenummer",),
        file_rules=[period_matches_file("maaned")],
    ),
    freshness=Freshness(35, 62),
    display_name="Pasientens legemiddelliste",
    description="Pasientens legemiddelliste per municipality and month (pll_YYYY-MM.csv).",
)
