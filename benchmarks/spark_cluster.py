"""Benchmark (issue 25): one inbox published three ways, each on a fresh warehouse: DuckDB, Spark in
session mode (EHELSE_ENGINE=spark) and a Spark cluster on loopback (`make spark-cluster`'s code,
EHELSE_SPARK_URL), timed from outside; for the Spark runs the peak resident memory of every JVM
(the session's driver; the cluster's master, workers, executors and SQL server) and the dbt build's
time per node from run_results.json (the per-query overhead docs/scale-out.md reasons from).

    .venv/bin/python benchmarks/spark_cluster.py [--data data/bench/spark] [--from 2022-01 --to 2022-12]
        [--lookups-per-day 20] [--engines duckdb,session,cluster]

The inbox is `ehelse demo-data` over the range (default: the gate test fixture's year). Results
are printed and written to <data>/spark_cluster.json. Needs Java and the spark extra.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EHELSE = str(Path(sys.executable).parent / "ehelse")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from national_year import latest_run_results  # noqa: E402

_ROLES = {
    "org.apache.spark.deploy.master.Master": "master",
    "org.apache.spark.deploy.worker.Worker": "worker",
    "org.apache.spark.executor.CoarseGrainedExecutorBackend": "executor",
    "org.apache.spark.deploy.SparkSubmit": "driver",  # the SQL server, or dbt's session
}


class JvmPeaks(threading.Thread):
    """Samples /proc twice a second: every java process whose command line names the warehouse,
    and their java children (executors); keeps each one's peak RSS (VmHWM)."""

    def __init__(self, warehouse: Path) -> None:
        super().__init__(daemon=True)
        self.warehouse = str(warehouse)
        self.peaks: dict[int, tuple[str, int]] = {}  # pid -> (role, peak kB)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.sample()

    def sample(self) -> None:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
                status = (proc / "status").read_text()
            except OSError:
                continue
            if not cmdline or not cmdline[0].endswith(b"java"):
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            parent = int(fields.get("PPid", "0").strip())
            if self.warehouse.encode() not in b" ".join(cmdline) and parent not in self.peaks:
                continue
            # spark-class first runs a short launcher JVM that only builds the real command line.
            launcher = b"org.apache.spark.launcher.Main" in cmdline
            role = "launcher" if launcher else next((r for cls, r in _ROLES.items() if cls.encode() in cmdline), "jvm")
            peak = int(fields.get("VmHWM", "0 kB").split()[0])
            pid = int(proc.name)
            self.peaks[pid] = (role, max(peak, self.peaks.get(pid, ("", 0))[1]))

    def report(self) -> list[dict[str, object]]:
        return [{"pid": pid, "role": role, "peak_rss_mb": round(kb / 1024)} for pid, (role, kb) in self.peaks.items()]


def dbt_nodes(warehouse: Path) -> dict[str, float]:
    """The node count and seconds of the latest dbt build on this warehouse."""
    results = latest_run_results(warehouse)
    times = [r["execution_time"] for r in results["results"]] if results else []
    return {
        "nodes": len(times),
        "elapsed": round(results["elapsed_time"], 1) if results else 0.0,
        "seconds": round(sum(times), 1),
        "per_node": round(sum(times) / max(1, len(times)), 2),
    }


def run_engine(engine: str, inbox: Path, root: Path) -> dict[str, object]:
    from dagster_project.warehouse import spark_cluster

    base = root / engine
    shutil.rmtree(base, ignore_errors=True)
    warehouse, home = base / "warehouse", base / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "EHELSE_INBOX": str(inbox), "EHELSE_WAREHOUSE_DIR": str(warehouse), "DAGSTER_HOME": str(home)}
    env.pop("EHELSE_SPARK_URL", None)
    env["EHELSE_ENGINE"] = "duckdb" if engine == "duckdb" else "spark"
    peaks = JvmPeaks(warehouse)
    peaks.start()
    figures: dict[str, object] = {"engine": engine}
    try:
        if engine == "cluster":
            started = time.monotonic()
            cluster = spark_cluster.start_cluster(warehouse)
            figures["cluster_start_seconds"] = round(time.monotonic() - started, 1)
            env["EHELSE_SPARK_URL"] = cluster.url
        started = time.monotonic()
        run = subprocess.run([EHELSE, "run", "--quiet"], env=env, capture_output=True, text=True, cwd=ROOT)
        figures["run_seconds"] = round(time.monotonic() - started, 1)
        figures["ok"] = run.returncode == 0
        if run.returncode != 0:
            figures["output"] = (run.stdout + run.stderr)[-2000:]
        else:
            figures["dbt_build"] = dbt_nodes(warehouse)
    finally:
        peaks.sample()
        if engine == "cluster":
            spark_cluster.stop_cluster(warehouse)
        peaks.stopping.set()
        peaks.join()
    figures["jvms"] = peaks.report()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench" / "spark")
    parser.add_argument("--from", dest="first", default="2022-01")
    parser.add_argument("--to", dest="last", default="2022-12")
    parser.add_argument("--lookups-per-day", default="20")
    parser.add_argument("--engines", default="duckdb,session,cluster")
    args = parser.parse_args()
    inbox = args.data / "inbox"
    if not inbox.exists():
        env = {**os.environ, "EHELSE_INBOX": str(inbox)}
        subprocess.run(
            [EHELSE, "demo-data", "--from", args.first, "--to", args.last, "--lookups-per-day", args.lookups_per_day],
            env=env,
            check=True,
            capture_output=True,
        )
    results = []
    for engine in args.engines.split(","):
        figures = run_engine(engine, inbox, args.data)
        results.append(figures)
        jvms = ", ".join(f"{j['role']} {j['peak_rss_mb']} MB" for j in figures["jvms"]) or "none"
        build = figures.get("dbt_build", {})
        print(
            f"{engine:8} run {figures['run_seconds']:7.1f} s (ok: {figures['ok']}); "
            f"dbt build {build.get('elapsed')} s, {build.get('seconds')} s of node time over {build.get('nodes')} "
            f"nodes ({build.get('per_node')} s a node); cluster start {figures.get('cluster_start_seconds', '-')} s; "
            f"JVM peaks: {jvms}"
        )
    (args.data / "spark_cluster.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
