"""The staff HTTP API: a Litestar app under /api/v1, OpenAPI 3.1 at /schema.

A thin entrypoint: each handler turns JSON into a use case call through the container and
the result back into JSON; no business rule lives here (docs/http.md).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from litestar import Litestar, Request, Router
from litestar.exceptions import ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from rocket_entrypoints.container import Container, application
from rocket_entrypoints.http import bench_baseline, routes
from rocket_entrypoints.http.deps import dependencies
from rocket_entrypoints.http.problems import EXCEPTION_HANDLERS
from rocket_entrypoints.http.routes import auth, health
from rocket_entrypoints.http.security import LoginThrottle, security_headers
from rocket_entrypoints.settings import Settings

#: The largest request body accepted (a roll of marks is a few kilobytes).
MAX_BODY_BYTES = 1024 * 1024


async def refuse_unknown_fields(request: Request[Any, Any, Any]) -> None:
    """A JSON body with a field the route's body class does not have is refused (400),
    naming the field: a typo must not be silently ignored."""
    handler = request.route_handler
    parameter = handler.parsed_fn_signature.parameters.get("data")
    if parameter is None or request.method in ("GET", "HEAD"):
        return
    body_type = parameter.annotation
    if not isinstance(body_type, type) or not hasattr(body_type, "__attrs_attrs__"):
        return
    try:
        body = await request.json()
    except Exception:  # malformed JSON: Litestar's own parsing answers 400
        return
    if isinstance(body, dict):
        known = {field.name for field in body_type.__attrs_attrs__}
        unknown = sorted(set(body) - known)
        if unknown:
            raise ValidationException(
                detail=f"unknown field {unknown[0]!r}",
                extra=[
                    {"key": name, "message": "is not a field", "source": "body"} for name in unknown
                ],
            )


def api_routes() -> list[Any]:
    """The ``ROUTES`` of every module of ``rocket_entrypoints.http.routes`` (one per
    context), in module name order."""
    handlers: list[Any] = []
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{routes.__name__}.{module.name}")
        if module.name != "health":
            handlers.extend(getattr(loaded, "ROUTES", []))
    return handlers


def create_app(container: Container | None = None, *, settings: Settings | None = None) -> Litestar:
    """The API over ``container`` (by default one built from the environment)."""
    if container is None:
        container = application(settings)
    throttle = LoginThrottle()
    api = Router(
        "/api/v1",
        route_handlers=[auth.login_route(throttle), auth.logout, auth.me, *api_routes()],
    )
    if bench_baseline.enabled():  # bench/http.py's baseline routes, never in a deployment
        for handler in bench_baseline.ROUTES:
            api.register(handler)
    app = Litestar(
        route_handlers=[api, *health.ROUTES],
        dependencies=dependencies(container),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_unknown_fields,
        middleware=[security_headers],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="Rocket staff API",
            version="1",
            description="Classroom management for children's coding schools.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer"),
                    "cookie": SecurityScheme(
                        type="apiKey", name="rocket_session", security_scheme_in="cookie"
                    ),
                }
            ),
            security=[{"bearer": []}, {"cookie": []}],
        ),
        debug=False,
    )
    app.state.container = container
    return app
