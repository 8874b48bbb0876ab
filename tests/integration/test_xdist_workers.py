"""The suite runs in pytest-xdist workers (`make test`): what a worker's process must allow."""


def test_great_expectations_imports_its_pyspark_compatibility_in_a_worker() -> None:
    """With the spark extra installed, GX imports pyspark.sql.connect, which calls sys.exit(0) in a
    process whose __main__ has no file (an xdist worker, before conftest's pytest_configure gave it
    one): every GX step of a run failed "SystemExit: 0". Fails that way under `pytest -n 2`
    without the fix; in one process (no xdist) it cannot fail."""
    import great_expectations.compatibility.pyspark as compatibility

    assert compatibility.SPARK_NOT_IMPORTED is not None
