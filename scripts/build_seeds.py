"""Rebuild the reference seeds in dbt_project/seeds/ from ../shared/reference.

The seeds are committed: this script documents, and can reproduce, where every
reference row came from. Run it only when the reference data changes:

    python scripts/build_seeds.py [--reference ../shared/reference]
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
UNKNOWN = "9999"

# The two municipal structures the warehouse knows: (file, valid_from, valid_to).
STRUCTURES = [
    ("kommuner_2020.csv", "2020-01-01", "2023-12-31"),
    ("kommuner_2024.csv", "2024-01-01", ""),
]


def read_csv(path: Path, **kwargs) -> list[dict[str, str]]:
    with path.open(encoding=kwargs.pop("encoding", "utf-8"), newline="") as f:
        return list(csv.DictReader(f, **kwargs))


def write_csv(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (SEEDS / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {name}: {len(rows)} rows")


def build_municipalities(ref: Path) -> None:
    rows = []
    for file_name, valid_from, valid_to in STRUCTURES:
        for r in read_csv(ref / file_name):
            rows.append([r["kommunenummer"], r["kommunenavn"], r["fylkesnummer"], valid_from, valid_to])
    write_csv(
        "municipalities.csv",
        ["municipality_code", "municipality_name", "county_code", "valid_from", "valid_to"],
        rows,
    )


def population_by_code(ref: Path, year: int) -> dict[str, int]:
    """Sum SSB 07459 single-year ages to one figure per municipality code."""
    path = ref / f"ssb_07459_personer_{year}.csv"
    text = path.read_text(encoding="iso-8859-1").splitlines()
    header_at = next(i for i, line in enumerate(text) if line.startswith('"region"'))
    delimiter = "\t" if "\t" in text[header_at] else ";"
    totals: dict[str, int] = defaultdict(int)
    for row in csv.reader(text[header_at + 1 :], delimiter=delimiter):
        if not row:
            continue
        match = re.match(r"K-(\d{4}) ", row[0])
        if match:  # skips "K-21-22 Svalbard and Jan Mayen" and "K-Rest" (both 0)
            totals[match.group(1)] += int(row[2])
    return dict(totals)


def build_population(ref: Path) -> dict[str, int]:
    rows = []
    pop_2024 = {}
    for year in (2020, 2024):
        pop = population_by_code(ref, year)
        rows += [[code, year, n] for code, n in sorted(pop.items())]
        if year == 2024:
            pop_2024 = pop
    write_csv("population.csv", ["municipality_code", "year", "population"], rows)
    return pop_2024


def build_code_map(ref: Path, pop_2024: dict[str, int]) -> None:
    """Map every code of the 2019, 2020-2023 and 2024 structures to 2024 codes.

    Follows the SSB changes of 2020-01-01 and 2024-01-01 transitively. A split
    (one old code, several new) is allocated by the successors' 2024
    population share; the largest successor is marked primary and takes the
    rounding remainder so that totals are preserved.
    """
    changes: dict[str, dict[str, set[str]]] = {"2020-01-01": defaultdict(set), "2024-01-01": defaultdict(set)}
    for r in read_csv(ref / "kommune_endringer_1972_2024.csv"):
        if r["change_occurred"] in changes:
            changes[r["change_occurred"]][r["old_code"]].add(r["new_code"])

    def successors(code: str) -> set[str]:
        current = {code}
        for date in ("2020-01-01", "2024-01-01"):
            current = set().union(*(changes[date].get(c, {c}) for c in current))
        return current

    known = set()
    for name in ("kommuner_2019.csv", "kommuner_2020.csv", "kommuner_2023.csv", "kommuner_2024.csv"):
        known |= {r["kommunenummer"] for r in read_csv(ref / name)}
    current_codes = {r["kommunenummer"] for r in read_csv(ref / "kommuner_2024.csv")}

    rows = []
    for code in sorted(known):
        targets = {UNKNOWN} if code == UNKNOWN else successors(code)
        # A 2019 code can lead to a code that 2024 no longer has only through
        # a gap in the change table; fail loudly rather than guess.
        missing = targets - current_codes
        if missing:
            raise SystemExit(f"code {code} maps to {missing}, not in the 2024 structure")
        weights = {t: pop_2024.get(t, 0) for t in targets}
        total = sum(weights.values()) or 1
        primary = max(sorted(targets), key=lambda t: weights[t])
        for target in sorted(targets):
            share = 1.0 if len(targets) == 1 else round(weights[target] / total, 6)
            rows.append([code, target, share, str(target == primary).lower()])
    write_csv(
        "municipality_code_map.csv",
        ["source_code", "municipality_code", "allocation_share", "is_primary_successor"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "reference")
    args = parser.parse_args()
    SEEDS.mkdir(parents=True, exist_ok=True)
    build_municipalities(args.reference)
    pop_2024 = build_population(args.reference)
    build_code_map(args.reference, pop_2024)


if __name__ == "__main__":
    main()
