"""A failed run is told (issue 24): the run-failure sensor, given a real failed run in a real
instance, sends an e-mail to a local SMTP server (aiosmtpd) and posts to a local HTTP
receiver, both on loopback ports the system picked."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from dagster_project.defs.pipeline.alerts import build_failure_alert_sensor
from dagster_project.presentation.alerts import AlertTargets, RunFailure, send_alerts


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


@dg.op
def load_a_file() -> None:
    raise ValueError("helsenorge_bruk_2024-02.csv row 3: antall_besok is negative")


@dg.job
def ingest_monthly_feeds() -> None:
    load_a_file()


def _failed_run(instance: dg.DagsterInstance) -> tuple[dg.DagsterRun, dg.DagsterEvent]:
    result = ingest_monthly_feeds.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    [failure] = [e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"]
    return run, failure


def test_a_failed_run_is_told_by_email_and_webhook(smtp_server, webhook, dagster_instance: Path) -> None:
    port, mailbox = smtp_server
    url, posted = webhook
    targets = AlertTargets(
        smtp_host="127.0.0.1", smtp_port=port, email_to=("vakt@example.no", "data@example.no"), webhook_url=url
    )
    sensor = build_failure_alert_sensor(targets, "/srv/ehelse/warehouse")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING  # configured: on without a click
    with dg.DagsterInstance.from_config(str(dagster_instance)) as instance:
        run, failure = _failed_run(instance)
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_instance=instance, dagster_run=run, dagster_event=failure
        ).for_run_failure()
        sensor(context)

    [(sender, recipients, content)] = mailbox.messages
    assert sender == "ehelse-warehouse@localhost" and recipients == ["vakt@example.no", "data@example.no"]
    assert "Subject: [ehelse] run ingest_monthly_feeds failed (/srv/ehelse/warehouse)" in content
    assert run.run_id in content
    [payload] = posted
    assert payload["run_id"] == run.run_id and payload["job_name"] == "ingest_monthly_feeds"
    assert payload["text"].startswith("[ehelse] run ingest_monthly_feeds failed")
    assert "load_a_file" in payload["message"], payload["message"]  # Dagster's words: which step failed


def test_an_unreachable_target_is_reported_and_does_not_keep_the_other_from_being_told(webhook) -> None:
    url, posted = webhook
    targets = AlertTargets(
        smtp_host="127.0.0.1", smtp_port=_free_port(), email_to=("vakt@example.no",), webhook_url=url
    )
    problems = send_alerts(targets, RunFailure("transform_and_publish", "r1", "/w", "dbt build failed"))
    assert len(problems) == 1 and problems[0].startswith("e-mail to vakt@example.no via 127.0.0.1:"), problems
    assert [p["run_id"] for p in posted] == ["r1"]


def test_no_target_configured_sends_nothing_and_the_sensor_stays_off() -> None:
    assert not AlertTargets().enabled
    assert send_alerts(AlertTargets(), RunFailure("j", "r", "/w", "m")) == []
    assert build_failure_alert_sensor(AlertTargets(), "/w").default_status == dg.DefaultSensorStatus.STOPPED
