"""Serving under a custom domain's API mapping key (BASE_PATH), and at the API's own endpoint too.

API Gateway routes `https://api.example.com/v1/hello` to the route `GET /hello` of the API mapped at
`v1`, but hands the function the path as requested: `rawPath` and `requestContext.http.path` are
`/v1/hello`. The same deployment also answers at its `$default` endpoint
(`https://<id>.execute-api.<region>.amazonaws.com/hello`), where there is no prefix.

So a request to the execute-api endpoint passes unchanged; one through any other host (a custom
domain; locally, whatever host the client used) must be under the base path, which becomes its ASGI
`root_path` (the path keeps it, as the ASGI spec wants, and Starlette routes on the rest;
`request.url` and `url_for` keep the prefix); anything else is the usual 404 problem.
Mangum's own `api_gateway_base_path` is not used: it cuts the prefix as a plain string (`/v1` off
`/v10/x` leaves `0/x`), routes paths outside it as if they were inside, and leaves `root_path`
empty, so the app could not tell clients where it lives.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from app.problems import default_detail, problem

# The API's own endpoint; a custom domain is anything else (locally: the Host the client used).
EXECUTE_API = re.compile(r"[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")


def at_execute_api(scope: Scope) -> bool:
    event = scope.get("aws.event")
    if event is None:
        return False
    domain = event.get("requestContext", {}).get("domainName")
    return isinstance(domain, str) and EXECUTE_API.fullmatch(domain) is not None


class BasePath:
    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path  # `/v1`: app.config.base_path normalised it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if at_execute_api(scope):
            await self.app(scope, receive, send)
        elif path == self.base_path or path.startswith(self.base_path + "/"):
            # In place, as Starlette's router updates it: the access log reads the matched route here.
            scope["root_path"] = self.base_path
            await self.app(scope, receive, send)
        else:
            response = problem(404, default_detail(404), scope["state"]["request_id"])
            await response(scope, receive, send)
