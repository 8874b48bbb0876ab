"""A damaged raw-zone file (a ledger entry, a quarantine file or a table's Parquet, truncated
or overwritten by hand) named with the way out, never a traceback (issue 22).

`ehelse raw set-aside <file>` moves the file, with the rest of the load it belongs to (its
ledger entry, table data and quarantine), under <warehouse>/raw_set_aside/<when>/: nothing is
deleted. With the load's ledger entry gone, its inbox file is pending again and the next
`ehelse run` loads it afresh; a zero-row schema file is written again by the next run.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.warehouse.raw_zone import RawZone

SET_ASIDE_DIR = "raw_set_aside"  # beside raw/, so no reader of the raw zone ever globs it
_QUOTED_PARQUET = re.compile(r"'([^']+\.parquet)'")
_LOAD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class DamagedRawFile(Exception):
    """A raw-zone file that cannot be read, with the command that sets it aside."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"damaged raw-zone file: {path} is not readable Parquet (truncated or overwritten?). "
            f"Way out: `ehelse raw set-aside {path}` moves it and the rest of its load under "
            f"{path_set_aside_root(path)}, and the next `ehelse run` loads its file again from the inbox"
        )


def path_set_aside_root(path: Path) -> Path:
    raw = next((p for p in path.parents if p.name == "raw"), path.parent)
    return raw.parent / SET_ASIDE_DIR


def is_readable(path: Path) -> bool:
    con = duckdb.connect()
    try:
        con.execute("select count(*) from parquet_metadata(?)", [str(path)]).fetchall()
        return True
    except duckdb.Error:
        return False
    finally:
        con.close()


def damaged_file(error: BaseException, zone: RawZone) -> Path | None:
    """The raw-zone Parquet file an error names, if it is there and unreadable."""
    root = zone.root.resolve()
    for match in _QUOTED_PARQUET.finditer(str(error)):
        path = Path(match.group(1))
        if path.resolve().is_relative_to(root) and path.exists() and not is_readable(path):
            return path
    return None


def load_id_of(path: Path, zone: RawZone) -> str | None:
    """The load a raw-zone file belongs to: from a ledger entry's or quarantine file's name, or a
    table file's load_id= folder. None for a zero-row schema file."""
    if path.parent == zone.ledger_dir or path.parent == zone.quarantine_dir:
        found = _LOAD_ID.search(path.stem)
    else:
        found = _LOAD_ID.search(path.parent.name) if path.parent.name.startswith("load_id=") else None
    return found.group(0) if found else None


def files_of_load(zone: RawZone, load_id: str) -> list[Path]:
    """Every file and folder of one load: ledger entries, quarantine, table data."""
    found = list(zone.ledger_dir.glob(f"*-{load_id}.parquet"))
    found += list(zone.quarantine_dir.glob(f"{load_id}.parquet"))
    found += [d for d in zone.root.glob(f"*/period=*/load_id={load_id}") if d.is_dir()]
    return found


def set_aside(zone: RawZone, path: Path) -> list[Path]:
    """Move the damaged file and the rest of its load out of the raw zone; returns where each went."""
    path = path.resolve()
    if not path.is_relative_to(zone.root.resolve()) or not path.exists():
        raise ValueError(f"{path} is not a file of the raw zone {zone.root}")
    load_id = load_id_of(path, zone)
    moving = {path.resolve()} | {p.resolve() for p in (files_of_load(zone, load_id) if load_id else [])}
    target_root = zone.root.parent / SET_ASIDE_DIR / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    moved = []
    for source in sorted(moving):
        if not source.exists():
            continue  # a file inside a load folder already moved
        target = target_root / source.relative_to(zone.root.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
        moved.append(target)
    return moved
