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
    recovered = []
    for cell, i in index.items():
        objective = np.zeros(len(unknowns))
        objective[i] = 1.0
        low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if low.status != 0:
            continue  # infeasible: the relations contradict the data; not a recovery
        upper = -high.fun if high.status == 0 else float("inf")
        if upper - low.fun <= RECOVERY_WIDTH * max(1.0, abs(low.fun)) + 2 * slack.max():
            recovered.append(Recovery(cell, float(low.fun), float(upper)))
    return recovered
