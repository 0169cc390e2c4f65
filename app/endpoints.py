"""The three operations of the API. Errors are raised as HTTPException and rendered as problems."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

NAME = re.compile(r"[A-Za-z0-9 ._-]{1,64}")
# Deeper documents are refused: nothing legitimate nests this far, and parsers pay for depth.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON nesting is deeper than {MAX_JSON_DEPTH} levels"


async def hello(request: Request) -> Response:
    names = request.query_params.getlist("name")
    if len(names) > 1:
        raise HTTPException(422, "query parameter 'name' may be given at most once")
    if names and not NAME.fullmatch(names[0]):
        raise HTTPException(
            422, "query parameter 'name' must be 1-64 characters: letters, digits, space, '-', '_' or '.'"
        )
    return JSONResponse({"message": f"Hello, {names[0] if names else 'World'}!"})


def is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media_type, *params = (part.strip().lower() for part in content_type.split(";"))
    charset = next((p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")), "utf-8")
    return media_type == "application/json" and charset == "utf-8"


def depth(value: Any) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # json.loads accepts NaN and Infinity; RFC 8259 does not


async def echo(request: Request) -> Response:
    body = await request.body()
    if not body:
        raise HTTPException(400, "request body is empty: send a JSON value")
    if not is_json(request.headers.get("content-type")):
        raise HTTPException(415, "request body must be sent as 'application/json' (UTF-8)")
    try:
        # Integers stay text: the body goes back as sent, and int() refuses over 4300 digits.
        value = json.loads(body.decode("utf-8"), parse_constant=reject_constant, parse_int=str)
    except UnicodeDecodeError:
        raise HTTPException(400, "request body is not valid UTF-8") from None
    except RecursionError:
        raise HTTPException(400, TOO_DEEP) from None  # the parser gives up far past the limit
    except ValueError:
        raise HTTPException(400, "request body is not valid JSON") from None
    # Depth cannot exceed the number of opening brackets: most bodies skip the walk.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and depth(value) > MAX_JSON_DEPTH:
        raise HTTPException(400, TOO_DEEP)
    # The bytes as received: the same value, with numbers and unicode exactly as the client wrote them.
    return Response(body, media_type="application/json")


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": request.app.state.version})


async def openapi(request: Request) -> Response:
    # Where this request found the API: `/v1` under a custom domain's mapping key, else the root.
    server = {"url": request.scope.get("root_path") or "/"}
    return JSONResponse({**request.app.state.openapi, "servers": [server]})
