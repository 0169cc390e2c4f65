"""The caller, as API Gateway's JWT authorizer vouches for it, and the routes that need one.

API Gateway checks the token (signature, issuer, audience, expiry, scopes) before the function is
invoked and answers 401/403 itself; the function receives the token's claims in the event at
`requestContext.authorizer.jwt.claims`. The app reads the caller's subject (`sub`) from there: it
never sees, parses or logs the token itself. A protected route reached without a subject (a route
left public in API Gateway by mistake, or the app run without API Gateway) answers 401 itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

Endpoint = Callable[[Request], Awaitable[Response]]


def claims_of(event: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The JWT claims API Gateway put into a payload 2.0 event; empty when there are none."""
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    jwt = authorizer.get("jwt") if isinstance(authorizer, Mapping) else None
    claims = jwt.get("claims") if isinstance(jwt, Mapping) else None
    return claims if isinstance(claims, Mapping) else {}


def subject_of(event: Mapping[str, Any] | None) -> str | None:
    subject = claims_of(event).get("sub")
    return subject if isinstance(subject, str) and subject else None


def subject(request: Request) -> str | None:
    """The caller's subject for a handler: the verified token's `sub`, or None on a public call."""
    return subject_of(request.scope.get("aws.event"))


def claims(request: Request) -> Mapping[str, Any]:
    """Every claim of the caller's token, as API Gateway passed them (values are strings)."""
    return claims_of(request.scope.get("aws.event"))


def required(endpoint: Endpoint) -> Endpoint:
    async def protected(request: Request) -> Response:
        if subject(request) is None:
            raise HTTPException(
                401,
                "this route needs a bearer token (Authorization: Bearer <JWT>)",
                {"WWW-Authenticate": "Bearer"},
            )
        return await endpoint(request)

    return protected


def is_protected(protected_routes: Collection[str], method: str, path: str) -> bool:
    return f"{method} {path}" in protected_routes or f"ANY {path}" in protected_routes


def protect(routes: list[BaseRoute], protected_routes: Collection[str]) -> list[BaseRoute]:
    """The routes, with those listed in PROTECTED_ROUTES answering 401 to a call without a caller."""
    if not protected_routes:
        return routes
    guarded: list[BaseRoute] = []
    for route in routes:
        # HEAD comes with GET (Starlette adds it), so a protected GET route protects HEAD too.
        methods = sorted(route.methods or ()) if isinstance(route, Route) else []
        if isinstance(route, Route) and any(is_protected(protected_routes, m, route.path) for m in methods):
            route = Route(route.path, required(route.endpoint), methods=methods, name=route.name)
        guarded.append(route)
    return guarded
