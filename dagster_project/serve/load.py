"""Load on the open-data server while publications switch (the integration test and the
benchmark): clients ask the same question over and over while published.duckdb is replaced by
rename, as publish() replaces it; every answer must be whole and from one publication."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass
class LoadResult:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    served: set[str] = field(default_factory=set)
    switches: int = 0

    def percentile(self, q: float) -> float:
        """Latency in milliseconds at quantile q (0.5, 0.95)."""
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100)[round(q * 100) - 1] * 1000

    def summary(self) -> str:
        return (
            f"{self.requests} requests, {len(self.failures)} failed, {len(self.mixed)} mixed, "
            f"{self.switches} publication switches, publications served: {len(self.served)}; "
            f"latency p50 {self.percentile(0.5):.1f} ms, p95 {self.percentile(0.95):.1f} ms"
        )


def second_publication(db: Path, target: Path) -> None:
    """A copy of a publication with another id and every measure value changed."""
    shutil.copy(db, target)
    con = duckdb.connect(str(target))
    try:
        con.execute("update marts.publication_log set publication_id = publication_id || '-b'")
        con.execute("update marts.fct_measure_value set value = value + 1000")
    finally:
        con.close()


def land(source: Path, published_db: Path) -> None:
    """A publication lands: a freshly written file renamed over published.duckdb."""
    incoming = published_db.with_name(".incoming-" + published_db.name)
    shutil.copy(source, incoming)
    os.replace(incoming, published_db)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def publication_of(body: bytes) -> str:
    return json.loads(body)["extension"]["publication_id"]


def answers_of(url: str, published_db: Path, sources: list[Path], timeout: float = 60) -> dict[str, bytes]:
    """The answer each publication gives to url, by publication id (each landed in turn)."""
    answers: dict[str, bytes] = {}
    for source in sources:
        land(source, published_db)
        deadline = time.monotonic() + timeout
        while True:
            status, body = fetch(url)
            if status == 200 and publication_of(body) not in answers:
                answers[publication_of(body)] = body
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server never served the publication in {source}")
            time.sleep(0.1)
    return answers


def run_load(
    url: str, published_db: Path, sources: list[Path], clients: int, seconds: float, switch_every: float
) -> LoadResult:
    """`clients` threads ask url for `seconds` while the sources land in turn every `switch_every` s."""
    answers = answers_of(url, published_db, sources)
    result = LoadResult()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, body = fetch(url)
            elapsed = time.perf_counter() - started
            with lock:
                result.requests += 1
                result.latencies.append(elapsed)
                if status != 200:
                    result.failures.append(f"{status}: {body[:200]!r}")
                    continue
                publication = publication_of(body)
                result.served.add(publication)
                if answers.get(publication) != body:
                    result.mixed.append(publication)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    while time.monotonic() < stop:
        land(sources[result.switches % len(sources)], published_db)
        result.switches += 1
        time.sleep(switch_every)
    for thread in threads:
        thread.join()
    return result
