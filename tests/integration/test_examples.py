"""The example queries of docs/bi.md, run as a BI tool would: read-only on published.duckdb."""

import duckdb
import pytest

from dagster_project.settings import PROJECT_ROOT, WarehousePaths

QUERIES = PROJECT_ROOT / "examples" / "queries"


@pytest.fixture
def reader(published_readonly):
    _, warehouse = published_readonly
    con = duckdb.connect(str(WarehousePaths(warehouse).published_db), read_only=True)
    yield con
    con.close()


def run(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    cursor = con.execute((QUERIES / name).read_text(encoding="utf-8"))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_every_example_query_is_tested() -> None:
    assert {p.name for p in QUERIES.glob("*.sql")} == {
        "status_per_goal.sql",
        "measure_over_time.sql",
        "adoption_per_municipality.sql",
    }


def test_status_per_goal(reader) -> None:
    rows = run(reader, "status_per_goal.sql")
    assert [r["goal_id"] for r in rows] == [1, 2, 3, 4, 5, 0]
    total = rows[-1]
    assert total["n_indicators"] == 16 == sum(r["n_indicators"] for r in rows[:-1])
    assert total["summary_nb"] == f"{total['n_yellow']}/16 er gule"


def test_measure_over_time(reader) -> None:
    rows = run(reader, "measure_over_time.sql")
    assert rows, "1.1.1 has published values in the 2022 demo"
    assert [r["period"] for r in rows] == sorted(r["period"] for r in rows)
    assert {(r["baseline_value"], r["unit"]) for r in rows} == {(11_400_000.0, "besøk per måned")}
    assert all(10_000_000 < r["value"] < 14_000_000 for r in rows)


def test_adoption_per_municipality(reader) -> None:
    rows = run(reader, "adoption_per_municipality.sql")
    assert len(rows) == 357
    oslo = next(r for r in rows if r["municipality_code"] == "0301")
    assert oslo["municipality_name"] == "Oslo" and oslo["population"] > 600_000
    assert all(r["kjernejournal_adopted"] is not None for r in rows)  # the feed covers 2022-12
