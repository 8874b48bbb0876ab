"""The demo meeting register: the real council meeting of 21 March 2024 (seed 001, sak 4/24,
the status of 2023) and plausible later ones in the rhythm of the plan's årshjul (seed 000):
twice a year, NUIT first and the council a few weeks later, in the first quarter on the year
before and in the third quarter on the first half-year. The register does not depend on the
demo range, so a wider range never restates it."""

from __future__ import annotations

from collections.abc import Iterator

COUNCIL, NUIT = "Nasjonalt e-helseråd", "NUIT"
COLUMNS = ("organ", "dato", "motenummer", "saksnummer", "tittel", "etikett", "statusdato")
# (label, status date, NUIT's date and sak, the council's date, meeting number and sak)
MEETINGS = (
    ("Q1 2024", "2023-12-31", ("2024-02-29", "07/24"), ("2024-03-21", "1/24", "04/24")),
    ("Q3 2024", "2024-06-30", ("2024-08-29", "31/24"), ("2024-09-19", "3/24", "22/24")),
    ("Q1 2025", "2024-12-31", ("2025-02-27", "06/25"), ("2025-03-20", "1/25", "04/25")),
    ("Q3 2025", "2025-06-30", ("2025-08-28", "30/25"), ("2025-09-18", "3/25", "21/25")),
    ("Q1 2026", "2025-12-31", ("2026-02-26", "05/26"), ("2026-03-19", "1/26", "04/26")),
    ("Q3 2026", "2026-06-30", ("2026-08-27", "29/26"), ("2026-09-17", "3/26", "20/26")),
)


def register_rows() -> Iterator[tuple[str, ...]]:
    for label, status_date, (nuit_date, nuit_case), (council_date, meeting_number, council_case) in MEETINGS:
        title = f"Oppfølging av Nasjonal e-helsestrategi {label}"
        yield NUIT, nuit_date, "", nuit_case, title, label, status_date
        yield COUNCIL, council_date, meeting_number, council_case, title, label, status_date


def register_bytes() -> bytes:
    lines = [";".join(COLUMNS), *(";".join(row) for row in register_rows())]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_demo_files(cfg) -> Iterator[tuple[str, bytes]]:  # noqa: ANN001, ARG001 - DemoConfig (demo/demo_data.py imports the feeds)
    from dagster_project.feeds.registry import feed_by_name

    yield feed_by_name("meetings").inbox_path(""), register_bytes()
