"""The demo portfolio: a pool of initiatives, each running a few years, and a yearly count
(portefolje_tiltak_YYYY.csv) of the few dozen active in the year, written once the year's
December is in the demo range.

The share with money for evaluation or planned follow-up research starts at the plan's
baseline (37 % in 2022) and rises towards the 50 % target. Each year's file has its own random
stream (seed, year), so a wider range never changes a file already written.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np

FIRST_YEAR = 2022  # the first yearly count of the national portfolio
EVALUATED_SHARE = {2022: 0.37, 2023: 0.40, 2024: 0.44, 2025: 0.47}
ORGANISATIONS = (
    "Norsk helsenett SF",
    "Helsedirektoratet",
    "Helse Sør-Øst RHF",
    "Helse Vest RHF",
    "Helse Midt-Norge RHF",
    "Helse Nord RHF",
    "KS",
    "Folkehelseinstituttet",
    "Oslo kommune",
    "Bergen kommune",
)
TOPICS = (
    "Kjernejournal",
    "Pasientens legemiddelliste",
    "Helsenorge",
    "Digital hjemmeoppfølging",
    "Dokumentdeling",
    "Helsedataservice",
    "Velferdsteknologi",
    "Samhandling i akuttkjeden",
    "e-resept",
    "Helseanalyseplattformen",
    "Legemiddelinformasjon",
    "Felles språk",
)
KINDS = ("videreutvikling", "innføring", "utprøving", "forprosjekt", "modernisering", "pilot")


def _rng(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(p.encode()) for p in parts)])


def initiatives(seed: int, year: int) -> list[list[str]]:
    """The initiatives of the portfolio in `year`: ids run 1..n over all years, each active for
    three years from its start, about a dozen starting each year."""
    rows = []
    for start in range(FIRST_YEAR - 2, year + 1):
        pool = _rng(seed, "portefolje-pool", str(start))
        for i in range(int(pool.integers(10, 15))):
            topic, kind = TOPICS[int(pool.integers(len(TOPICS)))], KINDS[int(pool.integers(len(KINDS)))]
            organisation, goal = ORGANISATIONS[int(pool.integers(len(ORGANISATIONS)))], int(pool.integers(1, 6))
            if start <= year < start + 3:
                rows.append([str(year), f"T-{start}-{i + 1:02d}", f"{topic}: {kind}", organisation, str(goal)])
    rng = _rng(seed, "portefolje", str(year))
    n_evaluated = round(EVALUATED_SHARE.get(year, 0.50) * len(rows))
    evaluated = set(rng.choice(len(rows), size=n_evaluated, replace=False).tolist())
    for index, row in enumerate(rows):
        money = index in evaluated and rng.random() < 0.7
        research = index in evaluated and (not money or rng.random() < 0.4)
        row += ["ja" if money else "nei", "ja" if research else "nei"]
    return rows


def write_demo_files(cfg) -> Iterator[tuple[str, bytes]]:  # noqa: ANN001 - DemoConfig (demo/demo_data.py imports the feeds)
    from dagster_project.demo.demo_data import csv_bytes
    from dagster_project.feeds.registry import feed_by_name

    feed = feed_by_name("portfolio_initiatives")
    for year in range(max(FIRST_YEAR, int(cfg.first_month[:4])), int(cfg.last_month[:4]) + 1):
        if cfg.last_month >= f"{year}-12":
            yield feed.inbox_path(str(year)), csv_bytes(feed.extra["spec"].columns, initiatives(cfg.seed, year))
