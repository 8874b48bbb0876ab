"""The one small Great Expectations resource: loads the suites of
expectations/, runs a suite's batch against the working database, applies the
stewards' acceptances and records every result in audit.check_results.

(dagster-ge pins GX < 1, so this wrapper is our own; GX's SQL data source
fails on DuckDB with the pinned versions, so batches are pandas frames.)
"""

import os
from pathlib import Path

import dagster as dg

from dagster_project.lib import quality
from dagster_project.lib.settings import ACCEPTANCES_ENV_VAR, EXPECTATIONS_DIR
from dagster_project.resources import WarehouseResource


class GreatExpectationsResource(dg.ConfigurableResource):
    expectations_dir: str = str(EXPECTATIONS_DIR)
    # Empty: EHELSE_ACCEPTANCES if set, else <expectations_dir>/acceptances.csv. Read at run
    # time rather than through EnvVar, which cannot express an optional variable.
    acceptances_file: str = ""

    @property
    def acceptances_path(self) -> Path:
        configured = self.acceptances_file or os.environ.get(ACCEPTANCES_ENV_VAR, "")
        return Path(configured) if configured else Path(self.expectations_dir) / "acceptances.csv"

    def suites(self) -> list[quality.Suite]:
        return quality.load_suites(Path(self.expectations_dir))

    def acceptances(self) -> list[quality.Acceptance]:
        return quality.load_acceptances(self.acceptances_path, quality.known_check_names(self.suites()))

    def validate(self, suite: quality.Suite, warehouse: WarehouseResource, run_id: str | None) -> quality.SuiteOutcome:
        acceptances = self.acceptances()
        with warehouse.connect() as con:
            frame = quality.batch_frame(con, suite)
            outcome = quality.validate_suite(suite, frame, acceptances, warehouse.paths.root)
            quality.ensure_audit(con)
            quality.record_outcome(con, outcome, run_id)
        return outcome
