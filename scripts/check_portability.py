"""Fail on SQL that only DuckDB runs, so the dbt project keeps building on Spark too
(docs/scale-out.md). Checks the models, macros and tests of dbt_project (and the type names
in yml: the seeds' column_types, the model contracts' data_type); comments and the bodies of
adapter-specific macros (`duckdb__…`, `spark__…`, `default__…`, chosen by adapter.dispatch)
are exempt. `make lint` runs it.

    python scripts/check_portability.py [dbt_project_dir]
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
SCANNED = ("models", "macros", "tests")


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    advice: str


def _rule(pattern: str, advice: str) -> Rule:
    return Rule(re.compile(pattern, re.IGNORECASE), advice)


RULES = (
    _rule(r"\bvarchar\b(?!\s*\()", "bare varchar: Spark needs a length; use {{ dbt.type_string() }} (string in yml)"),
    _rule(r"\bwith(out)?\s+time\s+zone\b|\btimestamptz\b", "use {{ type_timestamp_tz() }} (adapter.dispatch)"),
    _rule(r"(?<!:)::(?!:)", "a :: cast is DuckDB/PostgreSQL only; use cast(x as t) or {{ dbt.cast(x, t) }}"),
    _rule(r"delete\+insert", "incremental strategy per engine: **replace_partitions_config(key)"),
    _rule(r"\bhugeint\b|\bubigint\b|\butinyint\b|\busmallint\b|\buinteger\b", "a DuckDB-only integer type"),
    _rule(r"\b(read_parquet|read_csv(_auto)?|read_json(_auto)?|parquet_scan)\s*\(", "a DuckDB file reader: a source"),
    _rule(
        r"\b(quantile_cont|quantile_disc|list_\w+|struct_pack|strftime|strptime|epoch_ms|regexp_matches|isinf)\s*\(",
        "a DuckDB-only function: use a dbt cross-database macro or adapter.dispatch",
    ),
    _rule(
        r"\b(string_agg|unnest|generate_series|date_diff|date_add|date_sub)\s*\(",
        "not portable: dbt.listagg, dbt.datediff, dbt.dateadd, dbt.date_spine",
    ),
    _rule(
        r"\bexclude\s*\(|\bqualify\b|\bgroup\s+by\s+all\b|\bilike\b|\binterval\s+'?\d",
        "DuckDB syntax Spark does not run the same way (exclude, qualify, group by all, ilike, interval literals)",
    ),
    _rule(r"\bfrom\s+'[^']*\.(parquet|csv|json)'", "reading a file by name is DuckDB only: use a source"),
)

_ADAPTER_MACRO = re.compile(
    r"{%-?\s*macro\s+(?:duckdb|spark|default|databricks)__\w+.*?{%-?\s*endmacro\s*-?%}", re.DOTALL
)
_JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
_SQL_COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    text: str
    advice: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text.strip()}  -> {self.advice}"


def _blank(match: re.Match[str]) -> str:
    """The matched text with everything but newlines blanked, so line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def checkable_sql(text: str) -> str:
    """The text with comments and adapter-specific macro bodies blanked out."""
    for pattern in (_JINJA_COMMENT, _ADAPTER_MACRO, _SQL_COMMENT):
        text = pattern.sub(_blank, text)
    return text


def findings_in_sql(path: Path, text: str) -> list[Finding]:
    found = []
    original = text.splitlines()
    for number, line in enumerate(checkable_sql(text).splitlines(), start=1):
        for rule in RULES:
            if rule.pattern.search(line):
                found.append(Finding(path, number, original[number - 1], rule.advice))
    return found


def findings_in_seed_yml(path: Path, text: str) -> list[Finding]:
    """column_types of seeds: the type names dbt passes to the engine as they are."""
    bare = RULES[0]
    return [
        Finding(path, number, line, bare.advice)
        for number, line in enumerate(text.splitlines(), start=1)
        if not line.lstrip().startswith("#") and ":" in line and bare.pattern.search(line.split("#")[0])
    ]


_DATA_TYPE = re.compile(r"^\s*data_type:\s*(.*)$")
_TOP_LEVEL_KEY = re.compile(r"^(\w+):")


def findings_in_model_yml(path: Path, text: str) -> list[Finding]:
    """data_type of the models' columns (their contracts): dbt casts null to each in the engine
    (get_empty_schema_sql). The sources' data_type is documentation only, never cast."""
    type_rules = (RULES[0], RULES[4])  # bare varchar, DuckDB-only integer types
    found, section = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        key = _TOP_LEVEL_KEY.match(line)
        section = key.group(1) if key else section
        match = _DATA_TYPE.match(line.split("#")[0])
        for rule in type_rules:
            if section == "models" and match and rule.pattern.search(match.group(1)):
                found.append(Finding(path, number, line, rule.advice))
    return found


def check(project_dir: Path = PROJECT_DIR) -> list[Finding]:
    found: list[Finding] = []
    for folder in SCANNED:
        for path in sorted((project_dir / folder).rglob("*.sql")):
            found += findings_in_sql(path.relative_to(project_dir), path.read_text(encoding="utf-8"))
    for path in sorted((project_dir / "seeds").rglob("*.yml")):
        found += findings_in_seed_yml(path.relative_to(project_dir), path.read_text(encoding="utf-8"))
    for path in sorted((project_dir / "models").rglob("*.yml")):
        found += findings_in_model_yml(path.relative_to(project_dir), path.read_text(encoding="utf-8"))
    return found


def main(argv: list[str]) -> int:
    project_dir = Path(argv[1]) if len(argv) > 1 else PROJECT_DIR
    found = check(project_dir)
    for finding in found:
        print(finding)
    if found:
        print(f"{len(found)} DuckDB-only construct(s) in {project_dir}: the project must build on Spark too")
        return 1
    print(f"portable: no DuckDB-only constructs in {project_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
