"""RFC 9457 problem details: the one shape of every error response."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

MEDIA_TYPE = "application/problem+json"


def problem(
    status: int, detail: str, request_id: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "request_id": request_id,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def default_detail(status: int) -> str:
    return HTTPStatus(status).description or HTTPStatus(status).phrase


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Starlette fills `detail` with the bare phrase when none is given: say something more useful.
    detail = exc.detail
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = default_detail(exc.status_code)
    headers = dict(exc.headers or {})
    if "Allow" in headers:
        # Starlette joins a set: sort it, so the header reads the same on every process.
        headers["Allow"] = ", ".join(sorted(m.strip() for m in headers["Allow"].split(",")))
    return problem(exc.status_code, detail, request.state.request_id, headers)
