"""Kjernejournal lookup logs (kj_oppslag_YYYY-MM-DD.jsonl.gz): read with
DuckDB's own JSON reader, checked in SQL, personal identifiers replaced by
keyed pseudonyms before anything is written.

Fødselsnummer control digits and pseudonyms (HMAC-SHA256, first 128 bits as a
UUID) are SQL expressions (fnr.valid_fnr_sql, pseudonym.pseudonym_sql), so a
file is read, checked and pseudonymised by DuckDB in parallel and no clear
value ever enters Python. Clear values live only in temporary tables of this
connection, dropped when the file is done; no message or log line ever
contains one.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import duckdb

from dagster_project.feeds.base import InboxFile, ParsedFile, Violation
from dagster_project.feeds.csv_io import FileRejected
from dagster_project.feeds.fnr import fnr_number_sql, valid_fnr_sql
from dagster_project.feeds.pseudonym import hmac_pads, pseudonym_key, pseudonym_sql
from dagster_project.feeds.reference import known_municipality_codes
from dagster_project.feeds.rules import VIRKSOMHETSTYPER
from dagster_project.warehouse.faults import as_resource_failure

FIELDS = (
    "tidspunkt",
    "oppslag_id",
    "hpr_nummer",
    "pasient_fnr",
    "virksomhet_orgnr",
    "kommunenummer",
    "virksomhetstype",
    "handling",
)
# How DuckDB reads a lookup log: every field as text, so that the row rules (not the reader)
# judge each value. The benchmarks' bare reads use the same options.
READ_JSON_OPTIONS = (
    "format = 'newline_delimited', compression = 'gzip', columns = {"
    + ", ".join(f"'{f}': 'VARCHAR'" for f in FIELDS)
    + "}, maximum_object_size = "
    + str(1 << 20)  # a lookup is ~300 bytes: a longer line is no lookup (a one-line 2 GiB file is refused)
)

STORED_COLUMNS = (
    "tidspunkt",
    "oppslag_id",
    "hpr_pseudonym",
    "patient_pseudonym",
    "virksomhet_orgnr",
    "kommunenummer",
    "virksomhetstype",
    "handling",
)
_TEMP_TABLES = ("incoming_lookups", "lookup_checked", "lookup_known_codes", "lookup_fnr_map", "lookup_hpr_map")

# First rule broken wins; messages never quote a personal value.
_ISO_WITH_OFFSET = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)"
_RULES_SQL = f"""
case
    when {" or ".join(f"l.{f} is null" for f in FIELDS)} then 'missing_field'
    when not regexp_full_match(l.tidspunkt, '{_ISO_WITH_OFFSET}') or l.instant is null then 'invalid_timestamp'
    when cast(timezone('Europe/Oslo', l.instant) as date) <> cast($file_date as date)
        then 'timestamp_outside_file_date'
    when length(l.oppslag_id) <> 36 or try_cast(l.oppslag_id as uuid) is null then 'invalid_uuid'
    when not f.is_valid then 'invalid_fnr'
    when not regexp_full_match(l.hpr_nummer, '\\d{{1,9}}') then 'invalid_hpr'
    when not regexp_full_match(l.virksomhet_orgnr, '\\d{{9}}') then 'invalid_orgnr'
    when k.code is null then 'unknown_municipality'
    when l.virksomhetstype not in ({", ".join(f"'{v}'" for v in VIRKSOMHETSTYPER)}) then 'unknown_virksomhetstype'
    when l.handling not in ('les', 'del') then 'invalid_handling'
    $duplicate_rule
