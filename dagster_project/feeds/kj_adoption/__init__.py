"""kjernejournal/kj_innforing_YYYY-MM-DD.csv: municipalities whose care services use kjernejournal."""

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import CsvSpec, iso_date_not_after_snapshot, municipality

FEED = csv_feed(
    name="kj_adoption",
    folder="kjernejournal",
    file_pattern="kj_innforing_{period}.csv",
    grain="day",
    snapshot=True,  # a file per snapshot date: partitioned by the dates the files carry
    spec=CsvSpec(
        columns=["kommunenummer", "innfort_dato"],
        row_rules=[
            municipality("kommunenummer", allow_unknown=False),
            iso_date_not_after_snapshot("innfort_dato"),
        ],
        key=("kommunenummer",),
    ),
    freshness=Freshness(35, 62),
    display_name="Kjernejournal: innføring",
    description="Snapshots of municipalities that have adopted kjernejournal (kj_innforing_YYYY-MM-DD.csv).",
)
