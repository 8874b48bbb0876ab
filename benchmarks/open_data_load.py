"""Benchmark: the open-data server under load while publications land (issue 23).

    .venv/bin/python benchmarks/open_data_load.py [--warehouse data/warehouse] [--clients 8] [--seconds 60]

Copies the warehouse's published.duckdb (run `make demo` first) into a scratch warehouse,
starts `ehelse serve` there in its own process on a free loopback port, and has N clients ask
for a measure's series (4.2.6, national, value) for the given time while a publication lands
every 5 s (a new file renamed over published.duckdb, as publish() does). Prints requests, failed
and mixed answers (target: zero each) and p50/p95 latency (target p95 < 100 ms; printed, not
asserted).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dagster_project.serve.app import API  # noqa: E402
from dagster_project.serve.load import fetch, run_load, second_publication  # noqa: E402
from dagster_project.settings import WarehousePaths  # noqa: E402

QUERY = (
    f"{API}/tables/fct_measure_value/data?valueCodes[measure]=4.2.6&valueCodes[Region]=0&valueCodes[ContentsCode]=value"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=str(ROOT / "data" / "warehouse"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--switch-every", type=float, default=5)
    args = parser.parse_args()
    source = WarehousePaths(Path(args.warehouse)).published_db
    if not source.exists():
        print(f"no publication at {source}: run `make demo` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="open-bench-") as scratch:
        paths = WarehousePaths(Path(scratch) / "warehouse")
        paths.root.mkdir()
        a, b = Path(scratch) / "a.duckdb", Path(scratch) / "b.duckdb"
        shutil.copy(source, a)
        shutil.copy(source, paths.published_db)
        second_publication(a, b)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "serve", "--port", str(port), "--warehouse", str(paths.root)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}{QUERY}"
            deadline = time.monotonic() + 60
            while fetch_ok(url) is False:
                if time.monotonic() > deadline:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            result = run_load(url, paths.published_db, [b, a], args.clients, args.seconds, args.switch_every)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"open data: {args.clients} clients for {args.seconds:.0f} s on loopback, a measure's series")
    print(f"  {result.summary()}")
    print("  target: 0 failed, 0 mixed, p95 < 100 ms")
    return 0 if not (result.failures or result.mixed) else 1


def fetch_ok(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except OSError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
