"""Progress a person can follow during `ehelse run`: per feed and overall (files, rows,
rate, time left), redrawn in place on a terminal, plain lines elsewhere (a log file, CI).

Ingestion and the dbt build report through the `ehelse.progress` logger with structured
`extra` fields (they know nothing of terminals); the CLI attaches a ProgressHandler, or
none with --quiet. Without a handler the records go nowhere: tests and `dagster dev`
are not affected.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

LOGGER = logging.getLogger("ehelse.progress")
LOGGER.propagate = False  # shown by a ProgressHandler only, never by the root logger's warnings
# dagster-dbt writes dbt's line per node to stdout: kept where no one asked otherwise (the
# compute logs of `dagster dev`), summarised by `ehelse run` unless --verbose.
_dbt_lines_shown = True


def dbt_lines_shown() -> bool:
    return _dbt_lines_shown


def report_files(feed: str, done: int, total: int, rows: int) -> None:
    """`done` of `total` files of a feed handled, `rows` rows loaded so far."""
    LOGGER.info("%s: %d/%d files", feed, done, total, extra={"feed": feed, "done": done, "total": total, "rows": rows})


def report_step(message: str) -> None:
    """A step of the run that is not counted in files (the dbt build, the gate, publication)."""
    LOGGER.info(message, extra={"step": True})


def report_detail(message: str) -> None:
    """A line only --verbose shows (dbt's line per node)."""
    LOGGER.debug(message)


class DbtBuildProgress:
    """The dbt build's progress from dbt's node events: nodes done of total, the slowest node
    running now and a time left from the mean pace so far (dbt runs nodes on its threads, so
    several may run at once). `clock` is injectable for tests."""

    def __init__(self, total: int, clock=time.monotonic) -> None:
        self.total = total
        self.done = 0
        self.running: dict[str, float] = {}
        self.clock = clock
        self.started = clock()

    def node_started(self, name: str) -> None:
        self.running[name] = self.clock()
        self._report()

    def node_finished(self, name: str) -> None:
        self.running.pop(name, None)
        self.done += 1
        self._report()

    def line(self) -> str:
        now = self.clock()
        parts = [f"dbt build: {self.done}/{self.total} nodes"]
        if self.running:
            name, since = min(self.running.items(), key=lambda item: item[1])
            parts.append(f"slowest running {name} ({_duration(now - since)})")
        elapsed = now - self.started
        if self.done and elapsed >= 1 and self.done < self.total:
            parts.append(f"{_duration(elapsed / self.done * (self.total - self.done))} left")
        return ", ".join(parts)

    def _report(self) -> None:
        LOGGER.info("%s", self.line(), extra={"progress_key": "dbt build", "progress_last": self.done >= self.total})


@dataclass
class _FeedProgress:
    total: int
    done: int = 0
    rows: int = 0
    started: float = field(default_factory=time.monotonic)

    def line(self, feed: str) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate and self.done < self.total else 0.0
        rows = f"{self.rows:,}".replace(",", " ")
        # Under a second there is no rate worth showing yet.
        speed = f"{rate:.1f} files/s, {_duration(left)} left" if elapsed >= 1 else "– files/s, – left"
        return f"{feed}: {self.done}/{self.total} files, {rows} rows, {speed}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class ProgressHandler(logging.Handler):
    """Renders the progress records: one line redrawn per feed on a terminal; on anything
    else a plain line per feed at most every `interval` seconds, and its last one."""

    def __init__(self, stream: TextIO = sys.stderr, interval: float = 10.0) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.interval = interval
        self.is_terminal = stream.isatty()
        self.feeds: dict[str, _FeedProgress] = {}
        self._last_plain: dict[str, float] = {}
        self._open_line = False

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "progress_key", None) is not None:
            self._redraw(record.progress_key, record.getMessage(), record.progress_last)
            return
        feed = getattr(record, "feed", None)
        if feed is None:
            self._finish_line()
            self.stream.write(record.getMessage() + "\n")
            self.stream.flush()
            return
        progress = self.feeds.setdefault(feed, _FeedProgress(record.total))
        progress.total, progress.done, progress.rows = record.total, record.done, record.rows
        last = progress.done >= progress.total
        line = progress.line(feed) + (f"  (all feeds: {self._overall()})" if len(self.feeds) > 1 else "")
        self._redraw(feed, line, last)

    def _redraw(self, key: str, line: str, last: bool) -> None:
        """A line redrawn in place on a terminal; elsewhere at most every `interval` seconds, and its last."""
        if self.is_terminal:
            self.stream.write("\r\033[K" + line + ("\n" if last else ""))
            self._open_line = not last
        elif last or time.monotonic() - self._last_plain.get(key, 0.0) >= self.interval:
            self.stream.write(line + "\n")
            self._last_plain[key] = time.monotonic()
        self.stream.flush()

    def _overall(self) -> str:
        done = sum(p.done for p in self.feeds.values())
        total = sum(p.total for p in self.feeds.values())
        return f"{done}/{total} files"

    def _finish_line(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False


def attach(quiet: bool, verbose: bool, stream: TextIO = sys.stderr) -> ProgressHandler | None:
    """Show progress on stream (none with quiet; dbt's line per node too with verbose)."""
    global _dbt_lines_shown
    _dbt_lines_shown = verbose
    if quiet:
        return None
    handler = ProgressHandler(stream)
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler


def detach(handler: ProgressHandler | None) -> None:
    global _dbt_lines_shown
    _dbt_lines_shown = True
    if handler is not None:
        handler._finish_line()
        LOGGER.removeHandler(handler)
