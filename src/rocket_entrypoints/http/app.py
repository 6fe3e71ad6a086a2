"""The staff HTTP API: a Litestar app under /api/v1, OpenAPI 3.1 at /schema.

A thin entrypoint: each handler turns JSON into a use case call through the container and
the result back into JSON; no business rule lives here (docs/http.md).
"""

from __future__ import annotations

import asyncio
import collections.abc
import datetime
import functools
import importlib
import pkgutil
import types
import typing
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
from litestar import Litestar, Request, Router
from litestar.exceptions import HTTPException, LitestarDeprecationWarning, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, OpenAPIType, Schema, SecurityScheme
from litestar.plugins import OpenAPISchemaPlugin

from rocket_entrypoints.container import Container, application
from rocket_entrypoints.http import bench_baseline, routes
from rocket_entrypoints.http.deps import dependencies
from rocket_entrypoints.http.problems import EXCEPTION_HANDLERS, problem_spec
from rocket_entrypoints.http.routes import auth, health
from rocket_entrypoints.http.security import LoginThrottle, security_headers
from rocket_entrypoints.settings import Settings

#: The largest request body accepted (a roll of marks is a few kilobytes).
MAX_BODY_BYTES = 1024 * 1024


async def refuse_unknown_fields(request: Request[Any, Any, Any]) -> None:
    """A JSON body with a field the route's body class does not have is refused (400),
    naming the field (``marks[0].notes``): a typo must not be silently ignored, at any
    depth. So is text with a NUL character, in the query or the body: no database column
    holds one (Postgres refuses it), so it is bad input, not a 500."""
    _refuse_nul([(key, value) for key, value in request.query_params.multi_items()], source="query")
    handler = request.route_handler
    parameter = handler.parsed_fn_signature.parameters.get("data")
    if parameter is None or request.method in ("GET", "HEAD"):
        return
    try:
        body = await request.json()
    except HTTPException:  # a body over the size limit (413): answered as it is
        raise
    except Exception:  # malformed JSON: Litestar's own parsing answers 400
        return
    unknown = unknown_fields(parameter.annotation, body)
    if unknown:
        raise ValidationException(
            detail=f"unknown field {unknown[0]!r}",
            extra=[
                {"key": name, "message": "is not a field", "source": "body"} for name in unknown
            ],
        )
    _refuse_nul(_texts(body), source="body")


def _texts(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, text) of every key and string in parsed JSON."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            found += [(inner, key), *_texts(item, inner)]
        return found
    if isinstance(value, list):
        return [
            text for index, item in enumerate(value) for text in _texts(item, f"{path}[{index}]")
        ]
    return []


def _refuse_nul(texts: list[tuple[str, Any]], *, source: str) -> None:
    bad = [name for name, text in texts if isinstance(text, str) and "\x00" in text]
    if bad:
        raise ValidationException(
            detail=f"NUL character in {bad[0]!r}",
            extra=[
                {"key": name, "message": "must not contain a NUL character", "source": source}
                for name in dict.fromkeys(bad)
            ],
        )


