"""The HMAC written as a DuckDB expression equals Python's hmac for any key length."""

import duckdb
import pytest

from dagster_project.feeds.pseudonym import hmac_pads, hmac_sha256_sql, pseudonymise


@pytest.mark.parametrize("key", [b"k", b"a-typical-secret-key", b"x" * 64, b"a key longer than the block " * 4])
def test_hmac_in_sql_equals_python_hmac(key: bytes) -> None:
    values = ["01010112345", "12345", "", "æøå", "9" * 40]
    con = duckdb.connect()
    con.execute("create table v as select unnest(?) as value", [values])
    rows = con.execute(f"select value, {hmac_sha256_sql('value')} from v", hmac_pads(key)).fetchall()
    assert {v: p for v, p in rows} == {v: pseudonymise(v, key) for v in values}
    assert con.execute(f"select {hmac_sha256_sql('null')}", hmac_pads(key)).fetchall() == [(None,)]
