"""A selection of an open table (PxWebApi 2's value codes) and the dense cube it gives.

Selection expressions, as PxWebApi 2 takes them in `valueCodes[<dimension>]`: codes, `*`
wildcards (`03*`, `*01`, `*`), `top(n)` / `bottom(n)` (the newest / oldest n periods; the first /
last n categories of other dimensions), `from(code)`, `to(code)` and `range(code1,code2)`.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from dagster_project.open_data.tables import CONTENTS, TIME, TableData

WITHHELD = ":"  # SSB's mark for a figure withheld for confidentiality
MAX_DATA_CELLS = 150_000  # cells per request, as PxWebApi 2's maxDataCells


class SelectionError(ValueError):
    """A request the table cannot answer (HTTP 400 with this message)."""


class TooManyCells(SelectionError):
    """More cells selected than one request may return (HTTP 403, as PxWebApi)."""


@dataclass(frozen=True)
class Cube:
    """Dense values in JSON-stat order (row-major over `ids`), withheld cells marked."""

    data: TableData
    ids: list[str]
    codes: dict[str, list[str]]
    values: list
    withheld: set[int]

    @property
    def size(self) -> list[int]:
        return [len(self.codes[d]) for d in self.ids]

    def cells(self):
        """(codes by dimension, value, withheld) of every cell that exists (a value or withheld)."""
        for codes, value, withheld in self.cell_codes():
            yield dict(zip(self.ids, codes, strict=True)), value, withheld

    @functools.cached_property
    def present(self) -> list[int]:
        """The indices of the cells that exist (a value or withheld), ascending: a cube of
        measure x region x period is mostly periods a measure does not have."""
        return sorted({i for i, value in enumerate(self.values) if value is not None} | self.withheld)

    def cell_codes(self):
        """(codes in the order of `ids`, value, withheld) of every cell that exists."""
        positions = np.unravel_index(np.array(self.present, dtype=np.int64), self.size)
        columns = [[self.codes[d][p] for p in axis.tolist()] for d, axis in zip(self.ids, positions, strict=True)]
        for index, codes in zip(self.present, zip(*columns, strict=True), strict=True):
            yield codes, self.values[index], index in self.withheld


_FUNCTION = re.compile(r"^(top|bottom|from|to|range)\((.*)\)$", re.IGNORECASE)


def split_codes(text: str) -> list[str]:
    """`a,b,range(x,y)` -> ['a', 'b', 'range(x,y)']: commas inside parentheses stay."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def expand(expressions: list[str], categories: list[str], dimension: str) -> list[str]:
    """The category codes an expression list selects, in the table's order, each once."""
    chosen: set[str] = set()
    for expression in expressions:
        chosen.update(_expand_one(expression, categories, dimension))
    return [c for c in categories if c in chosen]


def _expand_one(expression: str, categories: list[str], dimension: str) -> list[str]:
    function = _FUNCTION.match(expression)
    if function:
        name, argument = function.group(1).lower(), function.group(2).strip()
        return _apply_function(name, argument, categories, dimension)
    if "*" in expression:
        pattern = re.compile("^" + ".*".join(re.escape(p) for p in expression.split("*")) + "$")
        return [c for c in categories if pattern.match(c)]
    if expression not in categories:
        raise SelectionError(f"Non-existent value '{expression}' for variable '{dimension}'")
    return [expression]


def _apply_function(name: str, argument: str, categories: list[str], dimension: str) -> list[str]:
    if name in ("top", "bottom"):
        if not argument.isdigit():
            raise SelectionError(f"{name}({argument}) for variable '{dimension}': expected a whole number")
        count = int(argument)
        newest_first = dimension == TIME  # top(n) of time is the newest n periods
        ordered = list(reversed(categories)) if newest_first else categories
        return ordered[:count] if name == "top" else ordered[::-1][:count]
    bounds = split_codes(argument) if name == "range" else [argument]
    for bound in bounds:
        if bound not in categories:
            raise SelectionError(f"Non-existent value '{bound}' in {name}() for variable '{dimension}'")
    if name == "from":
        return categories[categories.index(bounds[0]) :]
    if name == "to":
        return categories[: categories.index(bounds[0]) + 1]
    if len(bounds) != 2:
        raise SelectionError(f"range() for variable '{dimension}' needs two codes")
    first, last = sorted(categories.index(b) for b in bounds)
    return categories[first : last + 1]


def select(data: TableData, value_codes: dict[str, list[str]], max_cells: int = MAX_DATA_CELLS) -> dict[str, list[str]]:
    """The codes selected per dimension: a dimension not named is selected whole."""
    unknown = sorted(set(value_codes) - set(data.dimension_ids))
    if unknown:
        raise SelectionError(f"Non-existent variable '{unknown[0]}' in table {data.table.id}")
    codes = {
        d: expand(value_codes[d], data.categories[d], d) if d in value_codes else list(data.categories[d])
        for d in data.dimension_ids
    }
    cells = math.prod(len(c) for c in codes.values())
    if cells > max_cells:
        raise TooManyCells(f"Too many cells selected: {cells}, at most {max_cells} per request")
    return codes


def build_cube(data: TableData, codes: dict[str, list[str]]) -> Cube:
    """The selected cells as a dense JSON-stat value list: missing cells None, withheld cells
    None and marked (whatever the published row holds, a withheld cell's figures are never read)."""
    ids = data.dimension_ids
    sizes = [len(codes[d]) for d in ids]
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(ids))]
    values: list = [None] * math.prod(sizes)
    withheld: set[int] = set()
    rows_count = len(data.suppressed)
    mask = np.ones(rows_count, dtype=bool)
    base = np.zeros(rows_count, dtype=np.int64)
    for d, stride in zip(ids, strides, strict=True):
        if d == CONTENTS:
            continue
        # category position in the table -> position in this selection (-1: not selected)
        lookup = np.full(len(data.categories[d]), -1, dtype=np.int64)
        index = {code: i for i, code in enumerate(data.categories[d])}
        for i, code in enumerate(codes[d]):
            lookup[index[code]] = i
        position = lookup[data.positions[d]]
        mask &= position >= 0
        base += np.where(position >= 0, position, 0) * stride
    rows = np.nonzero(mask)[0]
    base = base[rows]
    suppressed = data.suppressed[rows]
    content_stride = strides[ids.index(CONTENTS)]
    for k, content in enumerate(codes[CONTENTS]):
        column = data.values[content][rows]
        for index_, value, is_withheld in zip(base + k * content_stride, column, suppressed, strict=True):
            if is_withheld:
                withheld.add(int(index_))
            else:
                values[int(index_)] = value
    return Cube(data, ids, codes, values, withheld)


def served_cells(data: TableData) -> list[dict]:
    """Every cell the open table serves (API and files), one dict per cell: its dimension codes,
    `value` and `withheld`. For checks over everything published (the recoverability test)."""
    cube = build_cube(data, select(data, {}, max_cells=math.inf))
    return [{**codes, "value": value, "withheld": withheld} for codes, value, withheld in cube.cells()]
