"""manual/indikator_kommentarer.csv: the stewards' written assessment of a measure or an indicator.

No freshness: comments are written when there is something to say, on no cadence."""

from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import CsvSpec, catalog_id, iso_date, non_empty

FEED = csv_feed(
    name="manual_comments",
    folder="manual",
    file_pattern="indikator_kommentarer.csv",
    grain="whole",
    spec=CsvSpec(
        columns=["id", "gjelder_fra", "kommentar", "forfatter"],
        row_rules=[catalog_id, iso_date("gjelder_fra"), non_empty("kommentar")],
        key=("id", "gjelder_fra"),
    ),
    display_name="Manuelle kommentarer",
    description="Stewards' written assessments per measure or indicator "
    "(indikator_kommentarer.csv; the whole file is the truth).",
)
