"""The shape shared by the CSV feeds of inputs.md: one raw table holding every
column as text (staging casts), each row with its line in the file; the file
and row rules of a CsvSpec decide what is loaded, quarantined or rejected."""

from __future__ import annotations

import duckdb
import pandas as pd

from dagster_project.feeds.base import DemoWriter, Feed, Freshness, Grain, InboxFile, ParsedFile, Table
from dagster_project.feeds.csv_io import read_csv
from dagster_project.feeds.hostile import scrub_row
from dagster_project.feeds.reference import catalog_ids, known_municipality_codes, manual_measure_ids
from dagster_project.feeds.rules import CsvSpec, FileContext, check_rows


def csv_feed(
    *,
    name: str,
    folder: str,
    file_pattern: str,
    grain: Grain,
    spec: CsvSpec,
    display_name: str,
    description: str,
    freshness: Freshness | None = None,
    demo: DemoWriter | None = None,
    snapshot: bool = False,
) -> Feed:
    """A Feed whose files are `;`-separated CSV checked by `spec`, stored in raw table `name`."""
    columns = {"source_line": "bigint", **dict.fromkeys(spec.all_columns, "varchar")}
    return Feed(
        name=name,
        folder=folder,
        file_pattern=file_pattern,
        grain=grain,
        parse=parse_csv,
        tables=(Table(name, columns),),
        display_name=display_name,
        description=description,
        freshness=freshness,
        demo=demo,
        extra={"spec": spec},
        snapshot=snapshot,
    )


def parse_csv(con: duckdb.DuckDBPyConnection, file: InboxFile) -> ParsedFile:
    spec: CsvSpec = file.feed.extra["spec"]
    ctx = FileContext(file.name, file.period, known_municipality_codes(), manual_measure_ids(), catalog_ids())
    table = read_csv(file.path, spec.columns)
    for row in table.rows:  # an optional column the file does not have is blank on every row
        for column in spec.optional_columns:
            row.values.setdefault(column, "")
    valid, quarantined = check_rows(table, spec, ctx)
    columns = ["source_line", *spec.all_columns]
    # Checked on the values as read; stored with identifiers in any field pseudonymised (inputs.md).
    stored = [(row.line_number, scrub_row(row.values)) for row in valid]
    frame = pd.DataFrame(
        [[line, *(values[c] for c in spec.all_columns)] for line, values in stored],
        columns=columns,
    ).astype({"source_line": "int64", **dict.fromkeys(spec.all_columns, "string")})
    view = f"incoming_{file.feed.name}"
    con.register(view, frame)
    return ParsedFile(
        encoding=table.encoding,
        rows_read=len(table.rows) + len(table.malformed),
        rows_loaded=len(valid),
        quarantined=quarantined,
        selects={file.feed.name: f"select {', '.join(columns)} from {view}"},
        cleanup=lambda con: con.unregister(view),
    )
