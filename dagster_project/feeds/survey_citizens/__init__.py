"""surveys/innbyggerundersokelsen_YYYY.xlsx: the citizens' survey, one row per respondent."""

from dagster_project.feeds.base import Feed, Freshness
from dagster_project.feeds.surveys import SURVEY_TABLES, parse_survey

FEED = Feed(
    name="survey_citizens",
    folder="surveys",
    file_pattern="innbyggerundersokelsen_{period}.xlsx",
    grain="year",
    parse=parse_survey,
    tables=SURVEY_TABLES,
    freshness=Freshness(400, 760),
    display_name="Innbyggerundersøkelsen",
    description="The citizens' survey workbook (sheet data): internal only, never published.",
    extra={"survey": "innbygger"},
)
