"""The `ehelse` command: demo data, one pipeline run, the published status."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from dagster_project.settings import INBOX_ENV_VAR, WAREHOUSE_ENV_VAR, Settings, WarehousePaths


def _settings(args: argparse.Namespace) -> Settings:
    """The one settings object of this command: its arguments over the environment."""
    as_of = getattr(args, "as_of", None)
    return Settings.from_env(
        inbox=getattr(args, "inbox", None),
        warehouse_dir=getattr(args, "warehouse", None),
        as_of_date=as_of.isoformat() if as_of else None,
    )


def cmd_demo_data(args: argparse.Namespace) -> int:
    from dagster_project.demo.demo_data import DemoConfig, generate, last_full_month

    inbox = _settings(args).inbox
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
    from dagster_project.presentation import progress
    from dagster_project.runner import run_pipeline

    settings = _settings(args)
    if not args.verbose:
        # dagster-dbt announces each dbt command it starts; the progress lines say what runs.
        logging.getLogger("dagster.builtin").setLevel(logging.WARNING)
    handler = progress.attach(quiet=args.quiet, verbose=args.verbose)
    try:
        outcome = run_pipeline(settings)
    except KeyboardInterrupt:
        print("stopped (Ctrl-C)", file=sys.stderr)
        return 130
    finally:
        progress.detach(handler)
    print(outcome.message)
    _write_steward_page(settings.paths)
    return 0 if outcome.ok else 1


def cmd_status(args: argparse.Namespace) -> int:
    paths = _settings(args).paths
    from dagster_project.presentation.status import AsOfOutOfRange, format_status
    from dagster_project.publication.publish import PublicationNotFound, open_publication

    try:
        with open_publication(paths, args.publication) as con:
            print(format_status(con, args.as_of))
    except (PublicationNotFound, AsOfOutOfRange) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    paths = _settings(args).paths
    from dagster_project.gate import quality
    from dagster_project.gate.steward import format_quality, steward_view

    # Renders only when the site is older than the newest validation (a run launched from the Dagster UI).
    quality.build_data_docs(paths.root)
    print(format_quality(paths))
    _write_steward_page(paths)
    # Non-zero when the latest attempt was refused (issue 22): a script or CI sees the refusal.
    view = steward_view(paths)
    return 1 if view is not None and view.refused_latest else 0


def _write_steward_page(paths: WarehousePaths) -> None:
    """The steward's offline page (<warehouse>/quality.html): GX's Data Docs need the internet."""
    from dagster_project.gate.steward import STEWARD_PAGE_NAME, write_steward_page

    page = write_steward_page(paths, paths.root / STEWARD_PAGE_NAME)
    if page:
        print(f"quality page (works offline): {page}")


def cmd_report(args: argparse.Namespace) -> int:
    paths = _settings(args).paths
    from dagster_project.presentation.meeting import AmbiguousMeeting, MeetingNotFound
    from dagster_project.presentation.report import write_report
    from dagster_project.presentation.status import AsOfOutOfRange
    from dagster_project.publication.publish import PublicationNotFound

    try:
        out = write_report(
            paths.published_db,
            Path(args.out) if args.out else paths.report,
            as_of=args.as_of,
            publication_id=args.publication,
            meeting=args.meeting,
            organ=args.organ,
        )
    except (PublicationNotFound, AsOfOutOfRange, MeetingNotFound, AmbiguousMeeting) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"status report: {out}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The open publication over HTTP (PxWebApi 2-shaped), read-only, until interrupted."""
    from dagster_project.serve.app import serve

    serve(_settings(args).paths, host=args.host, port=args.port)
    return 0


def cmd_dbt(args: argparse.Namespace) -> int:
    """dbt by hand, with the values the pipeline gives it (--vars from the settings)."""
    from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, engine_missing_message, missing_for_engine

    settings = _settings(args)
    missing = missing_for_engine(settings.engine)
    if missing:
        print(engine_missing_message(settings.engine, missing), file=sys.stderr)
        return 1
    command = [DBT_EXECUTABLE, *args.dbt_args, "--vars", json.dumps(settings.dbt_vars())]
    # The engine setting picks the target (dbt reads DBT_TARGET unless --target is given).
    env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR), "DBT_TARGET": settings.engine}
    return subprocess.call(command, cwd=DBT_PROJECT_DIR, env=env)


