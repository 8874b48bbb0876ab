"""What the pipeline tests expect, computed from the inbox files independently of the SQL, and
the published values to compare (shared by test_pipeline*.py)."""

import csv
import gzip
import hashlib
import json
import math
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd


def rolling_means_from_files(inbox: Path, service: str) -> dict[str, float]:
    """1.1.x computed straight from the inbox files, independently of the SQL."""
    monthly: dict[str, int] = defaultdict(int)
    for path in (inbox / "helsenorge").glob("helsenorge_bruk_*.csv"):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter=";"):
                if row["tjeneste"] == service:
                    monthly[row["maaned"]] += int(row["antall_besok"])

    def shift(month: str, back: int) -> str:
        index = int(month[:4]) * 12 + int(month[5:]) - 1 - back
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    means = {}
    for month in monthly:
        window = [shift(month, k) for k in range(12)]
        if all(m in monthly for m in window):
            means[month] = sum(monthly[m] for m in window) / 12
    return means


def adoption_shares_from_files(inbox: Path) -> dict[str, tuple[int, float]]:
    """4.2.1 from the snapshot files: (adopted, percent of the 356 municipalities of 2020-2023)."""
    latest: dict[str, Path] = {}
    for path in sorted((inbox / "kjernejournal").glob("kj_innforing_*.csv")):
        latest[path.stem[len("kj_innforing_") : len("kj_innforing_") + 7]] = path  # sorted: the last wins
    shares = {}
    for month, path in latest.items():
        day = path.stem[len("kj_innforing_") :]
        with path.open(encoding="utf-8") as f:
            adopted = sum(row["innfort_dato"] <= day for row in csv.DictReader(f, delimiter=";"))
        shares[month] = (adopted, 100 * adopted / 356)
    return shares


def pll_patients_from_files(inbox: Path) -> dict[str, int]:
    totals = {}
    for path in (inbox / "pll").glob("pll_*.csv"):
        with path.open(encoding="utf-8") as f:
            totals[path.stem[4:]] = sum(int(r["antall_pasienter_med_pll"]) for r in csv.DictReader(f, delimiter=";"))
    return totals


def lookups_per_year_from_files(inbox: Path) -> dict[str, int]:
    ids: dict[str, set[str]] = defaultdict(set)
    for path in (inbox / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"):
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            ids[path.name[len("kj_oppslag_") :][:4]].add(json.loads(line)["oppslag_id"])
    return {year: len(found) for year, found in ids.items()}


def survey_share_from_workbook(path: Path, question: str, positive: set[int]) -> dict[str, float]:
    """A survey measure from the xlsx with pandas: weighted share, n, Kish n_eff, 95 % interval."""
    data = pd.read_excel(path, sheet_name="data")
    valid = data[data[question].isin([1, 2, 3, 4, 5])]
    w = valid["vekt"]
    p = (w * valid[question].isin(positive)).sum() / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    margin = 1.96 * math.sqrt(p * (1 - p) / n_eff)
    return {
        "value": 100 * p,
        "n": len(valid),
        "n_eff": n_eff,
        "ci_low": 100 * (p - margin),
        "ci_high": 100 * (p + margin),
    }


def published_values(db: Path, measure_id: str, column: str = "value") -> dict[str, float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(
            con.execute(
                f"select period, {column} from marts.fct_measure_value "
                "where measure_id = ? and geography_level = 'national'",
                [measure_id],
            ).fetchall()
        )
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lookups_per_month_from_files(inbox: Path) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for path in (inbox / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"):
        counts[path.name[len("kj_oppslag_") :][:7]] += len(gzip.decompress(path.read_bytes()).splitlines())
    return dict(counts)
