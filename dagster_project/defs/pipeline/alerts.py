"""The run-failure sensor: every failed run of this code location (a schedule's, a sensor's,
a backfill's, `ehelse run`'s recorded in the same instance) is told by e-mail and/or
webhook (presentation/alerts.py; settings EHELSE_ALERT_*). Needs the daemon (`make dev`)."""

import dagster as dg

from dagster_project.presentation.alerts import AlertTargets, RunFailure, send_alerts


def build_failure_alert_sensor(targets: AlertTargets, warehouse: str) -> dg.SensorDefinition:
    # Running by default once a target is configured: an alarm one must remember to switch on is none.
    status = dg.DefaultSensorStatus.RUNNING if targets.enabled else dg.DefaultSensorStatus.STOPPED

    @dg.run_failure_sensor(name="alert_on_run_failure", default_status=status, monitor_all_code_locations=False)
    def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
        run = context.dagster_run
        failure = RunFailure(run.job_name, run.run_id, warehouse, context.failure_event.message or "the run failed")
        for problem in send_alerts(targets, failure):
            context.log.error(f"alert not sent: {problem}")

    return alert_on_run_failure
