"""The one small Great Expectations resource: loads the suites of
expectations/, runs a suite's batch against the working database, applies the
stewards' acceptances and records every result in audit.check_results.

(dagster-ge pins GX < 1, so this wrapper is our own; GX's SQL data source
fails on DuckDB with the pinned versions, so batches are pandas frames.)
"""

from pathlib import Path

import dagster as dg

from dagster_project.gate import quality
from dagster_project.resources import WarehouseResource
from dagster_project.settings import EXPECTATIONS_DIR
from dagster_project.warehouse import working_db


class GreatExpectationsResource(dg.ConfigurableResource):
    expectations_dir: str = str(EXPECTATIONS_DIR)
    acceptances_file: str  # the stewards' acceptance file (Settings.acceptances)

    @property
    def acceptances_path(self) -> Path:
        return Path(self.acceptances_file)

    def suites(self) -> list[quality.Suite]:
        return quality.load_suites(Path(self.expectations_dir))

    def acceptances(self) -> list[quality.Acceptance]:
        return quality.load_acceptances(self.acceptances_path, quality.known_check_names(self.suites()))

    def validate(self, suite: quality.Suite, warehouse: WarehouseResource, run_id: str | None) -> quality.SuiteOutcome:
        acceptances = self.acceptances()
        with warehouse.connect() as con:
            frame = quality.batch_frame(con, suite)
            outcome = quality.validate_suite(suite, frame, acceptances, warehouse.paths.root)
            working_db.ensure_audit(warehouse.paths, con)
            quality.record_outcome(con, outcome, run_id)
        return outcome
