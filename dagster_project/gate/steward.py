"""`ehelse quality`: the latest gate result in words a steward can act on.

Reads the working database read-only: audit.check_results (Great
Expectations), raw.quarantine (rows set aside at ingestion) and the ledger
(rejected files). Examples are aggregates or pseudonymised values only.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

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


# --------------------------------------------------------------------------- the steward's page

STEWARD_PAGE_NAME = "quality.html"
_STATUS_LABELS = {"failed": "failed (blocks)", "warning": "warning", "accepted": "accepted", "passed": "passed"}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quality gate: {verdict}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }}
.failed {{ background: #fde2e1; }} .warning {{ background: #fff4cc; }} .accepted {{ background: #e8f0fe; }}
.status {{ white-space: nowrap; font-weight: 600; }}
</style></head>
<body>
<h1>Quality gate: {verdict}</h1>
<p>Run {run_id}, {checked_at}: {n_checks} checks, {n_failed} blocking, {n_warnings} warning(s), {n_accepted} accepted.
{docs_link}</p>
<table>
<thead><tr><th>status</th><th>check</th><th>table</th><th>failing rows</th><th>what it checks</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def check_status(severity: str, passed: bool, accepted_by: str | None) -> str:
    """One word a steward reads: a `warn` rule that failed is a warning, not a failure."""
    if passed:
        return "passed"
    if accepted_by:
        return "accepted"
    return "failed" if severity == "error" else "warning"


def write_steward_page(working_db: Path, out: Path) -> Path | None:
    """The latest gate result as one self-contained HTML page (no script, font or image from
    anywhere: it works on a closed network), linking into the Great Expectations Data Docs.
    None when no suite has run yet."""
    if not working_db.exists():
        return None
    con = duckdb.connect(str(working_db), read_only=True)
    try:
        if not _has_table(con, "audit", "check_results"):
            return None
        run_id, checked_at = con.execute(
            "select run_id, max(checked_at) from audit.check_results group by run_id order by 2 desc limit 1"
        ).fetchone()
        checks = con.execute(
            """
            select check_name, table_name, description, severity, passed, failing_rows, accepted_by,
                   acceptance_reason, data_docs
            from audit.check_results where run_id = ?
            qualify row_number() over (partition by check_name order by checked_at desc) = 1
            """,
            [run_id],
        ).fetchall()
    finally:
        con.close()
    order = {"failed": 0, "warning": 1, "accepted": 2, "passed": 3}
    rows = sorted(((check_status(c[3], c[4], c[6]), c) for c in checks), key=lambda r: (order[r[0]], r[1][0]))
    counts = {status: sum(s == status for s, _ in rows) for status in order}
    docs = next((Path(c[8]) for _, c in rows if c[8]), None)
    # GX's own pages load their scripts from the internet: a link for those who have it.
    href = html.escape(os.path.relpath(docs, out.parent)) if docs else ""
    docs_link = f'Per suite: <a href="{href}">Great Expectations Data Docs</a> (needs the internet).' if docs else ""
    out.write_text(
        _PAGE.format(
            verdict="refused" if counts["failed"] else "passed",
            run_id=html.escape(str(run_id)),
            checked_at=f"{checked_at:%Y-%m-%d %H:%M}",
            n_checks=len(rows),
            n_failed=counts["failed"],
            n_warnings=counts["warning"],
            n_accepted=counts["accepted"],
            docs_link=docs_link,
            rows="\n".join(_check_row(status, check) for status, check in rows),
        ),
        encoding="utf-8",
    )
    return out


def _check_row(status: str, check: tuple) -> str:
    name, table, description, _, _, failing, accepted_by, reason, _ = check
    accepted = f"<br>accepted by {html.escape(accepted_by)}: {html.escape(reason or '')}" if accepted_by else ""
    return (
        f'<tr class="{status}" data-check="{html.escape(name)}" data-status="{status}">'
        f'<td class="status">{_STATUS_LABELS[status]}</td><td>{html.escape(name)}</td>'
        f"<td>{html.escape(table)}</td><td>{failing}</td><td>{html.escape(description or '')}{accepted}</td></tr>"
    )
