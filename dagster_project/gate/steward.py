"""`ehelse quality`: the latest gate result in words a steward can act on.

Reads the working database read-only: audit.check_results (Great
Expectations), raw.quarantine (rows set aside at ingestion) and the ledger
(rejected files). Examples are aggregates or pseudonymised values only.
"""

from __future__ import annotations

import json

import duckdb

from dagster_project.presentation.status import format_table
from dagster_project.settings import DEFAULT_MEMORY_LIMIT, WarehousePaths
from dagster_project.warehouse import ledger, working_db


def format_quality(paths: WarehousePaths, max_examples: int = 3) -> str:
    if not paths.working_db.exists():
        return f"no warehouse yet: {paths.working_db} does not exist (run `ehelse run`)"
    with working_db.connect(paths, DEFAULT_MEMORY_LIMIT, read_only=True) as con:
        return "\n".join(
            [*_gate_section(con, max_examples), "", *_quarantine_section(con), "", *_rejected_section(paths)]
        )


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _gate_section(con: duckdb.DuckDBPyConnection, max_examples: int) -> list[str]:
    if not _has_table(con, "audit", "check_results"):
        return ["Quality gate: no Great Expectations results yet."]
    latest = con.execute(
        """
        select run_id, max(checked_at) from audit.check_results
        group by run_id order by max(checked_at) desc limit 1
        """
    ).fetchone()
    rows = con.execute(
        """
        with latest as (
            select *, row_number() over (partition by check_name order by checked_at desc) as recency_rank
            from audit.check_results where run_id = ?
        )
        select check_name, table_name, rule, severity, failing_rows, examples, accepted_by, acceptance_reason,
               description, data_docs
        from latest where recency_rank = 1 and not passed
        order by severity, check_name
        """,
        [latest[0]],
    ).fetchall()
    n_checked = con.execute(
        "select count(distinct check_name) from audit.check_results where run_id = ?", [latest[0]]
    ).fetchone()[0]
    blocking = [r for r in rows if r[3] == "error"]
    verdict = "REFUSED (publication blocked)" if blocking else "PASSED"
    out = [
        f"Quality gate {verdict}: run {latest[0]} at {latest[1]:%Y-%m-%d %H:%M}, "
        f"{n_checked} expectations, {len(blocking)} blocking, {len(rows) - len(blocking)} warning(s)"
    ]
    for check, table, rule, severity, failing, examples, accepted_by, reason, description, _ in rows:
        out.append("")
        label = "ERROR" if severity == "error" else ("ACCEPTED" if accepted_by else "WARN")
        out.append(f"[{label}] {check}  ({table}, {failing} failing row(s))")
        out.append(f"  {description}")
        out.append(f"  rule: {rule}")
        if accepted_by:
            out.append(f"  accepted by {accepted_by}: {reason}")
        for example in json.loads(examples or "[]")[:max_examples]:
            out.append(f"  e.g. {example}")
    docs = (
        next((r[9] for r in rows if r[9]), None)
        or con.execute("select max(data_docs) from audit.check_results where run_id = ?", [latest[0]]).fetchone()[0]
    )
    if docs:
        out += ["", f"Data Docs: {docs}"]
    return out


def _quarantine_section(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = ledger.quarantine_summary(con)
    if not rows:
        return ["Quarantine: no rows in the current file versions."]
    table = format_table(
        ["family", "file", "rule", "rows", "first line", "example"],
        [[f, n, r, str(c), str(line), m[-70:]] for f, n, r, c, line, m in rows],
    )
    return ["Quarantined rows in the current file versions (fix the file and re-deliver it, or accept):", table]


def _rejected_section(paths: WarehousePaths) -> list[str]:
    rows = ledger.rejected_files(paths.raw_zone)
    if not rows:
        return ["Rejected files: none."]
    return [
        "Rejected files (their period keeps its previous data):",
        format_table(["family", "file", "reason"], [list(r) for r in rows]),
    ]
