"""helsenorge/helsenorge_bruk_YYYY-MM.csv: monthly Helsenorge use per municipality and service."""

from dagster_project.feeds.base import Freshness
from dagster_project.feeds.csv_feed import csv_feed
from dagster_project.feeds.rules import (
    HELSENORGE_SERVICES,
    CsvSpec,
    municipality,
    non_negative_integer,
    one_of,
    period_matches_file,
    unique_users_within_visits,
)

FEED = csv_feed(
    name="helsenorge_usage",
    folder="helsenorge",
    file_pattern="helsenorge_bruk_{period}.csv",
    grain="month",
    spec=CsvSpec(
        columns=["maaned", "kommunenummer", "tjeneste", "antall_besok", "antall_unike_brukere"],
        row_rules=[
            municipality("kommunenummer"),
            one_of("tjeneste", frozenset(HELSENORGE_SERVICES), "unknown_service"),
            non_negative_integer("antall_besok"),
            non_negative_integer("antall_unike_brukere"),
            unique_users_within_visits,
        ],
        key=("maaned", "kommunenummer", "tjeneste"),
        file_rules=[period_matches_file("maaned")],
    ),
    freshness=Freshness(35, 62),
    display_name="Helsenorge: bruk",
    description="Helsenorge visits per municipality, service and month (helsenorge_bruk_YYYY-MM.csv).",
)
