"""ci.notify: silent without a channel; a webhook (loopback stand-in) and an SNS topic (moto)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from ci import notify

SECRET_PATH = "/services/T000/B000/very-secret-token"  # noqa: S105 (a fake)


@pytest.fixture(autouse=True)
def no_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTIFY_WEBHOOK_URL", "NOTIFY_SNS_TOPIC_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "example-org/lambda-api")
    monkeypatch.setenv("GITHUB_RUN_ID", "9")


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    received: list[dict[str, Any]] = []
    status = [200]

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(status[0])
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}", received, status
    server.shutdown()


def test_nothing_configured_sends_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert notify.main(["--title", "Deploy to dev failed"]) == 0
    assert "nothing sent" in capsys.readouterr().out


def test_webhook_gets_title_details_and_run(
    webhook: tuple[str, list[dict[str, Any]], list[int]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url, received, _ = webhook
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", url)
    details = tmp_path / "summary.md"
    details.write_text("### ❌ Deploy to `dev` failed at smoke")
    assert notify.main(["--title", "Deploy to dev failed", "--message-file", str(details)]) == 0
    (message,) = received
    assert message["text"].splitlines()[0] == "Deploy to dev failed"
    assert "failed at smoke" in message["text"]
    assert message["text"].endswith("Run: https://github.com/example-org/lambda-api/actions/runs/9")


def test_a_failing_webhook_is_one_line_without_the_secret_url(
    webhook: tuple[str, list[dict[str, Any]], list[int]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _, status = webhook
    status[0] = 500
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", url)
    assert notify.main(["--title", "x"]) == 1
    err = capsys.readouterr().err
    assert "webhook failed" in err
    assert "HTTP 500" in err
    assert SECRET_PATH not in err
    assert "secret" not in err
    assert len(err.strip().splitlines()) == 1
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", "http://hooks.example.com" + SECRET_PATH)
    assert notify.main(["--title", "x"]) == 1
    err = capsys.readouterr().err
    assert "must be an https URL" in err
    assert SECRET_PATH not in err


@pytest.mark.emulator
def test_sns_topic_gets_the_notice(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="lambda-api-ci-notify")["TopicArn"]
    queue = sqs.create_queue(QueueName="lambda-api-ci-notify")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("NOTIFY_SNS_TOPIC_ARN", topic)
    assert notify.main(["--title", "Deploy to prod failed — rolled back\n(second line)"]) == 0
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Subject"] == "Deploy to prod failed   rolled back (second line)"  # ASCII, one line
    assert envelope["Message"].startswith("Deploy to prod failed — rolled back")


@pytest.mark.emulator
def test_an_sns_error_is_reported(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFY_SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:does-not-exist")
    assert notify.main(["--title", "x"]) == 1
    assert "SNS failed" in capsys.readouterr().err
