"""Settings from the environment: defaults, accepted spellings, and clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app import __version__
from app.config import DEFAULT_MAX_BODY_BYTES, ConfigError, Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.version == __version__
    assert settings.log_level == "INFO"
    assert settings.max_body_bytes == DEFAULT_MAX_BODY_BYTES == 262144
    assert settings.metrics_namespace == "LambdaApi"
    assert settings.service_name == "lambda-api"
    assert settings.on_lambda is False


def test_values_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "APP_VERSION": "2026.11.29-abc1234",
            "LOG_LEVEL": "warn",
            "LOG_FORMAT": "JSON",
            "MAX_BODY_BYTES": "1024",
            "METRICS_NAMESPACE": "Shop",
            "SERVICE_NAME": "shop-api",
            "AWS_LAMBDA_FUNCTION_NAME": "shop-api",
        }
    )
    assert settings.version == "2026.11.29-abc1234"
    assert settings.log_level == "WARNING"
    assert settings.log_format == "json"
    assert settings.max_body_bytes == 1024
    assert settings.metrics_namespace == "Shop"
    assert settings.service_name == "shop-api"
    assert settings.on_lambda is True


def test_json_is_the_default_on_lambda_and_off_a_terminal() -> None:
    assert Settings.from_env({"AWS_LAMBDA_FUNCTION_NAME": "f"}).log_format == "json"
    assert Settings.from_env({}).log_format == "json"  # pytest's stdout is not a terminal


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be 'json' or 'console'"),
        ({"MAX_BODY_BYTES": "256k"}, "MAX_BODY_BYTES must be a whole number"),
        ({"MAX_BODY_BYTES": "0"}, "MAX_BODY_BYTES must be at least 1"),
        ({"MAX_BODY_BYTES": "-5"}, "MAX_BODY_BYTES must be at least 1"),
        ({"BASE_PATH": "v1//x"}, "BASE_PATH must be an API mapping key"),
        ({"BASE_PATH": "v 1"}, "BASE_PATH must be an API mapping key"),
        ({"BASE_PATH": "v1?x=1"}, "BASE_PATH must be an API mapping key"),
        ({"PROTECTED_ROUTES": "/hello"}, "route keys like 'GET /hello'"),
        ({"PROTECTED_ROUTES": "get /hello"}, "route keys like 'GET /hello'"),
        ({"PROTECTED_ROUTES": "GET /health"}, "/health and /openapi.json stay public"),
        ({"PROTECTED_ROUTES": "GET /hello,ANY /openapi.json"}, "stay public"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(environ)


def test_a_smaller_body_limit_applies(tmp_path: object) -> None:
    from app.main import create_app
    from tests.app.transports import Asgi

    call = Asgi(create_app(Settings.from_env({"MAX_BODY_BYTES": "8"})))
    assert call("POST", "/echo", headers={"content-type": "application/json"}, body=b'"123456"').status == 200
    too_big = call("POST", "/echo", headers={"content-type": "application/json"}, body=b'"1234567"')
    assert too_big.status == 413
    assert too_big.json()["detail"] == "request body is larger than 8 bytes"


def test_a_body_streamed_past_the_limit_without_content_length_is_refused() -> None:
    from app.main import create_app
    from tests.app.transports import drive, http_scope

    application = create_app(Settings.from_env({"MAX_BODY_BYTES": "8"}))
    chunks = [b'"1234', b"5678", b'9"']

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    sent = drive(application, http_scope("POST", "/echo", headers=headers), receive)
    assert sent[0]["status"] == 413


def test_the_app_refuses_to_start_with_a_bad_setting() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MAX_BODY_BYTES": "lots"},
    )
    assert completed.returncode != 0
    assert "MAX_BODY_BYTES must be a whole number of bytes, not 'lots'" in completed.stderr


def test_python_m_app_help_and_bad_arguments() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "--host" in help_text
    assert "--port" in help_text
    bad = subprocess.run(
        [sys.executable, "-m", "app", "--port", "eighty"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    assert "invalid int value" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", ""), ("v1", "/v1"), ("/v1", "/v1"), ("/v1/", "/v1"), ("orders/v2", "/orders/v2"), ("  ", "")],
)
def test_base_path_is_the_mapping_key_as_a_prefix(raw: str, expected: str) -> None:
    assert Settings.from_env({"BASE_PATH": raw}).base_path == expected


def test_protected_routes_are_route_keys() -> None:
    settings = Settings.from_env({"PROTECTED_ROUTES": "GET /hello, POST /echo,,"})
    assert settings.protected_routes == {"GET /hello", "POST /echo"}
    assert Settings.from_env({}).protected_routes == frozenset()
