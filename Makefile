# Two commands a new user needs: `make demo` and `make test`.
# Everything installs into .venv from constraints.txt (the lock).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
# Paths and every other setting default in one place, dagster_project/settings.py
# (data/inbox and data/warehouse under the directory make runs in), overridden by EHELSE_*.

.PHONY: demo test test-fast dev docs lint bench install clean browser postgres duckdb1 evidence java spark spark-cluster spark-cluster-down

# Reinstall only when the dependency files change: later runs reuse the venv.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# A DuckDB 1.x client beside the project's 2.x, for the test that opens published.duckdb as
# BI tools on DuckDB 1.x do (Evidence bundles 1.4.2). Its own venv: the two cannot share one.
# With Superset's own SQLAlchemy driver pins (apache-superset[duckdb]: duckdb-engine 0.12,
# SQLAlchemy 1.4) for the test of docs/bi.md's Superset path.
DUCKDB1_VENV := .venv-duckdb1
DUCKDB1_STAMP := $(DUCKDB1_VENV)/.installed-superset
$(DUCKDB1_STAMP):
	test -x $(DUCKDB1_VENV)/bin/python || $(PYTHON) -m venv $(DUCKDB1_VENV)
	$(DUCKDB1_VENV)/bin/python -m pip install --quiet "duckdb==1.4.2" "duckdb-engine==0.12.1" "sqlalchemy==1.4.54"
	touch $(DUCKDB1_STAMP)

duckdb1: $(DUCKDB1_STAMP)

# Evidence's DuckDB source connector (npm), for the test that runs the docs/bi.md recipe.
# Node from Debian when missing and possible; otherwise that test is skipped (not in CI).
EVIDENCE_DIR := tests/evidence
evidence:
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm not installed: the Evidence test will be skipped"; fi; }
	@if command -v npm >/dev/null 2>&1 && [ ! -d $(EVIDENCE_DIR)/node_modules/@evidence-dev/duckdb ]; then \
	  cd $(EVIDENCE_DIR) && npm install --no-package-lock --no-audit --no-fund --silent; fi

# The spark extra (dbt-spark, pyspark) for EHELSE_ENGINE=spark and its test; not needed by the demo.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,spark]"
	touch $(SPARK_STAMP)

## spark: what EHELSE_ENGINE=spark needs (the spark extra and a Java runtime); `ehelse run` names what is missing
spark: $(SPARK_STAMP) java

## spark-cluster: a Spark master, worker and SQL server on loopback for the warehouse
## (EHELSE_WAREHOUSE_DIR); prints EHELSE_SPARK_URL=... for EHELSE_ENGINE=spark (docs/scale-out.md)
spark-cluster: $(SPARK_STAMP)
	$(BIN)/python scripts/spark_cluster.py up

## spark-cluster-down: stop exactly the processes `make spark-cluster` started
spark-cluster-down: $(SPARK_STAMP)
	$(BIN)/python scripts/spark_cluster.py down

## demo: install, write a synthetic inbox, run ingest -> dbt build -> gate -> publish, print status
demo: $(STAMP)
	$(BIN)/ehelse demo-data
	$(BIN)/ehelse run
	$(BIN)/ehelse status

# The report test drives headless Chromium (Debian's package). Installed when
# missing and possible (root with apt); otherwise that one test is skipped,
# unless EHELSE_REQUIRE_BROWSER=1 (CI) makes a missing browser a failure.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed: the browser test will be skipped"; fi; }

# The PostgreSQL publication test starts a server on loopback (Debian's
# postgresql). Installed when missing and possible; otherwise skipped, unless
# EHELSE_REQUIRE_POSTGRES=1 (CI).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "postgresql not installed: the PostgreSQL test will be skipped"; fi; }

# The Spark equality test runs dbt-spark in local mode on a JVM (Debian's
# openjdk-17-jre-headless, or the default JRE where 17 is gone). Installed when
# missing and possible; otherwise skipped, unless EHELSE_REQUIRE_SPARK=1 (CI).
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null \
	      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }; \
	  else echo "java not installed: the Spark test will be skipped"; fi; }

## test: install, lint, and run the whole test suite on every core (pytest-xdist; see docs/decisions.md)
# loadfile: a file is what a worker gets (one module fixture's full run, not one per worker);
# --no-loadscope-reorder keeps conftest's order (slow tests first, the longest first).
test: $(STAMP) $(SPARK_STAMP) browser postgres java duckdb1 evidence lint
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

## test-fast: the unit tier only (pure functions, small frames; under 3 minutes), for iteration
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q

## dev: the Dagster UI on the same definitions (http://127.0.0.1:3000)
dev: $(STAMP)
	-$(BIN)/ehelse migrate  # a warehouse of the earlier layout, once (a run in progress: skipped)
	DAGSTER_HOME="$(CURDIR)/dagster_home" $(BIN)/dagster dev -w workspace.yaml

## docs: the dbt data dictionary (dbt docs generate) into dbt_project/target
docs: $(STAMP)
	$(BIN)/ehelse dbt docs generate

## bench: the benchmarks (figures printed, not timed tests); see docs/performance.md
# national_year.py writes a 13-month national fixture (~3 GB, ~10 min) into data/bench once.
bench: $(STAMP) $(SPARK_STAMP)
	$(BIN)/python benchmarks/ingest_kjernejournal.py
	$(BIN)/python benchmarks/national_year.py
	$(BIN)/python benchmarks/demo_run.py
	$(BIN)/python benchmarks/open_data_load.py --warehouse data/bench/demo/warehouse
	$(BIN)/python benchmarks/daily_run.py
	$(BIN)/python benchmarks/spark_cluster.py

# sqlfluff's dbt templater compiles the models with the vars of .sqlfluff (a scratch
# warehouse under dbt_project/target), so lint needs no data and never touches data/.
lint: $(STAMP)
	$(BIN)/ruff check dagster_project tests scripts benchmarks
	$(BIN)/ruff format --check dagster_project tests scripts benchmarks
	mkdir -p dbt_project/target/sqlfluff
	$(BIN)/sqlfluff lint dbt_project/models
	$(BIN)/python scripts/check_portability.py

clean:
	rm -rf data dbt_project/target dbt_project/logs
