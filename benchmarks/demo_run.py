"""Benchmark: `make demo`'s run step (issue 26): `ehelse run` on a fresh warehouse over the
demo inbox (`ehelse demo-data`'s default range: 2021-01 to last month, ~2 500 small files),
timed from outside, and where its time went (each feed's loads from the ledger, dbt build
and its slowest nodes from run_results.json, the rest by difference).

    .venv/bin/python benchmarks/demo_run.py [--data data/bench/demo]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from national_year import EHELSE, ROOT, load_breakdown, measured, rest_seconds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench" / "demo")
    args = parser.parse_args()
    inbox, warehouse, home = args.data / "inbox", args.data / "warehouse", args.data / "dagster_home"
    shutil.rmtree(warehouse, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "EHELSE_INBOX": str(inbox), "EHELSE_WAREHOUSE_DIR": str(warehouse), "DAGSTER_HOME": str(home)}
    subprocess.run([EHELSE, "demo-data"], env=env, check=True, capture_output=True)
    run = measured([EHELSE, "run", "--quiet"], env)
    if run["exit"] != 0:
        raise SystemExit(f"ehelse run failed:\n{run['output'][-3000:]}")
    where = load_breakdown(warehouse)
    print(f"make demo's run step: {run['seconds']} s, peak {run['peak_rss_mb']} MB")
    for feed, figures in where["ingestion"].items():
        print(f"  ingestion {feed:22} {figures['files']:5} files {figures['seconds']:7.1f} s")
    print(f"  dbt build                      {where['dbt_build_seconds']:7.1f} s; slowest: {where['dbt_slowest']}")
    rest = rest_seconds(run["seconds"], where)
    print(f"  the rest (start, GX, publication, copies, report; feeds overlap) {rest:7.1f} s")
    run.pop("output")
    (args.data / "demo_run.json").write_text(json.dumps({"run": run, "breakdown": where}, indent=2))


if __name__ == "__main__":
    main()
