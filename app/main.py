"""The ASGI application, `app.main:app`, shared by uvicorn locally and Mangum on Lambda."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from app import auth, endpoints, logs
from app.basepath import BasePath
from app.config import Settings
from app.middleware import RequestContext
from app.openapi import document
from app.problems import http_exception


def create_app(settings: Settings) -> Starlette:
    application = Starlette(
        routes=[
            Route("/hello", endpoints.hello, methods=["GET"]),
            Route("/echo", endpoints.echo, methods=["POST"]),
            Route("/health", endpoints.health, methods=["GET"]),
            Route("/openapi.json", endpoints.openapi, methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestContext, settings=settings),
            # Only behind a custom domain's API mapping key (BASE_PATH); otherwise no extra layer.
            *([Middleware(BasePath, base_path=settings.base_path)] if settings.base_path else []),
        ],
        exception_handlers={HTTPException: http_exception},
    )
    # API Gateway matches routes exactly; a redirect to a Host-derived URL would only differ from it.
    application.router.redirect_slashes = False
    # PROTECTED_ROUTES answer 401 without a caller (app/auth.py), as API Gateway would before them.
    application.router.routes = auth.protect(application.router.routes, settings.protected_routes)
    application.state.version = settings.version
    application.state.openapi = document(settings.version, settings.max_body_bytes, settings.protected_routes)
    return application


settings = Settings.from_env()
logs.configure(settings)
app = create_app(settings)
