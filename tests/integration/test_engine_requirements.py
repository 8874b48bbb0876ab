"""EHELSE_ENGINE=spark without what Spark needs: the Dagster code location (`make dev`) refuses to
load with the same message as `ehelse run`, before any run could reach the dbt step."""

import os
import subprocess
import sys


def test_the_code_location_names_what_spark_lacks_and_make_spark(tmp_path) -> None:
    env = {**os.environ, "EHELSE_ENGINE": "spark", "PATH": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dh")}
    env.pop("JAVA_HOME", None)
    load = [sys.executable, "-c", "import dagster_project.definitions"]
    done = subprocess.run(load, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "EHELSE_ENGINE=spark needs" in done.stderr and "a Java runtime" in done.stderr
    assert "make spark" in done.stderr
