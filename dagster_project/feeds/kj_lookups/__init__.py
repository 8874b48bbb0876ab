"""kjernejournal/kj_oppslag_YYYY-MM-DD.jsonl.gz: the day's audit log of kjernejournal lookups."""

from dagster_project.feeds.base import Feed, Freshness, Table
from dagster_project.feeds.kj_lookups.parse import parse_lookups

FEED = Feed(
    name="kj_lookups",
    folder="kjernejournal",
    file_pattern="kj_oppslag_{period}.jsonl.gz",
    grain="day",
    parse=parse_lookups,
    tables=(
        Table(
            "kj_lookups",
            {
                "tidspunkt": "timestamp with time zone",
                "oppslag_id": "varchar",
                "hpr_pseudonym": "varchar",
                "patient_pseudonym": "varchar",
                "virksomhet_orgnr": "varchar",
                "kommunenummer": "varchar",
                "virksomhetstype": "varchar",
                "handling": "varchar",
            },
            unique_across_files="oppslag_id",
        ),
    ),
    freshness=Freshness(3, 35),
    display_name="Kjernejournal: oppslag",
    description="Kjernejournal lookup audit log, one row per lookup (kj_oppslag_YYYY-MM-DD.jsonl.gz, read by "
    "DuckDB); fødselsnummer and HPR number replaced by HMAC pseudonyms at read time.",
)
