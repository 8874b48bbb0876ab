"""The landing zone: every file under the inbox, matched to the feed whose folder and
name pattern it fits, with the period (partition) its name carries."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from dagster_project.feeds.base import Feed, InboxFile, period_out_of_range
from dagster_project.feeds.hostile import display_name, outside_inbox, scrub_identifiers
from dagster_project.feeds.registry import feeds
from dagster_project.warehouse.ledger import sha256_cached_by_stat


@dataclass(frozen=True)
class InboxScan:
    files: list[InboxFile]
    unmatched: list[Path]  # reported, never loaded


def scan_inbox(inbox: Path, first_month: str | None = None) -> InboxScan:
    """Every file under the inbox, classified by feed. Hidden files (.tmp, .DS_Store) are ignored.
    Links, files resolving outside the inbox and files whose period cannot be data are
    unmatched: reported in the ledger (unmatched_reason), never loaded. `first_month` is the
    warehouse's first partition (settings.partitions_start): a daily or monthly file before it
    is refused with its rule too, never left pending."""
    files: list[InboxFile] = []
    unmatched: list[Path] = []
    if not inbox.exists():
        return InboxScan(files, unmatched)
    candidates = (p for p in inbox.rglob("*") if (p.is_symlink() or p.is_file()) and not p.name.startswith("."))
    for path in sorted(candidates):
        match = None if outside_inbox(path, inbox) else _feed_match(path, inbox)
        if match and period_out_of_range(match[1], match[0].grain, first_month=first_month) is None:
            files.append(InboxFile(path, match[0], match[1]))
        else:
            unmatched.append(path)
    return InboxScan(files, unmatched)


def _feed_match(path: Path, inbox: Path) -> tuple[Feed, str] | None:
    folder = path.parent.relative_to(inbox).as_posix()
    return next(
        (
            (feed, period)
            for feed in feeds()
            if feed.folder == folder and (period := feed.period_of(path.name)) is not None
        ),
        None,
    )


def unmatched_reason(path: Path, inbox: Path, first_month: str | None = None) -> str:
    """The rule and reason an unmatched file is not loaded, as the ledger records it."""
    refused = outside_inbox(path, inbox)
    if refused:
        return f"refused_path: {refused}; the file was not read"
    match = _feed_match(path, inbox)
    if match:
        why = period_out_of_range(match[1], match[0].grain, first_month=first_month)
        return f"period_out_of_range: {why}; not loaded"
    return "file_name: matches no file pattern of the input contract (inputs.md); not loaded"


def content_id(path: Path, inbox: Path, cache: dict[str, list]) -> str:
    """What the ledger knows a file by: its sha256, or for a refused path a hash of its name and
    link target, so that the target is never opened."""
    if outside_inbox(path, inbox):
        target = os.readlink(path) if path.is_symlink() else str(path.resolve())
        return "refused:" + hashlib.sha256(f"{path}\0{target}".encode("utf-8", "backslashreplace")).hexdigest()
    return sha256_cached_by_stat(path, cache)[0]


def inbox_name(path: Path, inbox: Path) -> str:
    """The file's path in the inbox as recorded and printed: escaped (display_name), so a
    name with escape codes or bytes that are not UTF-8 is shown, stored and never executed;
    a fødselsnummer in it pseudonymised (the same pseudonym each run, so the ledger still knows it)."""
    return scrub_identifiers("/".join(display_name(part) for part in path.relative_to(inbox).parts))
