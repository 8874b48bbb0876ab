"""Benchmark: kjernejournal lookup-log ingestion against a bare DuckDB read.

    .venv/bin/python benchmarks/ingest_kjernejournal.py [--days 30] [--per-day 200000]

Generates N days of lookup logs (DuckDB-written, like the national-scale
fixture), then, each in its own process so that peak memory is its own:

- bare:    DuckDB `read_json` count(*) over the same files (the lower bound);
- project: the project's ingestion (hash, ledger, read_json, row rules,
           fødselsnummer check and HMAC pseudonyms, insert), file by file,
           into a fresh warehouse;
- pandas:  `pandas.read_json` of the same files, file by file (reading only:
           no check, no pseudonym, no insert, so a generous bound for pandas).

Prints events/second, the ratios project/bare and pandas/project (issue 6,
target 6: the same month read with pandas versus the project's path) and peak
RSS. Targets (issue 3): project within 2x the bare read, peak memory under
2 GB independent of N.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bare(inbox: Path) -> dict:
    import duckdb

    from dagster_project.feeds.kj_lookups.parse import READ_JSON_OPTIONS

    start = time.perf_counter()
    con = duckdb.connect()
    events = con.execute(
        f"select count(*) from read_json('{inbox}/kjernejournal/*.jsonl.gz', {READ_JSON_OPTIONS})"
    ).fetchone()[0]
    return {"events": events, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def run_bare_materialized(inbox: Path) -> dict:
    """A stricter lower bound: DuckDB reads every field of every line into a table."""
    import duckdb

    from dagster_project.feeds.kj_lookups.parse import READ_JSON_OPTIONS

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        f"create table lookups as select * from read_json('{inbox}/kjernejournal/*.jsonl.gz', {READ_JSON_OPTIONS})"
    )
    events = con.execute("select count(*) from lookups").fetchone()[0]
    return {"events": events, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def run_generate(inbox: Path, days: int, per_day: int) -> dict:
    from dagster_project.demo.scale_data import write_lookup_days

    start = time.perf_counter()
    write_lookup_days(inbox / "kjernejournal", date(2024, 3, 1), days, per_day)
    return {"events": days * per_day, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def run_project(inbox: Path, warehouse: Path) -> dict:
    from dagster_project.feeds.inbox import scan_inbox
    from dagster_project.settings import Settings, WarehousePaths
    from dagster_project.warehouse.ingest import ingest_files, parsing_connection

    files = [f for f in scan_inbox(inbox).files if f.feed.name == "kj_lookups"]
    start = time.perf_counter()
    settings = Settings.from_env()
    con = parsing_connection(settings.memory_limit)
    outcomes = ingest_files(con, WarehousePaths(warehouse).raw_zone, files, workers=settings.ingest_workers)
    con.close()
    return {
        "events": sum(o.rows_read for o in outcomes),
        "loaded": sum(o.rows_loaded for o in outcomes),
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_pandas(inbox: Path, days: int) -> dict:
    import pandas as pd

    files = sorted((inbox / "kjernejournal").glob("*.jsonl.gz"))[:days]
    start = time.perf_counter()
    events = sum(len(pd.read_json(f, lines=True, dtype=False, compression="gzip")) for f in files)
    return {"events": events, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def in_subprocess(mode: str, inbox: Path, extra: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--mode", mode, "--inbox", str(inbox), *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=200_000)
    parser.add_argument("--pandas-days", type=int, help="days read with pandas for the comparison (default: all)")
    parser.add_argument(
        "--mode", choices=["generate", "bare", "materialized", "project", "pandas"], help=argparse.SUPPRESS
    )
    parser.add_argument("--inbox", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.mode == "generate":
        print(json.dumps(run_generate(args.inbox, args.days, args.per_day)))
        return
    if args.mode == "bare":
        print(json.dumps(run_bare(args.inbox)))
        return
    if args.mode == "materialized":
        print(json.dumps(run_bare_materialized(args.inbox)))
        return
    if args.mode == "project":
        print(json.dumps(run_project(args.inbox, args.warehouse)))
        return
    if args.mode == "pandas":
        print(json.dumps(run_pandas(args.inbox, args.pandas_days)))
        return

    # Every step runs in its own process, started from this small parent, so each
    # peak RSS is that step's own (a child inherits its parent's peak across exec).
    with tempfile.TemporaryDirectory(prefix="bench_kj_") as tmp:
        inbox, warehouse = Path(tmp) / "inbox", Path(tmp) / "warehouse"
        warehouse.mkdir()
        generated = in_subprocess("generate", inbox, ["--days", str(args.days), "--per-day", str(args.per_day)])
        bare = in_subprocess("bare", inbox, [])
        materialized = in_subprocess("materialized", inbox, [])
        project = in_subprocess("project", inbox, ["--warehouse", str(warehouse)])
        pandas = in_subprocess("pandas", inbox, ["--pandas-days", str(args.pandas_days or args.days)])

    def rate(result: dict) -> float:
        return result["events"] / result["seconds"]

    print(
        f"kjernejournal lookup ingestion: {args.days} days x {args.per_day:,} lookups "
        f"(generated in {generated['seconds']:.1f} s)"
    )
    print(f"{'path':<10}{'events':>12}{'seconds':>10}{'events/s':>14}{'peak RSS MB':>14}")
    for name, result in (("bare", bare), ("bare_all", materialized), ("project", project), ("pandas", pandas)):
        print(
            f"{name:<10}{result['events']:>12,}{result['seconds']:>10.1f}{rate(result):>14,.0f}"
            f"{result['peak_rss_mb']:>14,.0f}"
        )
    print(f"project / bare time per event: {rate(bare) / rate(project):.2f}x (target <= 2x)")
    print(f"project / bare_all (every field read into a table): {rate(materialized) / rate(project):.2f}x")
    print(f"pandas read_json / project time per event: {rate(project) / rate(pandas):.1f}x")
    print(f"project peak RSS: {project['peak_rss_mb']:,.0f} MB (target < 2048 MB)")


if __name__ == "__main__":
    main()
