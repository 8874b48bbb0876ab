"""The landing zone: every file under the inbox, matched to the feed whose folder and
name pattern it fits, with the period (partition) its name carries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster_project.feeds.base import InboxFile
from dagster_project.feeds.registry import feeds


@dataclass(frozen=True)
class InboxScan:
    files: list[InboxFile]
    unmatched: list[Path]  # reported, never loaded


def scan_inbox(inbox: Path) -> InboxScan:
    """Every file under the inbox, classified by feed. Hidden files (.tmp, .DS_Store) are ignored."""
    files: list[InboxFile] = []
    unmatched: list[Path] = []
    if not inbox.exists():
        return InboxScan(files, unmatched)
    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(".")):
        folder = path.parent.relative_to(inbox).as_posix()
        match = next(
            (
                (feed, period)
                for feed in feeds()
                if feed.folder == folder and (period := feed.period_of(path.name)) is not None
            ),
            None,
        )
        if match:
            files.append(InboxFile(path, match[0], match[1]))
        else:
            unmatched.append(path)
    return InboxScan(files, unmatched)
