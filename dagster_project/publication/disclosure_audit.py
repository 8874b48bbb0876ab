"""The attacker's audit of withheld cells (outputs.md, privacy rule, "Across every output").

Pure: no Dagster, no database. A cell is identified by a hashable key and is either published
(a number) or withheld (None). A relation says that a total cell equals the sum of its part
cells (the municipalities of a county, the counties of the nation, ...). Given every cell and
every relation an attacker can read from what is published, the audit asks, for each withheld
cell, the smallest and the largest value it can take subject to the relations and
non-negativity: τ-ARGUS's audit of a suppression pattern, as two linear programs per cell.
A cell whose minimum equals its maximum is recovered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

# Published figures are rounded sums of doubles: an equation holds to this relative slack.
RELATIVE_SLACK = 1e-9
# A withheld cell whose feasible interval is narrower than this (absolute, plus relative to
# its size) is known to the attacker.
RECOVERY_WIDTH = 1e-6


@dataclass(frozen=True)
class Relation:
    """total = sum(parts), as the publication documents it."""

    total: Hashable
    parts: tuple[Hashable, ...]


@dataclass(frozen=True)
class Recovery:
    """A withheld cell the attacker pins down, and the interval the relations leave it."""

    cell: Hashable
    low: float
    high: float


@dataclass(frozen=True)
class AuditResult:
    recovered: tuple[Recovery, ...]
    # Relations among published cells only that do not add up: the attacker's model is wrong
    # there (or the publication is inconsistent), so those relations prove nothing either way.
    inconsistent: tuple[Relation, ...]
    n_withheld: int


def audit(cells: Mapping[Hashable, float | None], relations: Iterable[Relation]) -> AuditResult:
    """Every withheld cell (value None) that the relations and non-negativity pin down."""
    usable, inconsistent = _split_relations(cells, relations)
    recovered: list[Recovery] = []
    for component in _components(usable, cells):
        recovered.extend(_solve_component(component, cells))
    n_withheld = sum(1 for value in cells.values() if value is None)
    return AuditResult(tuple(recovered), tuple(inconsistent), n_withheld)


def _split_relations(
    cells: Mapping[Hashable, float | None], relations: Iterable[Relation]
) -> tuple[list[Relation], list[Relation]]:
    """Relations with a withheld member (to solve), and fully published ones that do not add up."""
    usable, inconsistent = [], []
    for relation in relations:
        members = (relation.total, *relation.parts)
        if any(member not in cells for member in members):
            continue  # an unpublished cell: the relation tells the attacker nothing
        if any(cells[member] is None for member in members):
            usable.append(relation)
        else:
            total = float(cells[relation.total])  # type: ignore[arg-type]
            parts = sum(float(cells[part]) for part in relation.parts)  # type: ignore[arg-type]
            if abs(total - parts) > _slack(total, parts):
                inconsistent.append(relation)
    return usable, inconsistent


def _slack(*magnitudes: float) -> float:
    return RELATIVE_SLACK * max(1.0, *(abs(m) for m in magnitudes))


def _components(relations: list[Relation], cells: Mapping[Hashable, float | None]) -> list[list[Relation]]:
    """Relations grouped by the withheld cells they share: each group is solved on its own."""
    parent: dict[Hashable, Hashable] = {}

    def find(cell: Hashable) -> Hashable:
        while parent.setdefault(cell, cell) != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for relation in relations:
        unknown = [m for m in (relation.total, *relation.parts) if cells[m] is None]
        for other in unknown[1:]:
            parent[find(other)] = find(unknown[0])
    groups: dict[Hashable, list[Relation]] = defaultdict(list)
    for relation in relations:
        first = next(m for m in (relation.total, *relation.parts) if cells[m] is None)
        groups[find(first)].append(relation)
    return list(groups.values())


def _solve_component(relations: list[Relation], cells: Mapping[Hashable, float | None]) -> list[Recovery]:
    unknowns = sorted({m for r in relations for m in (r.total, *r.parts) if cells[m] is None}, key=repr)
    index = {cell: i for i, cell in enumerate(unknowns)}
    rows, rhs = [], []
    for relation in relations:
        row = np.zeros(len(unknowns))
        known = 0.0  # sum(parts) - total over the published members
        for member, sign in ((relation.total, -1.0), *((part, 1.0) for part in relation.parts)):
            value = cells[member]
            if value is None:
                row[index[member]] += sign
            else:
                known += sign * float(value)
        rows.append(row)
        rhs.append(-known)  # row . x = -known
    a = np.array(rows)
    b = np.array(rhs)
    slack = np.array([_slack(value) for value in b])
    # row . x = b within slack, as two inequalities (rounded doubles never meet exactly).
    a_ub = np.vstack([a, -a])
    b_ub = np.concatenate([b + slack, -b + slack])
    # Every solution found bounds what the cells can take: a cell seen at two values far
    # enough apart is not pinned, and needs no programs of its own (most cells, in practice).
    seen_low = np.full(len(unknowns), np.inf)
    seen_high = np.full(len(unknowns), -np.inf)
    for solution in _spread_solutions(a_ub, b_ub):
        seen_low = np.minimum(seen_low, solution)
        seen_high = np.maximum(seen_high, solution)
    recovered = []
    for cell, i in index.items():
        width = RECOVERY_WIDTH * max(1.0, abs(seen_low[i]) if np.isfinite(seen_low[i]) else 1.0) + 2 * slack.max()
        if seen_high[i] - seen_low[i] > width:
            continue
        objective = np.zeros(len(unknowns))
        objective[i] = 1.0
        low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if low.status != 0:
            continue  # infeasible: the relations contradict the data; not a recovery
        high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        for solution in (low, high):
            if solution.status == 0:
                seen_low = np.minimum(seen_low, solution.x)
                seen_high = np.maximum(seen_high, solution.x)
        upper = -high.fun if high.status == 0 else float("inf")
        if upper - low.fun <= RECOVERY_WIDTH * max(1.0, abs(low.fun)) + 2 * slack.max():
            recovered.append(Recovery(cell, float(low.fun), float(upper)))
    return recovered


# --------------------------------------------------------------------------- what a publication gives away

# The quantities an attacker can add up, as the published tables document them: a column of a
# table, optionally for one measure, under a name shared by every table publishing the same
# quantity (pll_usage_monthly's patients are 4.2.6's values in fct_measure_value).
PLL_PATIENTS = "4.2.6"
GEOGRAPHY_COLUMNS = "period, geography_level, geography_code"


@dataclass(frozen=True)
class PublishedColumn:
    table: str
    column: str
    measure_column: str | None  # a measure_id column splitting the table into quantities
    quantity: str  # the quantity's name (the measure id prefixed when measure_column is set)
    measures: tuple[str, ...] = ()  # only these measures (all when empty)


def additive_columns(con) -> list[PublishedColumn]:  # noqa: ANN001 (a duckdb connection)
    """Every published column that adds up over geography: person-level counts (value and
    numerator) and survey parts (numerator, denominator, n) in fct_measure_value, and PLL
    patients in pll_usage_monthly."""
    counts = tuple(
        r[0] for r in con.execute("select measure_id from marts.dim_measure where is_person_level_count").fetchall()
    )
    surveys = tuple(
        r[0]
        for r in con.execute("select distinct measure_id from marts.fct_measure_value where n is not null").fetchall()
    )
    columns = [PublishedColumn("fct_measure_value", c, "measure_id", c, counts) for c in ("value", "numerator")]
    columns += [
        PublishedColumn("fct_measure_value", c, "measure_id", c, surveys) for c in ("numerator", "denominator", "n")
    ]
    columns.append(PublishedColumn("pll_usage_monthly", "patients_with_pll", None, f"{PLL_PATIENTS}:value"))
    return columns


def published_cells(con, columns: list[PublishedColumn]) -> dict[tuple, float | None]:  # noqa: ANN001
    """(quantity, period, level, code) -> value, None when withheld (is_suppressed with no value).
    Absent values that are not withheld (no data) are left out: they give nothing away."""
    cells: dict[tuple, float | None] = {}
    for spec in columns:
        measure = f"{spec.measure_column}" if spec.measure_column else "null"
        where = ""
        if spec.measures:
            where = f"where {spec.measure_column} in ({', '.join(repr(m) for m in spec.measures)})"
        rows = con.execute(
            f"select {measure}, {GEOGRAPHY_COLUMNS}, {spec.column}, is_suppressed from marts.{spec.table} {where}"
        ).fetchall()
        for measure_id, period, level, code, value, suppressed in rows:
            quantity = f"{measure_id}:{spec.quantity}" if spec.measure_column else spec.quantity
            if value is None and not suppressed:
                continue
            key = (quantity, str(period), level, code)
            if cells.get(key) is None:  # another table may publish what this one withholds
                cells[key] = None if value is None else float(value)
    return cells


def geographic_relations(cells: Mapping[tuple, float | None]) -> list[Relation]:
    """Per quantity and period: the nation is the sum of its municipalities and of its counties,
    and a county the sum of its municipalities (a 2024 municipality code starts with its
    county's)."""
    members: dict[tuple, list[tuple]] = defaultdict(list)
    for key in cells:
        quantity, period, level, code = key
        if level == "municipality":
            members[(quantity, period, "national", "0", "municipality")].append(key)
            members[(quantity, period, "county", str(code)[:2], "municipality")].append(key)
        elif level == "county":
            members[(quantity, period, "national", "0", "county")].append(key)
    return [
        Relation(total=(quantity, period, level, code), parts=tuple(parts))
        for (quantity, period, level, code, _), parts in members.items()
        if (quantity, period, level, code) in cells
    ]


def audit_publications(connections: Iterable) -> AuditResult:
    """The attacker's audit of everything published at once (published.duckdb, its Parquet
    copies, the archive): each a connection whose schema marts holds the tables. A cell one
    source withholds and another publishes counts as published."""
    cells: dict[tuple, float | None] = {}
    for con in connections:
        for key, value in published_cells(con, additive_columns(con)).items():
            if cells.get(key) is None:
                cells[key] = value
    return audit(cells, geographic_relations(cells))


def _spread_solutions(a_ub: np.ndarray, b_ub: np.ndarray) -> list[np.ndarray]:
    """A few feasible points far apart: the smallest total (most cells at 0) and the point
    whose smallest cell is largest (every cell as far from 0 as it can be)."""
    n = a_ub.shape[1]
    points = []
    smallest = linprog(np.ones(n), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if smallest.status == 0:
        points.append(smallest.x)
    # variables x and t: maximise t subject to t <= x_i
    with_t = np.hstack([a_ub, np.zeros((a_ub.shape[0], 1))])
    floors = np.hstack([-np.eye(n), np.ones((n, 1))])
    objective = np.zeros(n + 1)
    objective[-1] = -1.0
    spread = linprog(
        objective,
        A_ub=np.vstack([with_t, floors]),
        b_ub=np.concatenate([b_ub, np.zeros(n)]),
        bounds=[(0, None)] * n + [(0, None)],
        method="highs",
    )
    if spread.status == 0:
        points.append(spread.x[:n])
    return points
