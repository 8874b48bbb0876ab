"""Schedules, per ingestion grain: monthly feeds arrive in the first days of the next
month, so the month that just ended is loaded on the 5th and published an hour later.
Daily lookup logs are picked up by the inbox sensor as they land.

The monthly partitions end one month ahead (a file may arrive for the running month),
so the schedule names the month it loads rather than taking the newest partition."""

from datetime import timedelta

import dagster as dg

from dagster_project.defs.pipeline.jobs import Jobs


def _previous_month_schedule(job) -> dg.ScheduleDefinition:
    @dg.schedule(name="monthly_feeds_on_the_5th", job=job, cron_schedule="0 6 5 * *", execution_timezone="Europe/Oslo")
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        month = (context.scheduled_execution_time.date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        return dg.RunRequest(run_key=month, partition_key=month)

    return _schedule


_SCHEDULE_FOR_GRAIN = {"month": _previous_month_schedule}


def build_schedules(jobs: Jobs) -> list[dg.ScheduleDefinition]:
    ingestion = [
        factory(jobs.ingestion[grain]) for grain, factory in _SCHEDULE_FOR_GRAIN.items() if grain in jobs.ingestion
    ]
    publication = dg.ScheduleDefinition(
        name="publish_on_the_5th",
        job=jobs.transform_and_publish,
        cron_schedule="0 7 5 * *",
        execution_timezone="Europe/Oslo",
    )
    return [*ingestion, publication]
