"""manual/indikator_observasjoner.csv: values stewards enter for measures with no automated feed."""

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import CsvSpec, decimal, manual_measure, manual_period

FEED = csv_feed(
    name="manual_observations",
    folder="manual",
    file_pattern="indikator_observasjoner.csv",
    grain="whole",
    spec=CsvSpec(
        columns=["measure_id", "periode", "verdi", "kilde", "kommentar"],
        row_rules=[manual_measure, manual_period, decimal("verdi")],
        key=("measure_id", "periode"),
    ),
    freshness=Freshness(400),
    display_name="Manuelt innrapporterte måltall",
    description="Steward-entered observations (indikator_observasjoner.csv; the whole file is the truth).",
)
