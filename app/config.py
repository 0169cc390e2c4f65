"""Settings read once from the environment, with errors that say which variable is wrong."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Literal, NamedTuple

from app import __version__

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_MAX_BODY_BYTES = 256 * 1024
# An API mapping key: path segments of letters, digits, '.', '_', '-' and '~' (modules/api-gateway).
MAPPING_KEY = re.compile(r"[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*")
# An API Gateway route key the app answers 401 on without a caller: `GET /hello`.
ROUTE_KEY = re.compile(r"(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/[A-Za-z0-9._~{}+/-]*)")
PUBLIC_PATHS = ("/health", "/openapi.json")


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot run with."""


# A NamedTuple rather than a dataclass: same typed, immutable record, a fraction of the import cost.
class Settings(NamedTuple):
    version: str
    log_level: str
    log_format: Literal["json", "console"]
    max_body_bytes: int
    metrics_namespace: str
    service_name: str
    on_lambda: bool
    # The published version serving (Lambda sets AWS_LAMBDA_FUNCTION_VERSION); a metric dimension.
    function_version: str = "$LATEST"
    base_path: str = ""
    protected_routes: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        on_lambda = "AWS_LAMBDA_FUNCTION_NAME" in environ

        log_level = environ.get("LOG_LEVEL", "INFO").strip().upper()
        if log_level == "WARN":
            log_level = "WARNING"  # Lambda's own spelling of the level
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")

        # JSON wherever a machine reads the output; readable lines for a person at a terminal.
        default_format = "json" if on_lambda or not sys.stdout.isatty() else "console"
        log_format = environ.get("LOG_FORMAT", default_format).strip().lower()
        if log_format not in ("json", "console"):
            raise ConfigError(f"LOG_FORMAT must be 'json' or 'console', not {log_format!r}")

        raw_limit = environ.get("MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))
        try:
            max_body_bytes = int(raw_limit)
        except ValueError:
            raise ConfigError(f"MAX_BODY_BYTES must be a whole number of bytes, not {raw_limit!r}") from None
        if max_body_bytes < 1:
            raise ConfigError(f"MAX_BODY_BYTES must be at least 1, not {max_body_bytes}")

        return cls(
            version=environ.get("APP_VERSION") or __version__,
            log_level=log_level,
            log_format=log_format,  # type: ignore[arg-type]  # checked above
            max_body_bytes=max_body_bytes,
            metrics_namespace=environ.get("METRICS_NAMESPACE") or "LambdaApi",
            service_name=environ.get("SERVICE_NAME") or "lambda-api",
            on_lambda=on_lambda,
            function_version=environ.get("AWS_LAMBDA_FUNCTION_VERSION") or "$LATEST",
            base_path=base_path(environ.get("BASE_PATH", "")),
            protected_routes=protected_routes(environ.get("PROTECTED_ROUTES", "")),
        )


def base_path(raw: str) -> str:
    """BASE_PATH, the custom domain's API mapping key (`v1`, `/v1`), as a path prefix: `/v1` or ``."""
    key = raw.strip().strip("/")
    if key and not MAPPING_KEY.fullmatch(key):
        raise ConfigError(
            f"BASE_PATH must be an API mapping key like 'v1' or 'orders/v2' "
            f"(letters, digits, '.', '_', '-', '~' between slashes), not {raw!r}"
        )
    return f"/{key}" if key else ""


def protected_routes(raw: str) -> frozenset[str]:
    """PROTECTED_ROUTES: comma-separated route keys (`GET /hello,POST /echo`) that need a caller."""
    routes = set()
    for item in filter(None, (part.strip() for part in raw.split(","))):
        match = ROUTE_KEY.fullmatch(item)
        if match is None:
            raise ConfigError(f"PROTECTED_ROUTES entries must be route keys like 'GET /hello', not {item!r}")
        if match.group(2) in PUBLIC_PATHS:
            raise ConfigError(
                f"PROTECTED_ROUTES may not list {item!r}: {' and '.join(PUBLIC_PATHS)} stay public"
            )
        routes.add(item)
    return frozenset(routes)
