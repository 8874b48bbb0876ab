"""surveys/helsepersonellundersokelsen_YYYY.xlsx: the health-personnel survey, one row per respondent."""

from dagster_project.feeds.base import Feed, Freshness
from dagster_project.feeds.surveys import SURVEY_TABLES, parse_survey

FEED = Feed(
    name="survey_personnel",
    folder="surveys",
    file_pattern="helsepersonellundersokelsen_{period}.xlsx",
    grain="year",
    parse=parse_survey,
    tables=SURVEY_TABLES,
    freshness=Freshness(400, 760),
    display_name="Helsepersonellundersøkelsen",
    description="The health-personnel survey workbook (sheet data): internal only, never published.",
    extra={"survey": "helsepersonell"},
)
