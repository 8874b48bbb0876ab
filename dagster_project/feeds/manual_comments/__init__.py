"""manual/indikator_kommentarer.csv: the stewards' written assessment of a measure, an indicator,
a goal (mal-N) or the report as a whole (rapport), with an optional kategori (seed 001's headings).

No freshness: comments are written when there is something to say, on no cadence."""

from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import CsvSpec, catalog_id, comment_category, iso_date, non_empty

FEED = csv_feed(
    name="manual_comments",
    folder="manual",
    file_pattern="indikator_kommentarer.csv",
    grain="whole",
    spec=CsvSpec(
        columns=["id", "gjelder_fra", "kommentar", "forfatter"],
        row_rules=[catalog_id, iso_date("gjelder_fra"), non_empty("kommentar"), comment_category],
        key=("id", "gjelder_fra", "kategori"),
        optional_columns=["kategori"],
    ),
    display_name="Manuelle kommentarer",
    description="Stewards' written assessments per measure, indicator, goal (mal-N) or report (rapport) "
    "(indikator_kommentarer.csv; the whole file is the truth).",
)
