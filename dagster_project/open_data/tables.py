"""The open tables: which published tables are served, their dimensions (named as SSB's tables
name them), and one publication read into memory as an immutable `OpenPublication`.

Only the dimensions are declared here. The contents (SSB's `ContentsCode`) are every other
numeric or boolean column of the published table, found from the file itself, with dbt's
descriptions (the publication's COMMENT ON) as notes: a column added to a mart is served
without a change here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

CONTENTS = "ContentsCode"
REGION = "Region"
TIME = "Tid"
SUPPRESSED = "is_suppressed"
NATION_CODE = "0"

# Counties (fylker) by code, 2020-2023 and from 2024: the published tables carry county codes only.
COUNTY_NAMES = {
    "03": "Oslo",
    "11": "Rogaland",
    "15": "Møre og Romsdal",
    "18": "Nordland",
    "30": "Viken",
    "31": "Østfold",
    "32": "Akershus",
    "33": "Buskerud",
    "34": "Innlandet",
    "38": "Vestfold og Telemark",
    "39": "Vestfold",
    "40": "Telemark",
    "42": "Agder",
    "46": "Vestland",
    "50": "Trøndelag",
    "54": "Troms og Finnmark",
    "55": "Troms",
    "56": "Finnmark",
}

# Bokmål and English labels of the published columns the open tables serve; a column not
# named here is served with its own name as label and dbt's description as note.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "value": ("Verdi", "Value"),
    "numerator": ("Teller", "Numerator"),
    "denominator": ("Nevner", "Denominator"),
    "n": ("Antall gyldige svar", "Valid answers"),
    "n_eff": ("Effektivt utvalg", "Effective sample size"),
    "ci_low": ("Nedre grense 95 % KI", "95 % CI lower bound"),
    "ci_high": ("Øvre grense 95 % KI", "95 % CI upper bound"),
    "latest_period": ("Siste periode", "Latest period"),
    "latest_value": ("Siste verdi", "Latest value"),
    "baseline_value": ("Utgangsverdi", "Baseline value"),
    "target_value": ("Målverdi", "Target value"),
    "expected_value": ("Forventet verdi", "Expected value"),
    "achieved_fraction": ("Andel av målet nådd", "Share of target achieved"),
    "status": ("Status", "Status"),
    "latest_ci_low": ("Siste verdi, nedre grense 95 % KI", "Latest value, 95 % CI lower bound"),
    "latest_ci_high": ("Siste verdi, øvre grense 95 % KI", "Latest value, 95 % CI upper bound"),
    "status_is_uncertain": ("Usikker status", "Status uncertain"),
    "target_year": ("Målår", "Target year"),
    "target_expired": ("Målåret er passert", "Target year passed"),
    "target_reached": ("Målet er nådd", "Target reached"),
    "moving_away": ("Beveger seg bort fra målet", "Moving away from target"),
    "n_indicators": ("Indikatorer", "Indicators"),
    "n_green": ("Grønne", "Green"),
    "n_yellow": ("Gule", "Yellow"),
    "n_red": ("Røde", "Red"),
    "n_no_target": ("Uten mål", "No target"),
    "n_no_data": ("Mangler data", "No data"),
    "patients_with_pll": ("Pasienter med PLL", "Patients with PLL"),
    "n_lookups": ("Oppslag", "Lookups"),
    "n_distinct_patients": ("Ulike pasienter", "Distinct patients"),
    "n_organisations_updating": ("Virksomheter som oppdaterer", "Organisations updating"),
    "n_municipalities_arranged": ("Kommuner tilrettelagt", "Municipalities arranged"),
    "population": ("Folkemengde", "Population"),
    "kjernejournal_adopted": ("Kjernejournal tatt i bruk (1 = ja)", "Kjernejournal adopted (1 = yes)"),
    "pll_arranged": ("PLL tilrettelagt (1 = ja)", "PLL arranged (1 = yes)"),
    "digihelsestasjon_offered": ("Digital helsestasjon tilbudt (1 = ja)", "Digital health station offered (1 = yes)"),
}
TEXT_TYPES = ("VARCHAR",)
NUMERIC_TYPES = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$"
)


@dataclass(frozen=True)
class Dimension:
    """A dimension of an open table: its code (SSB's name), the published column it reads,
    and how its values become codes and labels (`kind`: measure, goal, region, period, as_of)."""

    code: str
    column: str
    label_nb: str
    label_en: str
    kind: str


@dataclass(frozen=True)
class OpenTable:
    id: str
    source: str  # the published table (schema marts) it reads
    label_nb: str
    label_en: str
    dimensions: tuple[Dimension, ...]
    text_contents: tuple[str, ...] = ()  # text columns served as contents (status)
    not_contents: tuple[str, ...] = ()  # numeric columns that are attributes, not figures


MEASURE = Dimension("measure", "measure_id", "måleindikator", "measure", "measure")
REGION_DIM = Dimension(REGION, "geography_code", "region", "region", "region")
PERIOD = Dimension(TIME, "period", "periode", "period", "period")
AS_OF = Dimension(TIME, "as_of_date", "status per", "status as of", "as_of")

OPEN_TABLES: tuple[OpenTable, ...] = (
    OpenTable(
        "fct_measure_value",
        "fct_measure_value",
        "Måleindikatorer i e-helsestrategien, etter måleindikator, region, statistikkvariabel og periode",
        "Measures of the e-health strategy, by measure, region, contents and period",
        (MEASURE, REGION_DIM, PERIOD),
    ),
    OpenTable(
        "measure_status",
        "measure_status_history",
        "Status for måleindikatorene mot utgangsverdi og mål, etter måleindikator og dato",
        "Status of the measures against baseline and target, by measure and date",
        (MEASURE, AS_OF),
        text_contents=("status", "latest_period"),
        not_contents=("goal_id",),  # an attribute of the measure (dim_measure), not a figure
    ),
    OpenTable(
        "goal_summary",
        "goal_summary_history",
        "Strategiske e-helseindikatorer etter status, etter mål og dato",
        "Strategic e-health indicators by status, by goal and date",
        (Dimension("goal", "goal_id", "mål", "goal", "goal"), AS_OF),
    ),
    OpenTable(
        "pll_usage_monthly",
        "pll_usage_monthly",
        "Pasientens legemiddelliste (PLL), etter region og måned",
        "The patient's medication list (PLL), by region and month",
        (REGION_DIM, PERIOD),
    ),
    OpenTable(
        "municipality_adoption",
        "municipality_adoption",
        "Kommunenes innføring av e-helseløsninger, etter kommune og måned",
        "Municipalities' adoption of e-health services, by municipality and month",
        (Dimension(REGION, "municipality_code", "region", "region", "region"), PERIOD),
    ),
)


@dataclass(frozen=True)
class Content:
    code: str  # the published column
    label_nb: str
    label_en: str
    note: str  # dbt's description
    is_text: bool


@dataclass(frozen=True)
class TableData:
    """One open table of one publication: the rows (dimension codes, contents, suppression)
    and every dimension's categories (codes in order, labels by language)."""

    table: OpenTable
    frame: pd.DataFrame
    contents: tuple[Content, ...]
    categories: dict[str, list[str]]
    labels: dict[str, dict[str, dict[str, str]]]  # lang -> dimension -> code -> label
    first_period: str
    last_period: str
    description: str  # dbt's description of the source table
    # Per row, as arrays for fast selection: each dimension's category position, each content's
    # JSON-ready value, and whether the row is withheld.
    positions: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    suppressed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def dimension_ids(self) -> list[str]:
        """The JSON-stat order: the table's dimensions with ContentsCode before time (SSB's order)."""
        ids = [d.code for d in self.table.dimensions if d.code != TIME]
        return [*ids, CONTENTS, TIME]

    def dimension_label(self, code: str, lang: str) -> str:
        if code == CONTENTS:
            return "statistikkvariabel" if lang == "no" else "contents"
        dim = next(d for d in self.table.dimensions if d.code == code)
        return dim.label_nb if lang == "no" else dim.label_en

    def label(self, lang: str) -> str:
        return self.table.label_nb if lang == "no" else self.table.label_en


@dataclass(frozen=True)
class OpenPublication:
    """Everything served from one published.duckdb, read once: a request uses one of these
    whole, so it never mixes two publications."""

    publication_id: str
    published_at: datetime
    tables: dict[str, TableData] = field(default_factory=dict)


def period_code(period: str) -> str:
    """SSB's time code: 2024-06 -> 2024M06, 2024 -> 2024."""
    return period.replace("-", "M") if len(period) == 7 else period


def as_of_code(day: date) -> str:
    """A status date as SSB's month code (2024-06-30 -> 2024M06); the history holds one date a month."""
    return f"{day.year}M{day.month:02d}"


def _natural_key(code: str) -> tuple:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\-]", code))


