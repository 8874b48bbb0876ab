"""Shared by the fault suite (test_faults*.py): the raw zone's state and balance, a restated
file, the environment of a child process that imports this checkout."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb

from dagster_project.settings import PROJECT_ROOT
from dagster_project.warehouse import ledger


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def current_state(zone) -> set[tuple]:
    """What the warehouse holds: the current loads (family, period, content) and their row counts."""
    con = duckdb.connect()
    try:
        return set(
            ledger._rows(
                con,
                zone,
                "select source_family, period, sha256, rows_loaded, rows_quarantined from raw.load_ledger "
                "where is_current",
            )
        )
    finally:
        con.close()


def balanced(zone) -> bool:
    con = duckdb.connect()
    try:
        [(bad,)] = ledger._rows(
            con,
            zone,
            "select count(*) from raw.load_ledger where status in ('loaded', 'restated') "
            "and rows_read <> rows_loaded + rows_quarantined",
        )
    finally:
        con.close()
    return bad == 0


def child_env() -> dict[str, str]:
    """The environment for a child process that imports this checkout of the project."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}


def restate_usage(inbox: Path) -> Path:
    """A changed version of an already loaded file: one municipality's visits in 2022-06, a little higher."""
    path = inbox / "helsenorge" / "helsenorge_bruk_2022-06.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[3] = str(int(fields[3]) + 7)
    lines[1] = ";".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path
