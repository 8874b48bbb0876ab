"""The attacker's test (outputs.md, privacy rule, "Across every output"): over the union of
everything a publication puts out — every table of published.duckdb, the Parquet copies and
the archived publications — no withheld cell can be solved for from the additive relations
(municipalities -> county -> nation, the same quantity in two tables, survey numerators,
denominators and n). publication/disclosure_audit.py is the solver."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import openpyxl
import pytest

from dagster_project.open_data.cube import served_cells
from dagster_project.open_data.tables import load_publication
from dagster_project.publication.disclosure_audit import AuditResult, audit_publications
from dagster_project.publication.publish import archived_publications, open_publication
from dagster_project.settings import WarehousePaths
from tests.conftest import generate_gate_inbox, publish_once


@contextmanager
def everything_published(warehouse: Path) -> Iterator[list[list[duckdb.DuckDBPyConnection]]]:
    """Per publication, every copy of it, each a connection whose schema marts holds the tables:
    the current one as published.duckdb, the Parquet copies beside it and its archived folder;
    each older publication as its archived folder. An attacker holds them all; copies of one
    publication are solved as one (a cell any copy gives is known). Older publications are
    solved one by one: restated figures differ from them by design."""
    paths = WarehousePaths(warehouse)
    with ExitStack() as stack:
        current = stack.enter_context(open_publication(paths))
        (current_id,) = current.execute("select max(publication_id) from marts.publication_log").fetchone()
        copies = duckdb.connect()
        stack.callback(copies.close)
        copies.execute("create schema marts")
        for file in sorted(paths.parquet_dir.glob("*.parquet")):
            copies.execute(f"create view marts.{file.stem} as select * from read_parquet('{file}')")
        publications = [[current, copies]]
        for publication_id in archived_publications(paths):
            archived = stack.enter_context(open_publication(paths, publication_id))
            if publication_id == current_id:
                publications[0].append(archived)
            else:
                publications.append([archived])
        yield publications


# Utsira (1151), Rogaland's smallest municipality: the PLL count of 4 issue 22 recovered.
SMALL_MUNICIPALITY = "1151"
FEW_ANSWERS = 27  # under the 30 answers a survey county needs


def plant_disclosure_traps(inbox: Path) -> None:
    """Make the generated inbox hostile to disclosure control: PLL patients in every
    municipality and month, a sixth of them 1-4 (Utsira always 4), and in each survey the
    county with the fewest answers cut to 27."""
    for path in sorted((inbox / "pll").glob("pll_*.csv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [lines[0]]
        for line in lines[1:]:
            month, code, _, _, lookups, organisations = line.split(";")
            seed = int(code) * 31 + int(month[-2:])
            patients = 4 if code == SMALL_MUNICIPALITY else (1 + seed % 4 if seed % 6 == 0 else 5 + seed % 200)
            rows.append(";".join([month, code, "ja", str(patients), lookups, organisations]))
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for path in sorted((inbox / "surveys").glob("*.xlsx")):
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["data"]
        header = [cell.value for cell in sheet[1]]
        county_column = header.index("fylkesnummer")
        rows_by_county: dict[str, list[int]] = {}
        for index, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            rows_by_county.setdefault(str(row[county_column]), []).append(index)
        smallest = min(rows_by_county.values(), key=len)
        for index in sorted(smallest[FEW_ANSWERS:], reverse=True):
            sheet.delete_rows(index)
        workbook.save(path)


def describe(result: AuditResult) -> str:
    shown = [f"{r.cell} = {r.low:g}" for r in result.recovered[:20]]
    return f"{len(result.recovered)} of {result.n_withheld} withheld cells recovered: " + "; ".join(shown)


def audit_everything(warehouse: Path) -> list[AuditResult]:
    with everything_published(warehouse) as publications:
        assert len(publications[0]) == 3, "published.duckdb, its Parquet copies and its archived folder"
        return [audit_publications(copies) for copies in publications]


def test_no_withheld_cell_comes_back_from_everything_published(gate_templates: tuple[Path, Path]) -> None:
    _, warehouse = gate_templates
    for result in audit_everything(warehouse):
        # The test data has small cells (4.2.2's municipalities), so the audit has work to do.
        assert result.n_withheld > 0
        assert not result.inconsistent, f"relations that do not add up: {result.inconsistent[:5]}"
        assert not result.recovered, describe(result)


@pytest.fixture(scope="module")
def trapped_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test inbox (as gate_templates builds it) with the disclosure traps planted, published
    once. The one full run here: the test data has no small PLL or survey cells of its own."""
    root = tmp_path_factory.mktemp("disclosure_traps")
    generate_gate_inbox(root / "inbox", days_a_month=3)
    plant_disclosure_traps(root / "inbox")
    outcome = publish_once(root)
    assert outcome.ok and outcome.published, outcome.message
    return root / "warehouse"