def _region_key(code: str) -> tuple[int, str]:
    return (len(code), code)


def load_publication(db: Path) -> OpenPublication:
    """Read the open tables of one published.duckdb (read-only) into memory."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return read_publication(con)
    finally:
        con.close()


def read_publication(con: duckdb.DuckDBPyConnection) -> OpenPublication:
    publication_id, published_at = con.execute(
        "select publication_id, published_at from marts.publication_log order by published_at desc limit 1"
    ).fetchone()
    names = _reference_names(con)
    tables = {t.id: _read_table(con, t, names) for t in OPEN_TABLES if _has_table(con, t.source)}
    return OpenPublication(publication_id, published_at, tables)


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = ?", [table]
        ).fetchone()[0]
    )


def _reference_names(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Labels of measures, goals and municipalities from the publication itself."""
    measures = dict(con.execute("select measure_id, measure_id || ' ' || name_nb from marts.dim_measure").fetchall())
    goals = dict(
        con.execute("select distinct cast(goal_id as varchar), goal_name_nb from marts.goal_summary").fetchall()
    )
    municipalities = dict(
        con.execute(
            "select municipality_code, arg_max(municipality_name, period) from marts.municipality_adoption group by 1"
        ).fetchall()
    )
    regions = {NATION_CODE: "Hele landet", **COUNTY_NAMES, **municipalities}
    return {"measure": measures, "goal": goals, "region": regions}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str]]:
    """(name, type, dbt's description) of a published table's columns, in order."""
    return con.execute(
        "select column_name, data_type, coalesce(comment, '') from duckdb_columns() "
        "where schema_name = 'marts' and table_name = ? order by column_index",
        [table],
    ).fetchall()


