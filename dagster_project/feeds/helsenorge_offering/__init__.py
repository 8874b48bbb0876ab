"""helsenorge/helsenorge_tjenestetilbud_YYYY-MM-DD.csv: municipalities offering a municipal service."""

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import OFFERED_SERVICES, CsvSpec, iso_date_not_after_snapshot, municipality, one_of

FEED = csv_feed(
    name="helsenorge_offering",
    folder="helsenorge",
    file_pattern="helsenorge_tjenestetilbud_{period}.csv",
    grain="day",
    snapshot=True,  # a file per snapshot date: partitioned by the dates the files carry
    spec=CsvSpec(
        columns=["kommunenummer", "tjeneste", "tilbys_fra"],
        row_rules=[
            municipality("kommunenummer", allow_unknown=False),
            one_of("tjeneste", OFFERED_SERVICES, "unknown_service"),
            iso_date_not_after_snapshot("tilbys_fra"),
        ],
        key=("kommunenummer", "tjeneste"),
    ),
    freshness=Freshness(35, 62),
    display_name="Helsenorge: tjenestetilbud",
    description="Snapshots of municipalities offering Digihelsestasjon/Digihelse "
    "(helsenorge_tjenestetilbud_YYYY-MM-DD.csv).",
)
