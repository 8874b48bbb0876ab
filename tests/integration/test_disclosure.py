"""The attacker's test (outputs.md, privacy rule, "Across every output"): over the union of
everything a publication puts out — every table of published.duckdb, the Parquet copies and
the archived publications — no withheld cell can be solved for from the additive relations
(municipalities -> county -> nation, the same quantity in two tables, survey numerators,
denominators and n). publication/disclosure_audit.py is the solver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import openpyxl

from dagster_project.publication.disclosure_audit import AuditResult, audit_publications
from dagster_project.publication.publish import archived_publications, open_publication
from dagster_project.settings import WarehousePaths


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