def cmd_raw_set_aside(args: argparse.Namespace) -> int:
    paths = _settings(args).paths
    from dagster_project.warehouse.damaged import set_aside

    try:
        moved = set_aside(paths.raw_zone, Path(args.file))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    for target in moved:
        print(f"set aside: {target}")
    print("the next `ehelse run` loads the file again from the inbox")
    return 0


def cmd_dbt_sources(args: argparse.Namespace) -> int:
    from dagster_project.feeds.dbt_sources import SOURCES_FILE, write_sources_yml

    changed = write_sources_yml()
    print(f"{SOURCES_FILE}: {'written' if changed else 'up to date'}")
    return 0


def _as_of_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def _add_as_of_argument(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--as-of", type=_as_of_date, metavar="YYYY-MM-DD", help=f"status as of this date ({default})")


def _add_publication_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--publication", metavar="ID", help="read an archived publication (published/archive/<ID>/) instead"
    )


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
    run.add_argument("--quiet", action="store_true", help="no progress, only the outcome")
    run.add_argument("--verbose", action="store_true", help="also dbt's line per model and test")
    _add_warehouse_argument(run)
    _add_as_of_argument(run, "default today")
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="print marts.measure_status and the goal summary from published.duckdb")
    _add_warehouse_argument(status)
    _add_as_of_argument(status, "default: the publication's as-of date, today for a run of today")
    _add_publication_argument(status)
    status.set_defaults(func=cmd_status)
    quality = sub.add_parser(
        "quality", help="the latest quality-gate result: failed checks, quarantined rows, rejected files"
    )
    _add_warehouse_argument(quality)
    quality.set_defaults(func=cmd_quality)
    report = sub.add_parser("report", help="write the council's status report (HTML, bokmål) from published.duckdb")
    report.add_argument("--out", help="output file (default <warehouse>/status_report.html)")
    _add_warehouse_argument(report)
    _add_as_of_argument(report, "default: the publication's as-of date, today for a run of today")
    _add_publication_argument(report)
    report.add_argument(
        "--meeting",
        metavar="DATE|LABEL",
        help="the status for a registered meeting (moter/moter.csv): as of its status date and as known on its date",
    )
    report.add_argument("--organ", help="the body, when several meetings match --meeting (NUIT, Nasjonalt e-helseråd)")
    report.set_defaults(func=cmd_report)
    serve = sub.add_parser(
        "serve", help="serve the open publication (PxWebApi 2-shaped API, JSON-stat, CSV, DCAT-AP-NO)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    _add_warehouse_argument(serve)
    serve.set_defaults(func=cmd_serve)
    dbt = sub.add_parser("dbt", help="run dbt (e.g. `ehelse dbt docs generate`) with the pipeline's --vars")
    _add_warehouse_argument(dbt)
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="the dbt command and its arguments")
    dbt.set_defaults(func=cmd_dbt)
    sources = sub.add_parser("dbt-sources", help="write dbt's raw-zone sources yml from the feed registry")
    sources.set_defaults(func=cmd_dbt_sources)
    raw = sub.add_parser("raw", help="look after the raw zone (a damaged file)")
    raw_sub = raw.add_subparsers(dest="raw_command", required=True)
    set_aside = raw_sub.add_parser(
        "set-aside", help="move a damaged raw-zone file and its load aside; the next run reloads it from the inbox"
    )
    set_aside.add_argument("file", help="the file an error named")
    _add_warehouse_argument(set_aside)
    set_aside.set_defaults(func=cmd_raw_set_aside)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    from dagster_project.warehouse.damaged import DamagedRawFile

    try:
        return args.func(args)
    except DamagedRawFile as damaged:
        print(damaged, file=sys.stderr)  # the file and the command that sets it aside (issue 22)
        return 1


if __name__ == "__main__":
    sys.exit(main())
