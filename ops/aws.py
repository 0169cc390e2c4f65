"""boto3 clients, and AWS errors turned into one readable line.

Clients follow the standard boto3 configuration: the credentials chain, AWS_DEFAULT_REGION (or
AWS_REGION), and AWS_ENDPOINT_URL (how the tests point them at the emulator).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from ops import OpsError

CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=30
)
# (event, handler) pairs registered on every client this module makes: how tools/rehearse sees each
# call `ops` makes, to judge it as IAM would. Empty in normal use.
EVENT_HANDLERS: list[tuple[str, Callable[..., Any]]] = []


def client(service: str, attempts: int = 5) -> Any:
    """A client; `attempts=1` for calls whose failures must be seen, not retried away."""
    session = boto3.session.Session()
    # boto3 reads only AWS_DEFAULT_REGION; CI actions and the Lambda runtime also set AWS_REGION.
    region = session.region_name or os.environ.get("AWS_REGION") or None
    config = CONFIG.merge(botocore.config.Config(retries={"mode": "standard", "max_attempts": attempts}))
    with errors(f"creating a {service} client"):
        made = session.client(service, region_name=region, config=config)  # type: ignore[call-overload]
    for event, handler in EVENT_HANDLERS:
        made.meta.events.register(event, handler)
    return made


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def errors(doing: str) -> Iterator[None]:
    """Re-raise any SDK failure as OpsError; handle the codes you expect inside the block first."""
    try:
        yield
    except botocore.exceptions.NoCredentialsError:
        raise OpsError(
            f"{doing}: no AWS credentials found "
            "(set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    except botocore.exceptions.NoRegionError:
        raise OpsError(f"{doing}: no AWS region configured (set AWS_REGION or AWS_DEFAULT_REGION)") from None
    except botocore.exceptions.ProfileNotFound as exc:
        raise OpsError(f"{doing}: {exc}") from None
    except botocore.exceptions.EndpointConnectionError as exc:
        raise OpsError(f"{doing}: cannot reach the AWS endpoint {exc.kwargs.get('endpoint_url')}") from None
    except botocore.exceptions.ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", "")
        raise OpsError(f"{doing}: {error_code(exc)}: {message}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise OpsError(f"{doing}: {exc}") from None
