"""The `ehelse` command: demo data, one pipeline run, the published status."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from dagster_project.lib.settings import (
    INBOX_ENV_VAR,
    WAREHOUSE_ENV_VAR,
    WarehousePaths,
    inbox_dir,
    warehouse_dir,
)


def _configure_paths(args: argparse.Namespace) -> tuple[Path, WarehousePaths]:
    """Resolve inbox and warehouse to absolute paths and export them for Dagster and dbt."""
    inbox = Path(getattr(args, "inbox", None) or inbox_dir()).resolve()
    warehouse = Path(getattr(args, "warehouse", None) or warehouse_dir()).resolve()
    os.environ[INBOX_ENV_VAR] = str(inbox)
    os.environ[WAREHOUSE_ENV_VAR] = str(warehouse)
    return inbox, WarehousePaths(warehouse)


def cmd_demo_data(args: argparse.Namespace) -> int:
    from dagster_project.lib.demo_data import DemoConfig, generate, last_full_month

    inbox, _ = _configure_paths(args)
    if args.scale == "national":
        # One full calendar year (the last one) unless a range is given; 200 000 lookups a day.
        year = int(last_full_month()[:4]) - (last_full_month()[5:] != "12")
        first, last = args.from_ or f"{year}-01", args.to or f"{year}-12"
        per_day = args.lookups_per_day or 200_000
    else:
        first, last = args.from_ or "2021-01", args.to or last_full_month()
        per_day = args.lookups_per_day or 160
    cfg = DemoConfig(
        inbox=inbox, first_month=first, last_month=last, seed=args.seed, lookups_per_day=per_day, scale=args.scale
    )
    written = generate(cfg)
    total = sum(written.values())
    print(f"{args.scale} inbox {inbox}: {first} .. {last}, seed {args.seed}: {total} file(s) written or changed")
    for family, count in sorted(written.items()):
        print(f"  {family:<22} {count}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    _configure_paths(args)
    from dagster_project.runner import run_pipeline

    outcome = run_pipeline()
    print(outcome.message)
    _write_steward_page(WarehousePaths(warehouse_dir()))
    return 0 if outcome.ok else 1


def cmd_status(args: argparse.Namespace) -> int:
    _, paths = _configure_paths(args)
    from dagster_project.lib.status import format_status

    if not paths.published_db.exists():
        print(f"no publication yet: {paths.published_db} does not exist (run `ehelse run`)", file=sys.stderr)
        return 1
    print(format_status(paths.published_db))
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    _, paths = _configure_paths(args)
    from dagster_project.lib import quality
    from dagster_project.lib.steward import format_quality

    # Renders only when the site is older than the newest validation (a run launched from the Dagster UI).
    quality.build_data_docs(paths.root)
    print(format_quality(paths.working_db))
    _write_steward_page(paths)
    return 0


def _write_steward_page(paths: WarehousePaths) -> None:
    """The steward's offline page (<warehouse>/quality.html): GX's Data Docs need the internet."""
    from dagster_project.lib.steward import STEWARD_PAGE_NAME, write_steward_page

    page = write_steward_page(paths.working_db, paths.root / STEWARD_PAGE_NAME)
    if page:
        print(f"quality page (works offline): {page}")


def cmd_report(args: argparse.Namespace) -> int:
    _, paths = _configure_paths(args)
    from dagster_project.lib.report import write_report

    if not paths.published_db.exists():
        print(f"no publication yet: {paths.published_db} does not exist (run `ehelse run`)", file=sys.stderr)
        return 1
    out = write_report(paths.published_db, Path(args.out) if args.out else paths.report)
    print(f"status report: {out}")
    return 0


def _add_warehouse_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help=f"warehouse directory (default ${WAREHOUSE_ENV_VAR} or data/warehouse)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ehelse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write a synthetic inbox that follows inputs.md")
    demo.add_argument("--inbox", help=f"inbox directory (default ${INBOX_ENV_VAR} or data/inbox)")
    demo.add_argument(
        "--from", dest="from_", metavar="YYYY-MM", help="first month (2021-01; national: January of the last full year)"
    )
    demo.add_argument("--to", metavar="YYYY-MM", help="last month (the last full month; national: that December)")
    demo.add_argument(
        "--scale",
        choices=["demo", "national"],
        default="demo",
        help="national: one year, 200 000 kjernejournal lookups a day written by DuckDB, surveys of 5 000 and 3 000",
    )
    demo.add_argument("--seed", type=int, default=2023, help="random seed: same seed, same bytes (2023)")
    demo.add_argument(
        "--lookups-per-day",
        type=int,
        help="kjernejournal lookups a day (demo: 160 at the 2021 level, growing; national: 200000)",
    )
    demo.set_defaults(func=cmd_demo_data)

    run = sub.add_parser("run", help="ingest -> dbt build -> quality gate -> publish, once")
    run.add_argument("--inbox", help=f"inbox directory (default ${INBOX_ENV_VAR} or data/inbox)")
    _add_warehouse_argument(run)
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="print marts.measure_status and the goal summary from published.duckdb")
    _add_warehouse_argument(status)
    status.set_defaults(func=cmd_status)
    quality = sub.add_parser(
        "quality", help="the latest quality-gate result: failed checks, quarantined rows, rejected files"
    )
    _add_warehouse_argument(quality)
    quality.set_defaults(func=cmd_quality)
    report = sub.add_parser("report", help="write the council's status report (HTML, bokmål) from published.duckdb")
    report.add_argument("--out", help="output file (default <warehouse>/status_report.html)")
    _add_warehouse_argument(report)
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
