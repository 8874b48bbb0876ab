"""Telling people that a run failed: an e-mail over SMTP and/or a JSON POST to a webhook
(a chat channel's incoming hook, an on-call tool). Pure: the run-failure sensor
(defs/pipeline/alerts.py) passes what failed; nothing here knows Dagster."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class AlertTargets:
    """Where a failure is told (settings.py: EHELSE_ALERT_*); empty fields send nothing."""

    smtp_host: str = ""
    smtp_port: int = 25
    email_from: str = "ehelse-warehouse@localhost"
    email_to: tuple[str, ...] = ()
    webhook_url: str = ""
    timeout_seconds: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool((self.smtp_host and self.email_to) or self.webhook_url)


@dataclass(frozen=True)
class RunFailure:
    """A failed run, as the people on call need it."""

    job_name: str
    run_id: str
    warehouse: str
    message: str

    @property
    def subject(self) -> str:
        return f"[ehelse] run {self.job_name} failed ({self.warehouse})"

    @property
    def body(self) -> str:
        return (
            f"The run {self.run_id} of {self.job_name} failed on the warehouse {self.warehouse}.\n\n"
            f"{self.message}\n\n"
            "The previous publication is unchanged unless the message says otherwise; "
            "the run's steps and logs are in the Dagster UI (Runs)."
        )

    def payload(self) -> dict[str, str]:
        return {
            "text": f"{self.subject}: {self.message}",
            "job_name": self.job_name,
            "run_id": self.run_id,
            "warehouse": self.warehouse,
            "message": self.message,
        }


def send_email(targets: AlertTargets, failure: RunFailure) -> None:
    message = EmailMessage()
    message["Subject"] = failure.subject
    message["From"] = targets.email_from
    message["To"] = ", ".join(targets.email_to)
    message.set_content(failure.body)
    with smtplib.SMTP(targets.smtp_host, targets.smtp_port, timeout=targets.timeout_seconds) as smtp:
        smtp.send_message(message)


def post_webhook(targets: AlertTargets, failure: RunFailure) -> None:
    request = urllib.request.Request(
        targets.webhook_url,
        data=json.dumps(failure.payload()).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=targets.timeout_seconds) as response:  # noqa: S310 (a configured URL)
        response.read()


def send_alerts(targets: AlertTargets, failure: RunFailure) -> list[str]:
    """Tell every configured target; one target failing does not keep the other from being told.
    Returns what could not be sent, in words (the sensor logs it)."""
    problems = []
    if targets.smtp_host and targets.email_to:
        try:
            send_email(targets, failure)
        except (OSError, smtplib.SMTPException) as err:
            problems.append(f"e-mail to {', '.join(targets.email_to)} via {targets.smtp_host}: {err}")
    if targets.webhook_url:
        try:
            post_webhook(targets, failure)
        except OSError as err:  # urllib's URLError and HTTPError are OSErrors
            problems.append(f"webhook {targets.webhook_url}: {err}")
    return problems
