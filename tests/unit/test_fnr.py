import numpy as np
import pytest

from dagster_project.demo.demo_data import make_fnr
from dagster_project.feeds.fnr import control_digits, is_valid_fnr


def mod11_by_hand(first_nine: str) -> str | None:
    """The published algorithm written out once more, independently of fnr.py."""
    d = [int(c) for c in first_nine]
    k1 = 11 - (3 * d[0] + 7 * d[1] + 6 * d[2] + 1 * d[3] + 8 * d[4] + 9 * d[5] + 4 * d[6] + 5 * d[7] + 2 * d[8]) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return None
    d.append(k1)
    k2 = (
        11
        - (5 * d[0] + 4 * d[1] + 3 * d[2] + 2 * d[3] + 7 * d[4] + 6 * d[5] + 5 * d[6] + 4 * d[7] + 3 * d[8] + 2 * d[9])
        % 11
    )
    k2 = 0 if k2 == 11 else k2
    return None if k2 == 10 else f"{k1}{k2}"


@pytest.mark.parametrize("first_nine", ["010101123", "311299456", "450375321", "123456789", "000000000"])
def test_control_digits_match_the_algorithm(first_nine: str) -> None:
    assert control_digits(first_nine) == mod11_by_hand(first_nine)


def test_generated_numbers_are_valid_and_a_changed_digit_is_not() -> None:
    rng = np.random.default_rng(7)
    for d_number in (False, True):
        for _ in range(200):
            fnr = make_fnr(rng, d_number)
            assert is_valid_fnr(fnr), fnr
            assert (int(fnr[:2]) > 40) == d_number
            broken = fnr[:10] + str((int(fnr[10]) + 1) % 10)
            assert not is_valid_fnr(broken)


@pytest.mark.parametrize("value", [None, "", "1234567890", "123456789012", "0101011234a"])
def test_malformed_values_are_invalid(value: str | None) -> None:
    assert not is_valid_fnr(value)


def test_the_sql_check_agrees_with_the_python_check_on_valid_invalid_and_malformed_values() -> None:
    import duckdb

    from dagster_project.feeds.fnr import fnr_number_sql, valid_fnr_sql

    rng = np.random.default_rng(11)
    values = [make_fnr(rng, d_number=i % 7 == 0) for i in range(300)]
    values += [v[:10] + str((int(v[10]) + 3) % 10) for v in values[:100]]  # wrong second control digit
    values += [f"{n:011d}" for n in rng.integers(0, 10**11, 300)]  # random 11-digit strings, mostly invalid
    values += ["", "1234567890", "123456789012", "0101011234a", None]
    values += ["00000000000", "+1234567890", "-1234567890", "1234567890 "]  # leading zeros; signs and blanks
    con = duckdb.connect()
    con.execute("create table v (value varchar)")
    con.executemany("insert into v values (?)", [[v] for v in values])
    inline = valid_fnr_sql("value")
    precomputed = valid_fnr_sql("value", "number")  # as ingestion uses it
    rows = con.execute(
        f"select value, {inline}, {precomputed} from (select value, {fnr_number_sql('value')} as number from v)"
    ).fetchall()
    assert all(a == b for _, a, b in rows)
    from_sql = {value: ok for value, ok, _ in rows if value is not None}
    assert all(ok is False for value, ok, _ in rows if value is None)
    assert {v: is_valid_fnr(v) for v in values if v is not None} == from_sql
    assert sum(from_sql.values()) >= 300
