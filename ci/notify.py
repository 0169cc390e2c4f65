"""`python -m ci.notify --title T --message-file F`: tell people a deploy failed, if anyone asked.

Channels, each used only when configured (silent otherwise, exit 0):
- NOTIFY_WEBHOOK_URL (a repository secret): a Slack-compatible incoming webhook, JSON {"text": ...};
- NOTIFY_SNS_TOPIC_ARN (a variable): an SNS topic, published with the job's AWS credentials
  (for example the monitoring module's sns_topic_arn, which already reaches the on-call people).
The webhook URL is a secret: it is never printed, not even in errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ci.markdown import run_url

SNS_SUBJECT_LIMIT = 100


def post_webhook(url: str, text: str) -> None:
    if not url.startswith(("https://", "http://127.0.0.1")):
        raise ValueError("NOTIFY_WEBHOOK_URL must be an https URL")
    request = urllib.request.Request(  # noqa: S310 (https only, checked above)
        url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"the webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"the webhook could not be reached ({type(exc).__name__})") from None


def publish_sns(topic_arn: str, subject: str, text: str) -> None:
    import boto3  # only the deploy jobs, which have it, configure a topic

    # SNS subjects: ASCII, no line breaks, at most 100 characters.
    clean = "".join(c if c.isascii() and c.isprintable() else " " for c in subject)[:SNS_SUBJECT_LIMIT]
    boto3.client("sns").publish(TopicArn=topic_arn, Subject=clean, Message=text)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.notify", description=__doc__.splitlines()[0])
    parser.add_argument("--title", required=True)
    parser.add_argument("--message-file", type=Path, help="details (e.g. the job summary); optional")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    webhook = os.environ.get("NOTIFY_WEBHOOK_URL", "").strip()
    topic = os.environ.get("NOTIFY_SNS_TOPIC_ARN", "").strip()
    if not webhook and not topic:
        print("notify: no NOTIFY_WEBHOOK_URL or NOTIFY_SNS_TOPIC_ARN configured; nothing sent")
        return 0
    details = args.message_file.read_text()[:3000] if args.message_file and args.message_file.exists() else ""
    url = run_url()
    text = "\n\n".join(part for part in (args.title, details, f"Run: {url}" if url else "") if part)
    failures = 0
    senders: tuple[tuple[str, Callable[[], None]], ...] = (
        ("webhook", lambda: post_webhook(webhook, text)),
        ("SNS", lambda: publish_sns(topic, args.title, text)),
    )
    for name, send in senders:
        if (name == "webhook" and not webhook) or (name == "SNS" and not topic):
            continue
        try:
            send()
            print(f"notify: sent to {name}")
        except Exception as exc:  # one line, never a traceback: the job has already failed
            failures += 1
            print(f"notify: {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
