"""Where the data lives: the raw zone of open Parquet files with its append-only
ledger (raw_zone.py, ledger.py) and the working DuckDB database that holds only
dbt's models and the audit tables (working_db.py)."""
