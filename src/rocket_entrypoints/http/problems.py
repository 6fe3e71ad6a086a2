"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns has ``type``, ``title``, ``status`` and ``detail``; validation
errors also name the ``field`` (or ``errors``: one entry per field). A domain error maps to
its status: ValidationError 422, NotFound 404 (also for another organisation's ids, which a
unit of work simply does not see), Forbidden 403, Conflict and InvalidTransition 409,
AuthenticationFailed 401, TooManyAttempts 429. Anything unexpected is 500 with no detail:
no stack trace or SQL ever reaches a response (it is logged instead).
"""

from __future__ import annotations

import logging
import re
from typing import Any, TypedDict

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from rocket_adapters.stripe.webhooks import WebhookRejected
from rocket_core.errors import (
    AuthenticationFailed,
    Conflict,
    Forbidden,
    NotFound,
    RocketError,
    TooManyAttempts,
    ValidationError,
)

_log = logging.getLogger("rocket.http")
PROBLEM_JSON = "application/problem+json"
_TYPE = "https://rocket.invalid/problems/"

_TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(status: int, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    """A problem details response."""
    title = _TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": _TYPE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="rocket"'
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def on_domain_error(_: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """The domain's errors, by kind."""
    if isinstance(error, ValidationError):
        return problem(422, str(error), field=error.field)
    if isinstance(error, NotFound):
        return problem(404, f"{error.entity} not found")
    if isinstance(error, Forbidden):
        return problem(403, str(error))
    if isinstance(error, Conflict):
        return problem(409, str(error))
    if isinstance(error, AuthenticationFailed):
        return problem(401, str(error))
    if isinstance(error, TooManyAttempts):
        response = problem(429, str(error))
        response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    if isinstance(error, WebhookRejected):
        return problem(400, str(error))
    return problem(400, str(error)) if isinstance(error, RocketError) else on_unexpected(_, error)


def on_http_error(_: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """Litestar's own errors (malformed JSON, wrong types, unknown routes, size limits)."""
    assert isinstance(error, HTTPException)
    status = error.status_code
    if isinstance(error, ValidationException):
        errors = [
            _field_error(item)
            for item in (error.extra if isinstance(error.extra, list) else [])
            if isinstance(item, dict)
        ]
        fields = ", ".join(str(item["field"]) for item in errors if item["field"])
        messages = "; ".join(str(item["message"]) for item in errors)
        if not errors:
            detail = str(error.detail)
        else:
            detail = f"invalid {fields}: {messages}" if fields else messages
        return problem(400, detail, errors=errors)
    if status == HTTP_500_INTERNAL_SERVER_ERROR:
        return on_unexpected(_, error)
    return problem(status, str(error.detail))


_MISSING = re.compile(r"Object missing required field `([^`]+)`")


def _field_error(item: dict[str, Any]) -> dict[str, Any]:
    """One entry of a validation error, naming the field itself: Litestar names a missing
    field's parent (``data`` for the body) and an absent body ``'data'``."""
    field, message = item.get("key"), str(item.get("message"))
    missing = _MISSING.fullmatch(message)
    if missing is not None:
        name = missing.group(1)
        field = name if field in (None, "data") else f"{field}.{name}"
        message = "is required"
    elif field == "data" and message == "'data'":
        field, message = None, "a JSON body is required"
    return {"field": field, "message": message, "in": item.get("source")}


def on_unexpected(_: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """A bug or an outage: logged with its trace, answered without one."""
    _log.error("unexpected error", exc_info=error)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "something went wrong; it has been logged")


#: One field of a 400 and what is wrong with it.
FieldProblem = TypedDict("FieldProblem", {"field": str | None, "message": str, "in": str | None})


class _ProblemRequired(TypedDict):
    type: str
    title: str
    status: int
    detail: str


class Problem(_ProblemRequired, total=False):
    """RFC 9457 problem details, as documented in the OpenAPI document: ``field`` names the
    field a 422 is about, ``errors`` a 400's fields and what is wrong with each."""

    field: str | None
    errors: list[FieldProblem]


def problem_spec(status: int) -> ResponseSpec:
    """The OpenAPI response of a problem with ``status``."""
    return ResponseSpec(
        data_container=Problem,
        description=_TITLES.get(status, "Error"),
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    RocketError: on_domain_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "MediaType",
    "Problem",
    "problem",
    "problem_spec",
]
