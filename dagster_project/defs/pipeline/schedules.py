import dagster as dg

from dagster_project.defs.pipeline.jobs import ingest_monthly_feeds, transform_and_publish

# Monthly feeds arrive in the first days of the next month: load the month
# that just ended on the 5th, then rebuild and publish an hour later.
monthly_ingestion_schedule = dg.build_schedule_from_partitioned_job(
    ingest_monthly_feeds, day_of_month=5, hour_of_day=6, name="monthly_feeds_on_the_5th"
)

monthly_publication_schedule = dg.ScheduleDefinition(
    name="publish_on_the_5th",
    job=transform_and_publish,
    cron_schedule="0 7 5 * *",
    execution_timezone="Europe/Oslo",
)
