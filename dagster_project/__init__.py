"""ehelse-warehouse: Dagster code location."""
