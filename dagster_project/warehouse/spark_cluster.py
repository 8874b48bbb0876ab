"""A Spark cluster on loopback, as a directorate's cluster is reached (issue 25, docs/scale-out.md).

`make spark-cluster` starts, from the pyspark package of the spark extra, a standalone master,
two workers (each its own JVM, each with one executor of one core that runs queries: a worker
lost during a build is survived, Spark runs the lost tasks again on the other) and the SQL server (Spark's
HiveThriftServer2, submitted to the master as an application), every port on 127.0.0.1 and
chosen free at start. Logs, the Derby metastore and cluster.json (the pids and the URL) live
under <warehouse>/spark-cluster/; the SQL server's warehouse directory is the warehouse's
spark/warehouse, where the rest of the pipeline reads the marts' Parquet
(warehouse/spark_outputs.py). It prints the line `EHELSE_SPARK_URL=thrift://127.0.0.1:<port>`
for the dbt target spark_thrift. `make spark-cluster-down` stops exactly the processes
cluster.json names (each checked to be still ours before it is signalled).

    python scripts/spark_cluster.py up|down|status     (the warehouse of EHELSE_WAREHOUSE_DIR)
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dagster_project.warehouse.faults import ResourceFailure

CLUSTER_DIR = "spark-cluster"  # under the warehouse directory
URL_ENV_VAR = "EHELSE_SPARK_URL"  # settings.py reads it; named here for the messages
THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
LOOPBACK = "127.0.0.1"
# Small JVMs: the machine is shared and the demo inbox is small. A real cluster sizes these.
DAEMON_MEMORY = "256m"  # the master's and the workers' own JVMs
WORKERS = 2
WORKER_MEMORY = "1g"  # what each worker offers its executor
EXECUTOR_MEMORY = "900m"
SQL_SERVER_MEMORY = "768m"  # the SQL server's driver: planning and the metastore, no data
# Every JVM of the cluster: serial GC and the C1 compiler only. Six JVMs on a small machine
# (the master, two workers, their executors and the SQL server) running ~300 short statements:
# C2's compilations and the parallel GC's threads cost more CPU than they save (the Spark
# cluster test: 431 s of CPU without, 359 s with; docs/decisions.md).
JVM_OPTIONS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
START_TIMEOUT_SECONDS = 240.0
# Every JVM carries this property with the cluster's directory: `down` signals a recorded pid
# only while that process still carries it (a pid reused by another process is left alone).
MARKER_PROPERTY = "ehelse.spark.cluster"
# The application before the cluster it runs on.
STOP_ORDER = ("sql", *(f"worker-{n}" for n in range(1, WORKERS + 1)), "master")


class SqlServerUnreachable(ResourceFailure):
    """The Spark SQL server of EHELSE_SPARK_URL does not answer: nothing was built or decided."""


class ClusterOfAnotherWarehouse(ResourceFailure):
    """The SQL server writes its tables elsewhere than this warehouse's spark/warehouse."""


@dataclass(frozen=True)
class RunningCluster:
    directory: Path
    url: str  # thrift://127.0.0.1:<port>
    pids: dict[str, int]  # role (master, worker-1, worker-2, sql) -> pid of its JVM
    warehouse_dir: Path  # spark.sql.warehouse.dir of the SQL server

    def to_json(self) -> str:
        return json.dumps({"url": self.url, "pids": self.pids, "warehouse_dir": str(self.warehouse_dir)}, indent=2)


def cluster_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / CLUSTER_DIR


def state_file(warehouse_dir: Path) -> Path:
    return cluster_dir(warehouse_dir) / "cluster.json"


def spark_sql_warehouse(warehouse_dir: Path) -> Path:
    """Where Spark's managed tables live: the same folder in session mode and on the cluster
    (profiles.yml), so spark_outputs.py finds the marts either way."""
    return warehouse_dir / "spark" / "warehouse"


def parse_spark_url(url: str) -> tuple[str, int]:
    """thrift://host:port -> (host, port); anything else is refused naming the variable."""
    parts = urlsplit(url)
    if parts.scheme != "thrift" or not parts.hostname or parts.port is None:
        raise ValueError(f"{URL_ENV_VAR}={url!r}: expected thrift://<host>:<port> (the Spark SQL server)")
    return parts.hostname, parts.port


