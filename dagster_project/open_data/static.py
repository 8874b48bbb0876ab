"""published/open/: one JSON-stat 2.0 file and one SSB-style CSV per open table, and catalog.ttl,
for a plain web server. Written beside, then renamed into place file by file."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

from dagster_project.open_data.catalog import DEFAULT_BASE_URL, catalog_turtle
from dagster_project.open_data.cube import build_cube, select
from dagster_project.open_data.formats import csv_text, jsonstat_dataset
from dagster_project.open_data.tables import OpenPublication, load_publication

CATALOG_FILE = "catalog.ttl"


def open_dir(parquet_dir: Path) -> Path:
    """published/open/ beside the Parquet copies."""
    return parquet_dir / "open"


def write_open_files(published_db: Path, out_dir: Path, base_url: str = DEFAULT_BASE_URL) -> list[Path]:
    """Every open table of the publication as <id>.json and <id>.csv, and catalog.ttl."""
    publication = load_publication(published_db)
    staging = out_dir.parent / f".{out_dir.name}-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _write_all(publication, staging, base_url)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file in sorted(staging.iterdir()):
        os.replace(file, out_dir / file.name)  # each file is the old one or the new one, never half
        written.append(out_dir / file.name)
    staging.rmdir()
    return written


def _write_all(publication: OpenPublication, folder: Path, base_url: str) -> None:
    for table_id, data in publication.tables.items():
        cube = build_cube(data, select(data, {}, max_cells=math.inf))
        # Sparse values (an object by index) when most cells are empty: the dense cube of
        # measure x region x period is mostly periods a measure does not have.
        dataset = jsonstat_dataset(cube, publication, sparse=len(cube.present) < len(cube.values) / 2)
        (folder / f"{table_id}.json").write_text(json.dumps(dataset, ensure_ascii=False), encoding="utf-8")
        (folder / f"{table_id}.csv").write_text(csv_text(cube), encoding="utf-8", newline="")
    (folder / CATALOG_FILE).write_text(catalog_turtle(publication, base_url), encoding="utf-8")