def unknown_fields(annotation: Any, value: Any, path: str = "") -> list[str]:
    """The paths of the keys of ``value`` (parsed JSON) that the attrs classes of
    ``annotation`` do not have, looking through lists and optional values."""
    if isinstance(annotation, type) and attrs.has(annotation):
        if not isinstance(value, dict):
            return []
        hints = _hints(annotation)
        found = [f"{path}.{key}" if path else str(key) for key in sorted(set(value) - set(hints))]
        for name, hint in hints.items():
            if name in value:
                found += unknown_fields(hint, value[name], f"{path}.{name}" if path else name)
        return found
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset, collections.abc.Sequence) and isinstance(
        value, list
    ):
        found = []
        for index, item in enumerate(value):
            for argument in arguments[:1] if origin is not tuple else arguments:
                found += unknown_fields(argument, item, f"{path}[{index}]")
        return found
    if origin in (typing.Union, types.UnionType):
        # the alternative the value fits best (``X | None``: X, for an object)
        fitting = [
            unknown_fields(argument, value, path)
            for argument in arguments
            if (isinstance(argument, type) and attrs.has(argument) and isinstance(value, dict))
            or (typing.get_origin(argument) is not None and isinstance(value, list))
        ]
        return min(fitting, key=len) if fitting else []
    return []


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The attrs fields of ``cls`` and their resolved types."""
    try:
        resolved = typing.get_type_hints(cls)
    except (NameError, TypeError):  # an annotation that cannot be resolved: names only
        resolved = {}
    return {field.name: resolved.get(field.name, Any) for field in attrs.fields(cls)}


class TimeOfDaySchema(OpenAPISchemaPlugin):
    """``datetime.time`` in the OpenAPI document as what it is, a local time of day
    (``16:00:00``): Litestar 2 calls it a ``duration``, and ``format: time`` would be an RFC
    3339 time with an offset, which the API neither sends nor wants."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is datetime.time

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        return Schema(
            type=OpenAPIType.STRING,
            pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?$",
            description="a local time of day, HH:MM:SS",
            examples=["16:00:00"],
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
        route_handlers=document_problems(
            [auth.login_route(throttle), auth.logout, auth.me, *api_routes()]
        ),
    )
    if bench_baseline.enabled():  # bench/http.py's baseline routes, never in a deployment
        for handler in bench_baseline.ROUTES:
            api.register(handler)
    with warnings.catch_warnings():
        # Handlers name their dependencies by parameter name (deps.SERVICES, DESIGN decision
        # 10), their body ``data`` and path parameters by name: Litestar 2.25 warns that
        # version 3 will want markers (``NamedDependency``, ``JSONBody``, ``FromPath``) there.
        # Rocket is on Litestar 2 (pyproject: <3).
        warnings.simplefilter("ignore", LitestarDeprecationWarning)
        app = Litestar(
            route_handlers=[api, *document_problems(health.ROUTES)],
            dependencies=dependencies(container),
            exception_handlers=EXCEPTION_HANDLERS,
            before_request=refuse_unknown_fields,
            before_send=[security_headers],
            request_max_body_size=MAX_BODY_BYTES,
            plugins=[TimeOfDaySchema()],
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
            on_startup=[_request_threads(container)],
        )
    app.state.container = container
    return app


def _request_threads(container: Container) -> Callable[[], None]:
    """A start-up hook giving the worker's event loop as many request threads as the
    database pool has connections: the sync handlers (and the session lookup) run in the
    loop's default executor, which is otherwise ``cpu_count + 4`` threads whatever the pool
    holds; with more threads than connections, every request past the pool opened and
    closed a Postgres connection of its own."""

    def start() -> None:
        threads = container.settings().database_pool_size
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rocket-request")
        )

    return start


#: The problems any route may answer, and those of the routes that need a login.
_PROBLEMS = (400, 404, 422, 500)
_STAFF_PROBLEMS = (401, 403, 409)


def document_problems(handlers: list[Any]) -> list[Any]:
    """The handlers, each listing in its OpenAPI responses the problem details it may answer
    (``application/problem+json``; in place of Litestar's own 400 body): every route 400,
    404, 422 and 500, a route with a body 413, a route that needs a login 401, 403 and 409,
    and whatever the handler names in ``opt["problems"]`` (login: 401 and 429)."""
    for handler in handlers:
        access = handler.opt.get("access")
        if access is None:
            continue
        statuses = {*_PROBLEMS, *handler.opt.get("problems", ())}
        if "data" in handler.parsed_fn_signature.parameters:
            statuses.add(413)
        if access == "staff":
            statuses.update(_STAFF_PROBLEMS)
        responses = dict(handler.responses or {})
        for status in sorted(statuses):
            responses.setdefault(status, problem_spec(status))
        handler.responses = responses
    return handlers
