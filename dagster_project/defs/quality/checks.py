"""Great Expectations suites as blocking asset checks on the assets they guard.

A failed `error` expectation blocks everything downstream, the publication
included; a failed `warn` expectation (or an `error` a steward accepted) is
reported and publishes. Every result also lands in audit.check_results.
"""

import dagster as dg

from dagster_project.gate import quality
from dagster_project.resources import WarehouseResource
from dagster_project.resources.great_expectations import GreatExpectationsResource
from dagster_project.warehouse.faults import resource_guard


def _result(outcome: quality.SuiteOutcome) -> dg.AssetCheckResult:
    failed = [o for o in outcome.outcomes if not o.passed]
    blocking = outcome.blocking_failures
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        description="; ".join(
            f"{o.check_name} ({'accepted' if o.accepted else o.severity}): {o.failing_rows} failing row(s)"
            f" {o.row_keys[:5]}"
            for o in failed
        )
        or "all expectations passed",
        metadata={
            "expectations": len(outcome.outcomes),
            "failed": dg.MetadataValue.json(
                [
                    {
                        "check": o.check_name,
                        "severity": o.severity,
                        "rule": o.rule,
                        "failing_rows": o.failing_rows,
                        "row_keys": o.row_keys[:10],
                        "accepted_by": sorted({a.accepted_by for a in o.accepted}),
                    }
                    for o in failed
                ]
            ),
            "data_docs": dg.MetadataValue.path(outcome.data_docs or ""),
        },
    )


def _gx_check(suite: quality.Suite, pool: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(suite.asset_path),
        name=f"gx_{suite.name}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite.name}.json on the batch {suite.name}.sql",
        pool=pool,
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        great_expectations: GreatExpectationsResource,
    ) -> dg.AssetCheckResult:
        try:
            # A full disk or memory while validating is a fault, not a verdict of the gate.
            with resource_guard(f"{warehouse.paths.root} (quality gate)"):
                outcome = great_expectations.validate(suite, warehouse, context.op_execution_context.run_id)
        except quality.AcceptanceFileInvalid as err:
            return dg.AssetCheckResult(
                passed=False, severity=dg.AssetCheckSeverity.ERROR, description=f"acceptance file invalid: {err}"
            )
        for o in outcome.outcomes:
            if not o.passed:
                log = context.log.error if o.severity == "error" else context.log.warning
                accepted = "".join(f" (accepted by {a.accepted_by}: {a.reason})" for a in o.accepted)
                log(f"{o.check_name} failed on {o.failing_rows} row(s) {o.row_keys[:5]}{accepted}: {o.description}")
        return _result(outcome)

    return _check


def gx_checks(pool: str) -> list[dg.AssetChecksDefinition]:
    """One blocking check per suite, in the writer pool of the warehouse it validates."""
    return [_gx_check(suite, pool) for suite in quality.load_suites()]
