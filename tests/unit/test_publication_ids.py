"""`ehelse report|status --publication` reads only an archived publication by its id (issue 22):
`..` would render the current Parquet copies as if archived, `.` was a traceback."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project import cli
from dagster_project.publication.publish import PublicationNotFound, archive_dir, open_publication
from dagster_project.settings import WarehousePaths

ARCHIVED = "2026-01-02T030405Z"


@pytest.fixture
def paths(tmp_path) -> WarehousePaths:
    paths = WarehousePaths(tmp_path / "warehouse")
    folder = archive_dir(paths) / ARCHIVED
    folder.mkdir(parents=True)
    con = duckdb.connect()
    for directory in (folder, paths.parquet_dir):  # the current copies sit two levels up
        con.execute(f"copy (select 1 as measure_id) to '{directory / 'dim_measure.parquet'}' (format parquet)")
    con.close()
    (archive_dir(paths) / f".{ARCHIVED}x").mkdir()  # an archive being written
    return paths


@pytest.mark.parametrize("publication_id", ["..", ".", "", f".{ARCHIVED}x", f"{ARCHIVED}/..", "../archive"])
def test_only_an_archive_id_opens_a_publication(paths, publication_id):
    with pytest.raises(PublicationNotFound, match=ARCHIVED), open_publication(paths, publication_id):
        pass


def test_an_archive_id_opens_its_copies(paths):
    with open_publication(paths, ARCHIVED) as con:
        assert con.execute("select measure_id from marts.dim_measure").fetchall() == [(1,)]


@pytest.mark.parametrize("command", ["report", "status"])
@pytest.mark.parametrize("publication_id", ["..", "."])
def test_the_cli_names_the_archives_instead_of_a_traceback(paths, command, publication_id, capsys):
    code = cli.main([command, "--warehouse", str(paths.root), "--publication", publication_id])
    assert code == 1 and ARCHIVED in capsys.readouterr().err