@pytest.mark.slow(seconds=95)
@pytest.mark.xdist_group("trapped_warehouse")  # its module fixture runs the pipeline: once, on one worker
def test_no_withheld_cell_comes_back_from_hostile_small_cells(trapped_warehouse: Path) -> None:
    """Small PLL counts everywhere (Utsira's 4 among them) published in two tables, and a survey
    county of 27 answers: issue 22 recovered both by subtraction."""
    (result,) = audit_everything(trapped_warehouse)
    con = duckdb.connect(str(WarehousePaths(trapped_warehouse).published_db), read_only=True)
    try:
        withheld = dict(
            con.execute(
                "select measure_id, count(*) from marts.fct_measure_value"
                " where is_suppressed and measure_id <> '4.2.2' group by measure_id"
            ).fetchall()
        )
        utsira = con.execute(
            "select patients_with_pll, is_suppressed from marts.pll_usage_monthly where geography_code = ?",
            [SMALL_MUNICIPALITY],
        ).fetchall()
    finally:
        con.close()
    # The traps are in place: many PLL cells and a county in every survey measure withheld.
    assert withheld.get("4.2.6", 0) > 100 and withheld.get("1.3", 0) >= 1, withheld
    assert utsira and all(value is None and suppressed for value, suppressed in utsira)
    assert not result.inconsistent, f"relations that do not add up: {result.inconsistent[:5]}"
    assert not result.recovered, describe(result)


def served_beyond_published(warehouse: Path) -> list[tuple]:
    """Cells the open publication (API and files: open_data/cube.served_cells) serves that
    published.duckdb does not publish as they are: a withheld cell served with a figure, a
    figure that differs from the published one, or a cell with no published row. None means
    the open outputs add no equation to the audit over the published tables."""
    db = WarehousePaths(warehouse).published_db
    publication = load_publication(db)
    keyed = {
        "fct_measure_value": ("measure_id", "period", "geography_code"),
        "pll_usage_monthly": ("period", "geography_code"),
    }
    problems = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, key in keyed.items():
            cursor = con.execute(f"select * from marts.{table}")
            names = [d[0] for d in cursor.description]
            rows = {tuple(r[names.index(k)] for k in key): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
            for cell in served_cells(publication.tables[table]):
                period = cell["Tid"].replace("M", "-")
                codes = {"measure_id": cell.get("measure"), "period": period, "geography_code": cell["Region"]}
                row = rows.get(tuple(codes[k] for k in key))
                if row is None:
                    problems.append((table, cell, "no published row"))
                elif row["is_suppressed"]:
                    if not cell["withheld"] or cell["value"] is not None:
                        problems.append((table, cell, "withheld in published.duckdb"))
                elif cell["value"] is not None:
                    published = row[cell["ContentsCode"]]
                    published = float(published) if published is not None else None
                    if published is None or not math.isclose(
                        float(cell["value"]), published, rel_tol=1e-9, abs_tol=1e-9
                    ):
                        problems.append((table, cell, f"published {published}"))
    finally:
        con.close()
    return problems


@pytest.mark.xdist_group("trapped_warehouse")
def test_the_open_publication_serves_nothing_the_published_tables_withhold(trapped_warehouse: Path) -> None:
    """The open API and files (issue 23) serve every cell as published.duckdb publishes it, withheld
    cells as withheld: so they add no equation to the attacker's union above, which they join."""
    assert served_beyond_published(trapped_warehouse) == []
