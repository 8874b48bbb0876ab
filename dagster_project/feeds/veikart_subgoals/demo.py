"""The demo roadmap: five national solutions with development and rollout sub-goals, and a
snapshot at every quarter end of the demo range.

The roadmap itself (plan dates, the delays that will happen, cancellations) is drawn once per
seed, independent of the range; a snapshot is a pure function of that roadmap and its date, so
a wider range adds snapshots and never changes one already written. Each year, about the plan's
baseline share of the sub-goals due slips by more than 90 days (17 % in development, 11 % in
rollout in 2022, falling towards the 2025 targets), and a slip shows up gradually in the
forecasts of the quarters before the planned date.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

FIRST_PLANNED_YEAR, LAST_PLANNED_YEAR = 2021, 2027
# solution, its strategy goal, and sub-goal titles per phase (the roadmap's wording, shortened)
SOLUTIONS = (
    (
        "Kjernejournal",
        4,
        ("Ny versjon av kritisk informasjon", "Deling av journaldokumenter", "Tilgang for legevakt"),
        ("Innføring i kommunale pleie- og omsorgstjenester", "Innføring hos avtalespesialister", "Innføring i apotek"),
    ),
    (
        "Pasientens legemiddelliste",
        4,
        ("Legemiddellisten i kjernejournal", "Samstemming i EPJ", "Multidose"),
        ("Utprøving i Bergen", "Innføring i helseforetak", "Innføring i kommuner"),
    ),
    (
        "Helsenorge",
        1,
        ("Digital dialog med fastlegen", "Timeavtaler på tvers", "Innsyn for pårørende"),
        ("Innføring av Digihelsestasjon", "Innføring av Digihelse", "Innbyggertjenester i alle regioner"),
    ),
    (
        "Digital hjemmeoppfølging",
        1,
        ("Felles tjenestemodell", "Integrasjon med EPJ", "Innbyggerløsning"),
        ("Spredning i helsefellesskap", "Innføring i spesialisthelsetjenesten", "Drift i alle helsefellesskap"),
    ),
    (
        "Felles plattform for dokumentdeling",
        2,
        ("Dokumentdeling mellom helseforetak", "Deling fra kommuner", "Bildedeling"),
        ("Innføring i Helse Vest", "Innføring i Helse Midt-Norge", "Innføring i kommunene"),
    ),
)
# Share of the sub-goals planned in a year whose delay turns out significant, per phase.
DELAY_RATE = {
    "utvikling": {2021: 0.20, 2022: 0.17, 2023: 0.18, 2024: 0.16, 2025: 0.15},
    "innforing": {2021: 0.12, 2022: 0.11, 2023: 0.12, 2024: 0.105, 2025: 0.10},
}
# The plan's strategic initiative each solution's sub-goals deliver (seed 000: 1.A Helsenorge,
# 1.B digital hjemmeoppfølging, 2.B PLL, 4.A new information services, 4.B information sharing).
INITIATIVES = {
    "Kjernejournal": "4.A",
    "Pasientens legemiddelliste": "2B",  # the plan's own spelling of 2.B: both are accepted
    "Helsenorge": "1.A",
    "Digital hjemmeoppfølging": "1.B",
    "Felles plattform for dokumentdeling": "4.B",
}
# From this year the demo roadmap plans per quarter (seed 002: "planlagt per kvartal"): the
# planned date is the quarter's last day and planlagt_presisjon is kvartal.
FIRST_QUARTER_PLANNED_YEAR = 2026
# Sub-goals planned per year across the five solutions: 2 of 12 is 17 %, 1 of 9 is 11 %.
SUBGOALS_PER_YEAR = {"utvikling": 12, "innforing": 9}
REVEAL_DAYS = 270  # a slip shows up in the forecasts over the nine months before the planned date


@dataclass(frozen=True)
class SubGoal:
    subgoal_id: str
    solution: str
    title: str
    phase: str
    goal: int
    planned: date
    adopted: date  # first snapshot it appears in
    completed: date  # when it is (or would have been) completed
    cancelled: date | None
    prioritised: bool
    initiative: str = ""
    precision: str = ""

    def row(self, day: date) -> list[str] | None:
        """The sub-goal as the roadmap shows it on `day`, or None before it was adopted."""
        if day < self.adopted:
            return None
        forecast: date | None
        if self.cancelled and day >= self.cancelled:
            status, forecast, completed = "avbrutt", None, ""
        elif day >= self.completed:
            status, forecast, completed = "fullfort", None, self.completed.isoformat()
        else:
            known = min(1.0, max(0.0, (day - (self.planned - timedelta(REVEAL_DAYS))).days / REVEAL_DAYS))
            forecast = max(self.planned + timedelta(days=round((self.completed - self.planned).days * known)), day)
            status = (
                "utsatt" if (forecast - self.planned).days > 90 else ("pagar" if day >= self.started else "planlagt")
            )
            completed = ""
        return [
            self.subgoal_id,
            self.solution,
            self.title,
            self.phase,
            str(self.goal),
            self.planned.isoformat(),
            forecast.isoformat() if forecast else "",
            completed,
            status,
            "ja" if self.prioritised else "nei",
            self.initiative,
            self.precision,
        ]

    @property
    def started(self) -> date:
        return self.planned - timedelta(days=365)


def _rng(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(p.encode()) for p in parts)])


def plan_roadmap(seed: int) -> list[SubGoal]:
    """Every sub-goal of the demo roadmap, 2021-2027, drawn from the seed alone."""
    subgoals: list[SubGoal] = []
    for phase_index, phase in enumerate(("utvikling", "innforing")):
        for year in range(FIRST_PLANNED_YEAR, LAST_PLANNED_YEAR + 1):
            rng = _rng(seed, "veikart", phase, str(year))
            n = SUBGOALS_PER_YEAR[phase]
            n_delayed = round(DELAY_RATE[phase].get(year, DELAY_RATE[phase][2025]) * n)
            delayed = set(rng.choice(n, size=n_delayed, replace=False).tolist())
            for i in range(n):
                solution, goal, *titles = SOLUTIONS[(i + year) % len(SOLUTIONS)]
                title = titles[phase_index][(year + i) % 3]
                planned = date(year, 1, 1) + timedelta(days=int(rng.integers(20, 350)))
                precision = "kvartal" if year >= FIRST_QUARTER_PLANNED_YEAR else ""
                if precision:
                    planned = quarter_end(planned)
                delay = int(rng.integers(100, 320)) if i in delayed else int(rng.integers(-20, 70))
                cancelled = None
                adopted = planned - timedelta(days=int(rng.integers(400, 800)))
                if i not in delayed and rng.random() < 0.05:
                    cancelled = max(planned - timedelta(days=int(rng.integers(30, 200))), adopted + timedelta(days=90))
                subgoals.append(
                    SubGoal(
                        subgoal_id=f"{'U' if phase == 'utvikling' else 'I'}-{year}-{i + 1:02d}",
                        solution=solution,
                        title=f"{title} ({year})",
                        phase=phase,
                        goal=goal if rng.random() < 0.8 else int(rng.integers(1, 6)),
                        planned=planned,
                        adopted=adopted,
                        completed=planned + timedelta(days=delay),
                        cancelled=cancelled,
                        prioritised=bool(rng.random() < 0.4),
                        initiative=INITIATIVES[solution],
                        precision=precision,
                    )
                )
    return sorted(subgoals, key=lambda s: (s.solution, s.planned, s.subgoal_id))


def quarter_end(day: date) -> date:
    """The last day of day's quarter."""
    month = 3 * ((day.month - 1) // 3) + 3
    return (date(day.year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def quarter_ends(first_month: str, last_month: str) -> Iterator[date]:
    year, last_year = int(first_month[:4]), int(last_month[:4])
    for y in range(year, last_year + 1):
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            period = f"{y:04d}-{month:02d}"
            if first_month <= period <= last_month:
                yield date(y, month, day)


def snapshot_bytes(roadmap: list[SubGoal], day: date, columns: list[str]) -> bytes:
    from dagster_project.demo.demo_data import csv_bytes

    return csv_bytes(columns, [row for s in roadmap if (row := s.row(day)) is not None])


def write_demo_files(cfg) -> Iterator[tuple[str, bytes]]:  # noqa: ANN001 - DemoConfig (demo/demo_data.py imports the feeds)
    from dagster_project.feeds.registry import feed_by_name

    feed = feed_by_name("veikart_subgoals")
    roadmap = plan_roadmap(cfg.seed)
    for day in quarter_ends(cfg.first_month, cfg.last_month):
        yield feed.inbox_path(day.isoformat()), snapshot_bytes(roadmap, day, feed.extra["spec"].all_columns)
