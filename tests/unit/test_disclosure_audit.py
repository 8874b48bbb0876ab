"""The attacker's audit (publication/disclosure_audit.py) on tables small enough to solve by hand."""

import duckdb

from dagster_project.publication.disclosure_audit import Relation, audit, audit_publications

COUNTY = Relation(total="county", parts=("a", "b", "c"))


def test_a_single_withheld_part_of_a_published_total_is_recovered() -> None:
    result = audit({"county": 20, "a": None, "b": 9, "c": 8}, [COUNTY])
    assert [(r.cell, round(r.low, 6), round(r.high, 6)) for r in result.recovered] == [("a", 3.0, 3.0)]


def test_two_withheld_parts_are_not_recovered() -> None:
    result = audit({"county": 20, "a": None, "b": None, "c": 8}, [COUNTY])
    assert result.recovered == () and result.n_withheld == 2


def test_two_tables_withholding_different_complements_give_the_cell_back() -> None:
    # One table withholds a and b, the other a and c, both publishing the county total:
    # the union of the two knows b (from the second) and c (from the first).
    first = {"county": 20, "a": None, "b": None, "c": 8}
    second = {"b": 9, "c": None}
    union = {**first, **{k: v for k, v in second.items() if v is not None}}
    result = audit(union, [COUNTY])
    assert [r.cell for r in result.recovered] == ["a"]


def test_non_negativity_pins_a_cell_whose_partner_can_only_be_zero() -> None:
    # a + b = 0 with both withheld: both must be 0, which the attacker then knows.
    result = audit({"county": 17, "a": None, "b": None, "c": 17}, [COUNTY])
    assert sorted(r.cell for r in result.recovered) == ["a", "b"]


def test_a_chain_of_relations_is_solved_together() -> None:
    # nation = county1 + county2; county1 = a + b; county2 withheld with a. Two unknowns in each
    # relation, but county2 = 30 - 20 = 10 from the nation, then nothing else: a stays open.
    relations = [Relation("nation", ("county1", "county2")), Relation("county1", ("a", "b"))]
    cells = {"nation": 30, "county1": 20, "county2": None, "a": None, "b": None}
    result = audit(cells, relations)
    assert [r.cell for r in result.recovered] == ["county2"]


def test_relations_among_published_cells_that_do_not_add_up_are_reported() -> None:
    result = audit({"county": 21, "a": 3, "b": 9, "c": 8}, [COUNTY])
    assert result.inconsistent == (COUNTY,) and result.recovered == ()


def test_a_relation_naming_an_unpublished_cell_is_ignored() -> None:
    result = audit({"a": None, "b": 9, "c": 8}, [COUNTY])
    assert result.recovered == () and result.inconsistent == ()


def test_float_sums_that_do_not_meet_exactly_still_recover() -> None:
    cells = {"county": 0.1 + 0.2, "a": None, "b": 0.1, "c": 0.0}
    result = audit(cells, [COUNTY])
    assert [r.cell for r in result.recovered] == ["a"] and abs(result.recovered[0].low - 0.2) < 1e-6


def _publication(fct_rows: list[tuple], pll_rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A tiny publication: 4.2.6 in fct_measure_value and PLL patients in pll_usage_monthly."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.dim_measure as select '4.2.6' as measure_id, true as is_person_level_count")
    con.execute(
        "create table marts.fct_measure_value (measure_id varchar, period varchar, geography_level varchar,"
        " geography_code varchar, value double, numerator double, denominator double, n bigint,"
        " is_suppressed boolean)"
    )
    con.executemany(
        "insert into marts.fct_measure_value values ('4.2.6', '2024-01', ?, ?, ?, null, null, null, ?)", fct_rows
    )
    con.execute(
        "create table marts.pll_usage_monthly (period varchar, geography_level varchar, geography_code varchar,"
        " patients_with_pll bigint, is_suppressed boolean)"
    )
    con.executemany("insert into marts.pll_usage_monthly values ('2024-01', ?, ?, ?, ?)", pll_rows)
    return con


def test_two_tables_choosing_different_complements_give_utsira_back() -> None:
    # Rogaland (11): Utsira 1151 has 4. fct_measure_value withholds 1151 and 1144 (the nation's
    # group), pll_usage_monthly 1151 and 1145 (the county's group): each table alone holds.
    fct = [
        ("national", "0", 120, False),
        ("municipality", "1151", None, True),
        ("municipality", "1144", None, True),
        ("municipality", "1145", 6, False),
        ("municipality", "0301", 100, False),
    ]
    pll = [
        ("national", "0", 120, False),
        ("county", "11", 20, False),
        ("county", "03", 100, False),
        ("municipality", "1151", None, True),
        ("municipality", "1144", 10, False),
        ("municipality", "1145", None, True),
        ("municipality", "0301", 100, False),
    ]
    con = _publication(fct, pll)
    recovered = {r.cell[3]: round(r.low, 6) for r in audit_publications([con]).recovered}
    # Each table publishes the other's complement: 20 - 10 - 6 = 4.
    assert recovered == {"1151": 4.0}
    # The same cells withheld in both tables: nothing comes back.
    same = [
        ("national", "0", 120, False),
        ("municipality", "1151", None, True),
        ("municipality", "1144", 10, False),
        ("municipality", "1145", None, True),
        ("municipality", "0301", 100, False),
    ]
    assert audit_publications([_publication(same, pll)]).recovered == ()
