"""One asset per CSV family of inputs.md, landing rows in the raw schema.

Monthly feeds are partitioned by month with a single-run backfill policy: a
backfill of any range is one run that loads every pending file of the range
(already-loaded files cost one hash and one ledger look-up).
"""

import dagster as dg

from dagster_project.lib.inbox import FAMILIES, FAMILY_BY_NAME, FileFamily, scan_inbox
from dagster_project.lib.ingest import LoadOutcome, ensure_raw_tables, ingest_files, record_unmatched
from dagster_project.lib.settings import ingest_workers
from dagster_project.resources import WarehouseResource

MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2019-01", fmt="%Y-%m", end_offset=1)
DAILY = dg.DailyPartitionsDefinition(start_date="2019-01-01", end_offset=1, timezone="Europe/Oslo")

# Every write to the working DuckDB file shares one pool with a limit of 1
# (dagster.yaml): DuckDB admits one writing process.
WRITER_POOL = "duckdb_writer"


def _summarise(outcomes: list[LoadOutcome]) -> dict[str, dg.MetadataValue | int | str]:
    changed = [o for o in outcomes if o.status != "skipped"]
    periods = sorted(o.period for o in changed if o.period)
    by_status: dict[str, int] = {}
    for o in changed:
        by_status[o.status] = by_status.get(o.status, 0) + 1
    rejected = [f"{o.file_name}: {o.reason}" for o in changed if o.status == "rejected"]
    return {
        "files_seen": len(outcomes),
        "files_changed": len(changed),
        "files_by_status": dg.MetadataValue.json(by_status),
        "rows_loaded": sum(o.rows_loaded for o in changed),
        "rows_quarantined": sum(o.rows_quarantined for o in changed),
        "period_range": f"{periods[0]} .. {periods[-1]}" if periods else "-",
        "rejected_files": dg.MetadataValue.md("\n".join(f"- {r}" for r in rejected) or "none"),
    }


def load_family(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, *families: FileFamily
) -> dg.MaterializeResult:
    scan = scan_inbox(warehouse.inbox_path)
    wanted = set(context.partition_keys) if context.has_partition_key_range or context.has_partition_key else None
    files = [f for f in scan.files if f.family in families and (wanted is None or f.period in wanted)]
    outcomes: list[LoadOutcome] = []
    with warehouse.connect() as con:
        ensure_raw_tables(con, FAMILIES)

        def progress(done: int) -> None:
            if done % 100 == 0:
                context.log.info(f"{families[0].name}: {done}/{len(files)} files handled")

        outcomes += ingest_files(con, files, context.run_id, ingest_workers(), progress)
        # Files whose names match no pattern are reported by the usage asset, once per content.
        if families[0].name == "helsenorge_usage":
            for path in scan.unmatched:
                outcomes.append(record_unmatched(con, path, warehouse.inbox_path, context.run_id))
    for o in outcomes:
        if o.status == "rejected":
            context.log.error(f"rejected {o.file_name}: {o.reason}")
    return dg.MaterializeResult(metadata=_summarise(outcomes))


def _ingestion_asset(
    family_name: str, description: str, partitions_def: dg.PartitionsDefinition | None
) -> dg.AssetsDefinition:
    family = FAMILY_BY_NAME[family_name]
    schema, table = family.raw_table.split(".")

    @dg.asset(
        key=[schema, table],
        group_name="raw",
        description=description,
        kinds={"duckdb", "python"},
        owners=["team:data-engineering"],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        pool=WRITER_POOL,
        tags={"source_family": family.name},
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        return load_family(context, warehouse, family)

    return _asset


helsenorge_usage = _ingestion_asset(
    "helsenorge_usage",
    "Helsenorge visits per municipality, service and month (helsenorge_bruk_YYYY-MM.csv).",
    MONTHLY,
)
helsenorge_offering = _ingestion_asset(
    "helsenorge_offering",
    "Snapshots of municipalities offering Digihelsestasjon/Digihelse (helsenorge_tjenestetilbud_YYYY-MM-DD.csv).",
    None,
)
kj_adoption = _ingestion_asset(
    "kj_adoption",
    "Snapshots of municipalities that have adopted kjernejournal (kj_innforing_YYYY-MM-DD.csv).",
    None,
)
pll_monthly = _ingestion_asset(
    "pll", "Pasientens legemiddelliste per municipality and month (pll_YYYY-MM.csv).", MONTHLY
)
manual_observations = _ingestion_asset(
    "manual",
    "Steward-entered observations (indikator_observasjoner.csv; the whole file is the truth).",
    None,
)
manual_comments = _ingestion_asset(
    "manual_comments",
    "Stewards' written assessments per measure or indicator (indikator_kommentarer.csv; the whole file is the truth).",
    None,
)

kj_lookups = _ingestion_asset(
    "kj_lookups",
    "Kjernejournal lookup audit log, one row per lookup (kj_oppslag_YYYY-MM-DD.jsonl.gz, read by DuckDB); "
    "fødselsnummer and HPR number replaced by HMAC pseudonyms at read time.",
    DAILY,
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", "survey_respondents"],
            description="Survey respondents (innbyggerundersokelsen_YYYY.xlsx, helsepersonellundersokelsen_YYYY.xlsx, "
            "sheet data): internal only, never published.",
            group_name="raw",
            kinds={"duckdb", "pandas"},
            owners=["team:data-engineering"],
            tags={"source_family": "surveys"},
        ),
        dg.AssetSpec(
            ["raw", "survey_answers"],
            description="One row per respondent and answered question (blank = not asked is left out).",
            group_name="raw",
            kinds={"duckdb", "pandas"},
            owners=["team:data-engineering"],
            tags={"source_family": "surveys"},
        ),
    ],
    pool=WRITER_POOL,
)
def survey_responses(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    result = load_family(context, warehouse, FAMILY_BY_NAME["survey_citizens"], FAMILY_BY_NAME["survey_personnel"])
    yield dg.MaterializeResult(asset_key=["raw", "survey_respondents"], metadata=result.metadata)
    yield dg.MaterializeResult(asset_key=["raw", "survey_answers"], metadata=result.metadata)


# Which inbox families each ingestion asset loads (checks, jobs and the sensor read this).
FAMILIES_BY_ASSET_KEY: dict[dg.AssetKey, list[str]] = {
    dg.AssetKey(["raw", "helsenorge_usage"]): ["helsenorge_usage"],
    dg.AssetKey(["raw", "helsenorge_offering"]): ["helsenorge_offering"],
    dg.AssetKey(["raw", "kj_lookups"]): ["kj_lookups"],
    dg.AssetKey(["raw", "kj_adoption"]): ["kj_adoption"],
    dg.AssetKey(["raw", "pll_monthly"]): ["pll"],
    dg.AssetKey(["raw", "survey_respondents"]): ["survey_citizens", "survey_personnel"],
    dg.AssetKey(["raw", "manual_observations"]): ["manual"],
    dg.AssetKey(["raw", "manual_comments"]): ["manual_comments"],
}

INGESTION_ASSETS = [
    helsenorge_usage,
    helsenorge_offering,
    kj_lookups,
    kj_adoption,
    pll_monthly,
    survey_responses,
    manual_observations,
    manual_comments,
]
MONTHLY_INGESTION_ASSETS = [helsenorge_usage, pll_monthly]
DAILY_INGESTION_ASSETS = [kj_lookups]
PARTITIONED_INGESTION_ASSETS = MONTHLY_INGESTION_ASSETS + DAILY_INGESTION_ASSETS