def _contents(table: OpenTable, columns: list[tuple[str, str, str]]) -> tuple[Content, ...]:
    """Every column that is a figure: numeric or boolean (as 1/0), or a declared text column."""
    dimension_columns = {d.column for d in table.dimensions}
    found = []
    for name, data_type, note in columns:
        if name in dimension_columns or name == SUPPRESSED or name in table.not_contents:
            continue
        is_text = name in table.text_contents
        if not (is_text or NUMERIC_TYPES.match(data_type)):
            continue
        label_nb, label_en = COLUMN_LABELS.get(name, (name, name))
        found.append(Content(name, label_nb, label_en, note, is_text))
    return tuple(found)


def _read_table(con: duckdb.DuckDBPyConnection, table: OpenTable, names: dict[str, dict[str, str]]) -> TableData:
    columns = _columns(con, table.source)
    contents = _contents(table, columns)
    has_suppressed = any(name == SUPPRESSED for name, _, _ in columns)
    selected = [f'"{d.column}"' for d in table.dimensions] + [f'"{c.code}"' for c in contents]
    suppressed = f'coalesce("{SUPPRESSED}", false)' if has_suppressed else "false"
    frame = con.execute(f"select {', '.join(selected)}, {suppressed} as _suppressed from marts.{table.source}").df()
    categories: dict[str, list[str]] = {}
    labels_nb: dict[str, dict[str, str]] = {}
    for dim in table.dimensions:
        codes = _dimension_codes(frame[dim.column], dim)
        frame[dim.code] = codes
        ordered = sorted(set(codes), key=_sort_key(dim))
        categories[dim.code] = ordered
        labels_nb[dim.code] = _category_labels(frame, dim, ordered, names)
    duplicated = frame.duplicated([d.code for d in table.dimensions])
    if duplicated.any():
        raise ValueError(f"marts.{table.source}: {int(duplicated.sum())} rows repeat a cell of open table {table.id}")
    categories[CONTENTS] = [c.code for c in contents]
    labels_nb[CONTENTS] = {c.code: c.label_nb for c in contents}
    labels_en = {**labels_nb, CONTENTS: {c.code: c.label_en for c in contents}}
    times = categories[TIME]
    description = con.execute(
        "select coalesce(comment, '') from duckdb_tables() where schema_name = 'marts' and table_name = ?",
        [table.source],
    ).fetchone()[0]
    positions = {
        d: frame[d].map({code: i for i, code in enumerate(categories[d])}).to_numpy(dtype=np.int64)
        for d in categories
        if d != CONTENTS
    }
    values = {
        c.code: np.array([json_value(v) for v in frame[c.code].tolist()] + [None], dtype=object)[:-1] for c in contents
    }
    return TableData(
        table,
        frame,
        contents,
        categories,
        {"no": labels_nb, "en": labels_en},
        times[0] if times else "",
        times[-1] if times else "",
        description,
        positions,
        values,
        frame["_suppressed"].to_numpy(dtype=bool),
    )


def _json_array(column: pd.Series) -> np.ndarray:
    array = np.empty(len(column), dtype=object)
    array[:] = [json_value(v) for v in column.tolist()]
    return array


def json_value(value):
    """A published figure as JSON: None for NULL/NaN, booleans as 1/0, numbers as they are."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def _dimension_codes(values: pd.Series, dim: Dimension) -> pd.Series:
    if dim.kind == "period":
        return values.astype(str).map(period_code)
    if dim.kind == "as_of":
        return pd.to_datetime(values).map(lambda d: as_of_code(d.date()))
    return values.astype(str)


def _sort_key(dim: Dimension):
    if dim.kind == "region":
        return _region_key
    if dim.kind in ("measure", "goal"):
        return _natural_key
    return str


def _category_labels(
    frame: pd.DataFrame, dim: Dimension, codes: list[str], names: dict[str, dict[str, str]]
) -> dict[str, str]:
    if dim.kind == "as_of":
        days = frame.groupby(dim.code)[dim.column].max()
        return {code: pd.Timestamp(days[code]).date().isoformat() for code in codes}
    known = names.get(dim.kind, {})
    if dim.kind == "goal":
        return {code: ("Alle mål" if code == "0" else f"{code} {known.get(code, '')}".strip()) for code in codes}
    if dim.kind == "region":
        return {
            code: f"{code} {known[code]}" if code in known and code != NATION_CODE else known.get(code, code)
            for code in codes
        }
    return {code: known.get(code, code) for code in codes}