def free_ports(count: int) -> list[int]:
    """Ports free on loopback now, all different (held open together while chosen)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check_sql_server(url: str, warehouse_dir: Path, timeout: float = 5.0) -> None:
    """Before a run builds anything: the SQL server at the URL answers (else SqlServerUnreachable,
    saying what to do) and writes its tables under this warehouse's spark/warehouse, where the
    pipeline reads the marts (else ClusterOfAnotherWarehouse: its marts would be another's)."""
    host, port = parse_spark_url(url)
    unreachable = SqlServerUnreachable(
        f"the Spark SQL server at {URL_ENV_VAR}={url} does not answer (connection refused or timed "
        f"out): start one with `make spark-cluster` (a local cluster) or point {URL_ENV_VAR} at your "
        "cluster's Thrift server; unset it to build in session mode"
    )
    if not port_answers(host, port, timeout):
        raise unreachable
    try:
        served = server_warehouse_dir(host, port)
    except Exception as err:  # noqa: BLE001 - whatever the Thrift client raises, the server did not answer
        raise unreachable from err
    expected = spark_sql_warehouse(warehouse_dir.resolve())
    if Path(served.removeprefix("file:")).resolve() != expected:
        raise ClusterOfAnotherWarehouse(
            f"the Spark SQL server at {URL_ENV_VAR}={url} writes its tables to {served}, not to {expected}: "
            f"it serves another warehouse; start this warehouse's with `make spark-cluster` "
            f"(EHELSE_WAREHOUSE_DIR={warehouse_dir})"
        )


def server_warehouse_dir(host: str, port: int) -> str:
    """spark.sql.warehouse.dir as the SQL server reports it (one short Thrift session)."""
    from pyhive import hive  # the spark extra

    connection = hive.connect(host=host, port=port, username="ehelse")
    try:
        cursor = connection.cursor()
        cursor.execute("set spark.sql.warehouse.dir")
        return str(cursor.fetchall()[0][1])
    finally:
        connection.close()


def spark_home() -> Path:
    """The Spark distribution inside the pyspark package (bin/spark-class, jars/)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyspark is not installed: `pip install -e '.[spark]'` (make test installs it)")
    return Path(next(iter(spec.submodule_search_locations)))


def _environment(directory: Path) -> dict[str, str]:
    marker = f"-D{MARKER_PROPERTY}={directory}"
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": LOOPBACK,  # every JVM binds loopback, its ephemeral ports too
        "SPARK_LOCAL_HOSTNAME": LOOPBACK,
        "SPARK_LOG_DIR": str(directory / "logs"),
        "SPARK_PID_DIR": str(directory),
        "SPARK_DAEMON_MEMORY": DAEMON_MEMORY,
        "SPARK_DAEMON_JAVA_OPTS": f"{marker} {JVM_OPTIONS}",
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",  # no REST port (6066, fixed)
        "SPARK_NO_DAEMONIZE": "1",
    }


def _launch(role: str, command: list[str], directory: Path, env: dict[str, str]) -> subprocess.Popen:
    """A JVM in its own session (it outlives `make spark-cluster`), its output in logs/<role>.log.
    spark-class execs java: the pid is the JVM's."""
    log = (directory / "logs" / f"{role}.log").open("ab")
    return subprocess.Popen(
        command, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def _sql_server_command(home: Path, directory: Path, warehouse_dir: Path, master_url: str, port: int) -> list[str]:
    marker = f"-D{MARKER_PROPERTY}={directory}"
    derby = f"-Dderby.system.home={directory}"
    conf = {
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        "spark.driver.extraJavaOptions": f"{marker} {derby} -Duser.timezone=UTC {JVM_OPTIONS}",
        "spark.executor.extraJavaOptions": f"-Duser.timezone=UTC {JVM_OPTIONS}",
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.cores.max": "2",
        "spark.sql.warehouse.dir": str(spark_sql_warehouse(warehouse_dir)),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={directory}/metastore_db;create=true",
        "spark.ui.enabled": "false",
    }
    return [
        str(home / "bin" / "spark-submit"),
        "--master", master_url,
        "--class", THRIFT_SERVER_CLASS,
        "--name", "ehelse-sql-server",
        "--driver-memory", SQL_SERVER_MEMORY,
        *[arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")],
        "spark-internal",
        "--hiveconf", f"hive.server2.thrift.port={port}",
        "--hiveconf", f"hive.server2.thrift.bind.host={LOOPBACK}",
    ]  # fmt: skip


def _wait(
    what: str, ready: Callable[[], bool], processes: dict[str, subprocess.Popen], directory: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        dead = {role: p.returncode for role, p in processes.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"{what}: {dead} exited (exit codes); see {directory / 'logs'}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout:.0f} s; see {directory / 'logs'}")
        time.sleep(1.0)


def _workers_registered(master_ui_port: int, count: int) -> bool:
    """The master's JSON status lists `count` ALIVE workers."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{master_ui_port}/json/", timeout=2) as response:
            status = json.load(response)
    except (OSError, ValueError):
        return False
    return sum(worker.get("state") == "ALIVE" for worker in status.get("workers", [])) >= count


def start_cluster(warehouse_dir: Path, timeout: float = START_TIMEOUT_SECONDS) -> RunningCluster:
    """Master, worker and SQL server for this warehouse; returns when the SQL port answers.
    A cluster already recorded and answering for this warehouse is returned as it is."""
    warehouse_dir = warehouse_dir.resolve()
    running = read_cluster(warehouse_dir)
    if running is not None and alive(running) and port_answers(*parse_spark_url(running.url)):
        return running
    directory = cluster_dir(warehouse_dir)
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    (directory / "work").mkdir(exist_ok=True)
    spark_sql_warehouse(warehouse_dir).mkdir(parents=True, exist_ok=True)
    home, env = spark_home(), _environment(directory)
    master_port, master_ui, sql_port, *worker_ports = free_ports(3 + 2 * WORKERS)
    master_url = f"spark://{LOOPBACK}:{master_port}"
    spark_class = str(home / "bin" / "spark-class")
    processes: dict[str, subprocess.Popen] = {}
    try:
        processes["master"] = _launch(
            "master",
            [spark_class, "org.apache.spark.deploy.master.Master", "--host", LOOPBACK,
             "--port", str(master_port), "--webui-port", str(master_ui)],
            directory, env,
        )  # fmt: skip
        _wait("the master", lambda: port_answers(LOOPBACK, master_port), processes, directory, timeout)
        for n in range(1, WORKERS + 1):
            port, ui_port = worker_ports[2 * n - 2 : 2 * n]
            processes[f"worker-{n}"] = _launch(
                f"worker-{n}",
                [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", LOOPBACK,
                 "--port", str(port), "--webui-port", str(ui_port), "--cores", "1",
                 "--memory", WORKER_MEMORY, "--work-dir", str(directory / "work"), master_url],
                directory, env,
            )  # fmt: skip
        _wait("the workers", lambda: _workers_registered(master_ui, WORKERS), processes, directory, timeout)
        command = _sql_server_command(home, directory, warehouse_dir, master_url, sql_port)
        # spark-submit sizes the Thrift server's driver JVM by SPARK_DAEMON_MEMORY, as a daemon's.
        processes["sql"] = _launch("sql", command, directory, {**env, "SPARK_DAEMON_MEMORY": SQL_SERVER_MEMORY})
        _wait("the SQL server", lambda: port_answers(LOOPBACK, sql_port), processes, directory, timeout)
    except BaseException:
        _stop_pids({role: p.pid for role, p in processes.items()}, directory)
        raise
    cluster = RunningCluster(
        directory=directory,
        url=f"thrift://{LOOPBACK}:{sql_port}",
        pids={role: p.pid for role, p in processes.items()},
        warehouse_dir=spark_sql_warehouse(warehouse_dir),
    )
    state_file(warehouse_dir).write_text(cluster.to_json())
    return cluster


def read_cluster(warehouse_dir: Path) -> RunningCluster | None:
    path = state_file(warehouse_dir.resolve())
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    return RunningCluster(path.parent, state["url"], state["pids"], Path(state["warehouse_dir"]))


def _ours(pid: int, directory: Path) -> bool:
    """The process is one of this cluster's JVMs (its command line carries the marker)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"-D{MARKER_PROPERTY}={directory}".encode() in b" ".join(cmdline)


def alive(cluster: RunningCluster) -> dict[str, int]:
    """The recorded JVMs that still run."""
    return {role: pid for role, pid in cluster.pids.items() if _ours(pid, cluster.directory)}


def _stop_pids(pids: dict[str, int], directory: Path, grace: float = 30.0) -> list[int]:
    """SIGTERM, then SIGKILL after `grace` seconds, to each pid still ours; SQL server first."""
    order = [pids[role] for role in STOP_ORDER if role in pids] + [
        pid for role, pid in pids.items() if role not in STOP_ORDER
    ]
    stopped = []
    for pid in order:
        if not _ours(pid, directory):
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _ours(pid, directory) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _ours(pid, directory):
            os.kill(pid, signal.SIGKILL)
        _reap(pid)
        stopped.append(pid)
    return stopped


def _reap(pid: int) -> None:
    """Collect a child's exit status (when this process started it) so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_cluster(warehouse_dir: Path) -> list[int]:
    """Stop the JVMs cluster.json names (and only those); returns the pids signalled."""
    cluster = read_cluster(warehouse_dir)
    if cluster is None:
        return []
    stopped = _stop_pids(cluster.pids, cluster.directory)
    state_file(warehouse_dir.resolve()).unlink(missing_ok=True)
    return stopped


def main(warehouse_dir: Path, argv: list[str]) -> int:
    """`make spark-cluster` / `make spark-cluster-down` (scripts/spark_cluster.py)."""
    command = argv[0] if argv else "up"
    if command == "up":
        cluster = start_cluster(warehouse_dir)
        print(f"Spark cluster for {warehouse_dir}: master, {WORKERS} workers, SQL server; logs in {cluster.directory}")
        print(f"{URL_ENV_VAR}={cluster.url}")
        return 0
    if command == "down":
        stopped = stop_cluster(warehouse_dir)
        print(f"stopped {len(stopped)} process(es): {stopped}" if stopped else "no Spark cluster recorded")
        return 0
    if command == "status":
        cluster = read_cluster(warehouse_dir)
        print(cluster.to_json() if cluster else "no Spark cluster recorded")
        return 0
    print("usage: spark_cluster.py up|down|status", file=sys.stderr)
    return 2