end
"""
# Only evaluated when the file has a repeated oppslag_id (a window over the whole file).
_DUPLICATE_RULE = (
    "when row_number() over (partition by l.oppslag_id order by l.tidspunkt) > 1 then 'duplicate_oppslag_id'"
)
MESSAGES = {
    "missing_field": "a required field is missing or null",
    "invalid_timestamp": "tidspunkt is not an ISO 8601 timestamp with offset",
    "timestamp_outside_file_date": "tidspunkt is not on the file's date in Europe/Oslo time",
    "invalid_uuid": "oppslag_id is not a UUID",
    "invalid_fnr": "pasient_fnr fails the fødselsnummer/D-nummer mod-11 control digits (value withheld)",
    "invalid_hpr": "hpr_nummer is not a string of digits (value withheld)",
    "invalid_orgnr": "virksomhet_orgnr is not 9 digits",
    "unknown_municipality": "kommunenummer is not a known municipality code",
    "unknown_virksomhetstype": f"virksomhetstype is not one of {', '.join(VIRKSOMHETSTYPER)}",
    "invalid_handling": "handling is not les or del",
    "duplicate_oppslag_id": "oppslag_id repeats an earlier lookup in the file",
}


def _read(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        con.execute(
            f"""
            create or replace temp table incoming_lookups as
            select * from read_json(?, {READ_JSON_OPTIONS})
            """,
            [str(path)],
        )
    except duckdb.Error as err:
        if as_resource_failure(err, path) is not None:
            raise  # memory or disk, not the file: ingest turns it into a ResourceFailure
        # DuckDB's message may quote the offending line, which can hold a fødselsnummer:
        # keep only its position.
        where = re.search(r"line \d+", str(err))
        if "maximum_object_size" in str(err):
            raise FileRejected(
                "line_too_long",
                f"a line is longer than {1 << 20} bytes{', ' + where.group(0) if where else ''}: not a lookup log",
            ) from None
        raise FileRejected(
            "unreadable_file",
            f"not gzip-compressed JSON lines ({type(err).__name__}{', ' + where.group(0) if where else ''})",
        ) from None


def pseudonym_maps(con: duckdb.DuckDBPyConnection) -> None:
    """Pseudonym (and, for fødselsnumre, validity) of each distinct identifier of the file
    (temp table incoming_lookups): tables lookup_fnr_map and lookup_hpr_map. Also the
    benchmarks' floor (benchmarks/daily_run.py).

    Computed once per distinct value (a day has far fewer personnel, and fewer
    patients, than lookups), inside DuckDB: the HMAC pads are query parameters.
    """
    pads = hmac_pads(pseudonym_key())
    con.execute(
        f"""
        create or replace temp table lookup_fnr_map as
        select value, {pseudonym_sql("value")} as pseudonym, {valid_fnr_sql("value", "number")} as is_valid
        from (
            select value, {fnr_number_sql("value")} as number
            from (select distinct pasient_fnr as value from incoming_lookups where pasient_fnr is not null)
        )
        """,
        pads,
    )
    con.execute(
        f"""
        create or replace temp table lookup_hpr_map as
        select value, {pseudonym_sql("value")} as pseudonym
        from (select distinct hpr_nummer as value from incoming_lookups where hpr_nummer is not null)
        """,
        pads,
    )


_JOINS = """
from (select *, rowid as row_id, try_cast(tidspunkt as timestamptz) as instant from incoming_lookups) as l
left join lookup_fnr_map as f on l.pasient_fnr = f.value
left join lookup_hpr_map as h on l.hpr_nummer = h.value
left join lookup_known_codes as k on l.kommunenummer = k.code
"""


def _quarantined_rows(con: duckdb.DuckDBPyConnection, file: InboxFile) -> list[tuple[int | None, dict, Violation]]:
    """Every row rule in one pass over the file, beside the values to store (lookup_checked:
    each row checked, parsed and pseudonymised once); the rows that broke a rule come back
    with their line in the file (values as read, identifiers pseudonymised)."""
    [(has_repeats,)] = con.execute(
        "select count(distinct oppslag_id) < count(oppslag_id) from incoming_lookups"
    ).fetchall()
    rules = _RULES_SQL.replace("$duplicate_rule", _DUPLICATE_RULE if has_repeats else "")
    con.execute(
        f"""
        create or replace temp table lookup_checked as
        select
            l.row_id, l.tidspunkt, l.instant, l.oppslag_id,
            cast(h.pseudonym as varchar) as hpr_pseudonym, cast(f.pseudonym as varchar) as patient_pseudonym,
            l.virksomhet_orgnr, l.kommunenummer, l.virksomhetstype, l.handling,
            {rules} as rule
        {_JOINS}
        """,
        {"file_date": file.period},
    )
    bad = con.execute(
        f"select {', '.join(STORED_COLUMNS)}, rule from lookup_checked where rule is not null order by row_id"
    ).fetchall()
    quarantined: list[tuple[int | None, dict, Violation]] = []
    if not bad:
        return quarantined
    lines = _line_numbers(file.path, {(r[1], r[0]) for r in bad})
    for row in bad:
        values = dict(zip(STORED_COLUMNS, row[:-1], strict=True))
        found = lines.get((values["oppslag_id"], values["tidspunkt"]), [])
        line = found.pop(0) if found else None
        quarantined.append((line, values, Violation(row[-1], MESSAGES[row[-1]])))
    return quarantined


def _line_numbers(path: Path, wanted: set[tuple[str | None, str | None]]) -> dict[tuple, list[int]]:
    """Lines of the file holding the given (oppslag_id, tidspunkt): only read when rows are quarantined."""
    lines: dict[tuple, list[int]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for number, text in enumerate(f, start=1):
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                continue
            key = (record.get("oppslag_id"), record.get("tidspunkt"))
            if key in wanted:
                lines.setdefault(key, []).append(number)
    return lines


def parse_lookups(con: duckdb.DuckDBPyConnection, file: InboxFile) -> ParsedFile:
    _read(con, file.path)
    [(rows_read,)] = con.execute("select count(*) from incoming_lookups").fetchall()
    if rows_read == 0:
        cleanup(con)
        raise FileRejected("empty_file", "the file has no lookups")
    [counts] = con.execute(f"select {', '.join(f'count({f})' for f in FIELDS)} from incoming_lookups").fetchall()
    missing = [f for f, n in zip(FIELDS, counts, strict=True) if n == 0]
    if missing:
        cleanup(con)
        raise FileRejected("missing_columns", f"field(s) absent from every line: {', '.join(missing)}")

    con.execute(
        "create or replace temp table lookup_known_codes as select unnest(cast(? as varchar[])) as code",
        [sorted(known_municipality_codes())],
    )
    pseudonym_maps(con)
    quarantined = _quarantined_rows(con, file)

    # The rows that broke no rule, as checked. Stored as types every engine reads: the
    # instant in UTC, ids and pseudonyms as text.
    select = """
        select
            instant as tidspunkt, lower(oppslag_id) as oppslag_id, hpr_pseudonym, patient_pseudonym,
            virksomhet_orgnr, kommunenummer, virksomhetstype, handling
        from lookup_checked
        where rule is null
    """
    return ParsedFile(
        encoding="utf-8",
        rows_read=rows_read,
        rows_loaded=rows_read - len(quarantined),
        quarantined=quarantined,
        selects={"kj_lookups": select},
        cleanup=cleanup,
    )


def cleanup(con: duckdb.DuckDBPyConnection) -> None:
    for table in _TEMP_TABLES:
        con.execute(f"drop table if exists {table}")
