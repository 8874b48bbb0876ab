"""Every feed, found by its folder: a package under dagster_project/feeds/ that
defines FEED. Adding a feed is adding such a folder (docs/adding-a-feed.md)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import dagster_project.feeds as feeds_package
from dagster_project.feeds.base import Feed, Table


@cache
def _discover() -> tuple[Feed, ...]:
    found = []
    for module in pkgutil.iter_modules(feeds_package.__path__):
        if module.ispkg:
            feed = getattr(importlib.import_module(f"{feeds_package.__name__}.{module.name}"), "FEED", None)
            if isinstance(feed, Feed):
                found.append(feed)
    names = [f.name for f in found]
    if len(set(names)) != len(names):
        raise ValueError(f"two feeds share a name: {sorted(names)}")
    return tuple(sorted(found, key=lambda f: f.name))


def feeds() -> tuple[Feed, ...]:
    return _discover()


def feed_by_name(name: str) -> Feed:
    return {f.name: f for f in feeds()}[name]


def raw_tables() -> dict[str, Table]:
    """Each raw-zone table once (the two survey feeds write the same two tables)."""
    tables: dict[str, Table] = {}
    for feed in feeds():
        for table in feed.tables:
            if tables.setdefault(table.name, table) != table:
                raise ValueError(f"raw table {table.name} is declared with two shapes")
    return tables


def feed_groups() -> dict[tuple[str, ...], tuple[Feed, ...]]:
    """Feeds grouped by the raw tables they write: one Dagster asset (or multi-asset) per group."""
    groups: dict[tuple[str, ...], list[Feed]] = {}
    for feed in feeds():
        groups.setdefault(feed.table_names, []).append(feed)
    return {tables: tuple(group) for tables, group in groups.items()}


def display_names() -> dict[str, str]:
    return {f.name: f.display_name for f in feeds()}
