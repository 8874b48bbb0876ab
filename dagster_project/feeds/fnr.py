"""Norwegian fødselsnummer / D-nummer: mod-11 control digits.

Only the check digits are validated here (the rule of the input contract);
whether the first six digits form a real date is not, because D-numbers and
synthetic test numbers shift the day and month fields.
"""

from __future__ import annotations

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 control digit for `digits`, or None when the number is impossible (remainder 1)."""
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if remainder == 11:
        return 0
    if remainder == 10:
        return None
    return remainder


def control_digits(first_nine: str) -> str | None:
    """The two control digits for the first nine digits, or None if no valid number exists."""
    k1 = _control_digit(first_nine, _K1_WEIGHTS)
    if k1 is None:
        return None
    k2 = _control_digit(first_nine + str(k1), _K2_WEIGHTS)
    if k2 is None:
        return None
    return f"{k1}{k2}"


def is_valid_fnr(value: str | None) -> bool:
    """True when value is 11 digits whose two last digits are its mod-11 control digits."""
    if value is None or len(value) != 11 or not value.isdigit():
        return False
    return control_digits(value[:9]) == value[9:]


def _digit_sql(number: str, position: int) -> str:
    """Digit `position` (0 = leftmost) of an 11-digit number held as an integer."""
    return f"(({number} // {10 ** (10 - position)}) % 10)"


def _control_digit_sql(number: str, weights: tuple[int, ...]) -> str:
    """SQL for the control digit: 11 - sum % 11, where 11 means 0 and 10 means no valid number."""
    weighted_sum = " + ".join(f"{w} * {_digit_sql(number, i)}" for i, w in enumerate(weights))
    return f"(11 - ({weighted_sum}) % 11) % 11"


def fnr_number_sql(column: str) -> str:
    """The fødselsnummer as a BIGINT, for valid_fnr_sql's `number` (NULL when not a number)."""
    return f"try_cast({column} as bigint)"


def valid_fnr_sql(column: str, number: str | None = None) -> str:
    """A DuckDB boolean expression equal to is_valid_fnr(column), vectorised over a whole column.

    The digits come from the number as a BIGINT by integer division, not from 19
    one-character substrings cast one by one: half the cost per value (the check
    runs on every distinct patient of 200 000 lookups a day). Pass `number`, a
    column holding fnr_number_sql(column) computed once in a subquery: DuckDB
    would evaluate the cast again at each of its 20 uses.
    """
    number = number or fnr_number_sql(column)
    return (
        f"coalesce(regexp_full_match({column}, '[0-9]{{11}}')"
        f" and {_control_digit_sql(number, _K1_WEIGHTS)} = {_digit_sql(number, 9)}"
        f" and {_control_digit_sql(number, _K2_WEIGHTS)} = {_digit_sql(number, 10)}, false)"
    )
