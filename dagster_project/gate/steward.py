"""`ehelse quality` and <warehouse>/quality.html: the gate in words a steward can act on.

Two gates, never mixed (issue 22): the gate BEHIND THE CURRENT PUBLICATION (published.duckdb's
publication_log and publication_checks, with the rule and examples of the same checks from the
working database) and, separately, the latest REFUSED attempt since then (audit.check_results,
Great Expectations and failed dbt tests alike). A run from the Dagster UI that checks a part
never replaces either. Also the quarantine (rows set aside at ingestion, cross-file duplicates
included: an ordinary rule naming both files) and the ledger's rejected files (files outside
the accepted periods included). Examples are aggregates or pseudonymised values only. Bokmål.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dagster_project.presentation.status import format_table
from dagster_project.settings import DEFAULT_MEMORY_LIMIT, WarehousePaths
from dagster_project.warehouse import ledger, working_db

TEMPLATES = Path(__file__).resolve().parents[1] / "presentation" / "templates"
STATUS_WORDS = {"failed": "feilet (blokkerer)", "warning": "advarsel", "accepted": "godtatt", "passed": "bestått"}
_LABELS = {"failed": "FEIL", "warning": "ADVARSEL", "accepted": "GODTATT", "passed": "OK"}
_ORDER = {"failed": 0, "warning": 1, "accepted": 2, "passed": 3}


@dataclass
class Check:
    name: str
    table: str
    status: str  # failed | warning | accepted | passed (check_status)
    failing_rows: int
    description: str = ""
    rule: str = ""
    examples: list = field(default_factory=list)
    accepted_by: str | None = None
    acceptance_reason: str | None = None

    @property
    def label(self) -> str:
        return _LABELS[self.status]

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]


@dataclass
class Gate:
    """One gate result: the one behind a publication, or one refused attempt."""

    title: str  # what it is, in words
    when: datetime
    ref: str  # publication id or run id
    checks: list[Check]

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.checks)

    @property
    def shown(self) -> list[Check]:
        return [c for c in self.checks if c.status != "passed"]


@dataclass
class StewardView:
    published: Gate | None
    refused: Gate | None  # the latest refused attempt after the current publication
    quarantine: list[tuple]
    rejected: list[tuple]
    data_docs: str | None

    @property
    def refused_latest(self) -> bool:
        """The latest attempt was refused: `ehelse quality` exits non-zero."""
        return self.refused is not None


def check_status(severity: str, passed: bool, accepted_by: str | None) -> str:
    """One word a steward reads: a `warn` rule that failed is a warning, not a failure."""
    if passed:
        return "passed"
    if accepted_by:
        return "accepted"
    return "failed" if severity == "error" else "warning"


def steward_view(paths: WarehousePaths) -> StewardView | None:
    """Everything the view shows, or None before the first run."""
    if not paths.working_db.exists():
        return None
    published = _published_gate(paths)
    with working_db.connect(paths, DEFAULT_MEMORY_LIMIT, read_only=True) as con:
        has_audit = _has_table(con, "audit", "check_results")
        if published is not None and has_audit:
            _add_rules_and_examples(con, published)
        refused = _refused_attempt(con, published.when if published else None) if has_audit else None
        docs = con.execute("select max(data_docs) from audit.check_results").fetchone()[0] if has_audit else None
        quarantine = ledger.quarantine_summary(con)
    return StewardView(published, refused, quarantine, ledger.rejected_files(paths.raw_zone), docs)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _published_gate(paths: WarehousePaths) -> Gate | None:
    if not paths.published_db.exists():
        return None
    con = duckdb.connect(str(paths.published_db), read_only=True)
    try:
        latest = con.execute(
            "select publication_id, published_at from marts.publication_log order by published_at desc limit 1"
        ).fetchone()
        if latest is None:
            return None
        rows = con.execute(
            """
            select check_name, table_name, description, severity, passed, failing_rows, accepted_by, acceptance_reason
            from marts.publication_checks where publication_id = ?
            """,
            [latest[0]],
        ).fetchall()
    except duckdb.Error:
        return None  # a publication from before publication_checks: nothing to show
    finally:
        con.close()
    checks = [
        Check(name, table, check_status(sev, passed, by), failing or 0, desc or "", "", [], by, why)
        for name, table, desc, sev, passed, failing, by, why in rows
    ]
    # published_at is UTC; the working database's checked_at is this machine's local time.
    when = latest[1].replace(tzinfo=UTC).astimezone().replace(tzinfo=None)
    return Gate("Kvalitetskontrollen bak gjeldende publisering", when, latest[0], _sorted(checks))


def _add_rules_and_examples(con: duckdb.DuckDBPyConnection, gate: Gate) -> None:
    """The rule and example rows of each published check: its last result before the publication."""
    found = {
        name: (rule, examples)
        for name, rule, examples in con.execute(
            """
            select check_name, rule, examples from audit.check_results where checked_at <= ?
            qualify row_number() over (partition by check_name order by checked_at desc) = 1
            """,
            [gate.when],
        ).fetchall()
    }
    for check in gate.checks:
        rule, examples = found.get(check.name, ("", None))
        check.rule = rule or ""
        check.examples = json.loads(examples or "[]") if check.status != "passed" else []


def _refused_attempt(con: duckdb.DuckDBPyConnection, published_at: datetime | None) -> Gate | None:
    """The latest run after the current publication with a blocking failure, or None."""
    found = con.execute(
        """
        select run_id, max(checked_at) from audit.check_results
        where checked_at > coalesce(?, timestamp '1900-01-01')
        group by run_id
        having bool_or(severity = 'error' and not passed)
        order by max(checked_at) desc limit 1
        """,
        [published_at],
    ).fetchone()
    if found is None:
        return None
    rows = con.execute(
        """
        select check_name, table_name, description, severity, passed, failing_rows, accepted_by,
               acceptance_reason, rule, examples
        from audit.check_results where run_id is not distinct from ?
        qualify row_number() over (partition by check_name order by checked_at desc) = 1
        """,
        [found[0]],
    ).fetchall()
    checks = [
        Check(
            name,
            table,
            check_status(sev, passed, by),
            failing or 0,
            desc or "",
            rule or "",
            json.loads(examples or "[]") if not passed else [],
            by,
            why,
        )
        for name, table, desc, sev, passed, failing, by, why, rule, examples in rows
    ]
    return Gate("Siste avviste forsøk (ikke publisert)", found[1], str(found[0]), _sorted(checks))


def _sorted(checks: list[Check]) -> list[Check]:
    return sorted(checks, key=lambda c: (_ORDER[c.status], c.name))


def format_quality(paths: WarehousePaths, max_examples: int = 3) -> str:
    view = steward_view(paths)
    if view is None:
        return f"ingen database ennå: {paths.working_db} finnes ikke (kjør `ehelse run`)"
    lines = _gate_lines(view.published, "Ingen publisering ennå.", max_examples)
    lines += [""] + _gate_lines(view.refused, "Ingen avvist forsøk etter gjeldende publisering.", max_examples)
    lines += ["", *_quarantine_section(view.quarantine), "", *_rejected_section(view.rejected)]
    if view.data_docs:
        lines += ["", f"Data Docs: {view.data_docs}"]
    return "\n".join(lines)


def _gate_lines(gate: Gate | None, none: str, max_examples: int) -> list[str]:
    if gate is None:
        return [none]
    verdict = "AVVIST" if gate.count("failed") else "BESTÅTT"
    out = [
        f"{gate.title}: {verdict}, {gate.ref} ({gate.when:%Y-%m-%d %H:%M}): {len(gate.checks)} kontroller, "
        f"{gate.count('failed')} blokkerende, {gate.count('warning')} advarsel(er), {gate.count('accepted')} godtatt"
    ]
    for check in gate.shown:
        out += ["", f"  [{check.label}] {check.name}  ({check.table}, {check.failing_rows} feilende rad(er))"]
        if check.description:
            out.append(f"    {check.description}")
        if check.rule:
            out.append(f"    regel: {check.rule}")
        if check.accepted_by:
            out.append(f"    godtatt av {check.accepted_by}: {check.acceptance_reason}")
        out += [f"    f.eks. {example}" for example in check.examples[:max_examples]]
    return out


def _quarantine_section(rows: list[tuple]) -> list[str]:
    if not rows:
        return ["Karantene: ingen rader i gjeldende filversjoner."]
    table = format_table(
        ["kilde", "fil", "regel", "rader", "første linje", "eksempel"],
        [[f, n, r, str(c), str(line), m[-70:]] for f, n, r, c, line, m in rows],
    )
    return ["Rader i karantene i gjeldende filversjoner (rett filen og lever den på nytt, eller godta):", table]


def _rejected_section(rows: list[tuple]) -> list[str]:
    if not rows:
        return ["Avviste filer: ingen."]
    return [
        "Avviste filer (perioden beholder sine tidligere data; filer utenfor godtatte perioder står her):",
        format_table(["kilde", "fil", "årsak"], [list(r) for r in rows]),
    ]


# --------------------------------------------------------------------------- the steward's page

STEWARD_PAGE_NAME = "quality.html"


def write_steward_page(paths: WarehousePaths, out: Path) -> Path | None:
    """The steward's view as one self-contained HTML page (no script, font or image from anywhere:
    it works on a closed network), linking into the Great Expectations Data Docs. None before
    the first run."""
    view = steward_view(paths)
    if view is None or (view.published is None and view.refused is None):
        return None
    # GX's own pages load their scripts from the internet: a link for those who have it.
    docs_href = os.path.relpath(view.data_docs, out.parent) if view.data_docs else None
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    page = env.get_template("steward_page.html.j2").render(view=view, docs_href=docs_href)
    out.write_text(page, encoding="utf-8")
    return out
