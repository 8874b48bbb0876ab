"""`make spark-cluster` / `make spark-cluster-down`: a Spark master, worker and SQL server on
loopback for the warehouse of the settings (EHELSE_WAREHOUSE_DIR); see
dagster_project/warehouse/spark_cluster.py.

    python scripts/spark_cluster.py up|down|status
"""

from __future__ import annotations

import sys

from dagster_project.settings import Settings
from dagster_project.warehouse.spark_cluster import main

if __name__ == "__main__":
    sys.exit(main(Settings.from_env().warehouse_dir, sys.argv[1:]))
