"""The one clock of load times: the ledger's started_at and finished_at, and the quarantine's.

By default the system clock (UTC). A setting (EHELSE_CLOCK, Settings.clock) fixes it for tests
and reproducible runs: time then starts at the given instant and moves one microsecond per
reading, so entries of one run keep their order and a run "happens" on the day it names (what
the warehouse knew on a meeting date is decided by these times: indicators.md)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(start: str) -> Clock:
    """A clock from an ISO instant (`2024-03-01T12:00:00+00:00`; no offset means UTC)."""
    instant = datetime.fromisoformat(start)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    ticks = itertools.count()
    return lambda: instant + timedelta(microseconds=next(ticks))


def clock_from_setting(value: str) -> Clock:
    """The system clock for an empty setting, else the fixed clock it names."""
    return fixed_clock(value) if value else system_clock
