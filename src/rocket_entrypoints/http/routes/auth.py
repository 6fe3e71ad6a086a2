"""Log in, log out, who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie

from rocket_core.errors import AuthenticationFailed
from rocket_core.permissions import Actor
from rocket_core.services.auth import Authenticated, AuthService
from rocket_entrypoints.http.security import COOKIE, LoginThrottle, token_of

PUBLIC = {"access": "public"}
STAFF = {"access": "staff"}


@attrs.frozen
class Credentials:
    """E-mail and password."""

    email: str
    password: str


@attrs.frozen
class Me:
    """The logged-in staff member."""

    staff_id: UUID
    organisation_id: UUID
    name: str
    role: str
    campus_ids: list[UUID]
    cohort_ids: list[UUID]


@attrs.frozen
class SessionOut:
    """A new session. ``token`` is for scripts (``Authorization: Bearer``); browsers get it
    as the httpOnly cookie and send ``csrf_token`` as ``X-CSRF-Token`` with writes."""

    token: str
    csrf_token: str
    expires_at: datetime
    staff: Me


def _me(actor: Actor) -> Me:
    return Me(
        staff_id=actor.staff_id,
        organisation_id=actor.organisation_id,
        name=actor.name,
        role=actor.role.value,
        campus_ids=sorted(actor.campus_ids),
        cohort_ids=sorted(actor.cohort_ids),
    )


def login_route(throttle: LoginThrottle) -> Any:
    """The login handler, with the app's throttle."""

    @post(
        "/auth/login",
        opt={**PUBLIC, "problems": (401, 429)},
        sync_to_thread=True,
        tags=["auth"],
        status_code=200,
    )
    def login(
        data: Credentials, request: Request[Any, Any, Any], auth: AuthService
    ) -> Response[SessionOut]:
        """Log in with e-mail and password: a session cookie and a bearer token."""
        address = request.client.host if request.client else None
        throttle.check(data.email, address)
        try:
            session = auth.login(
                data.email,
                data.password,
                address=address,
                user_agent=request.headers.get("user-agent"),
            )
        except AuthenticationFailed:
            throttle.failed(data.email, address)
            raise
        throttle.succeeded(data.email)
        body = SessionOut(
            token=session.token,
            csrf_token=session.csrf_token,
            expires_at=session.expires_at,
            staff=_me(session.actor),
        )
        cookie = Cookie(
            key=COOKIE,
            value=session.token,
            httponly=True,
            secure=True,
            samesite="strict",
            path="/",
            # the service's clock, not the process's: they differ in tests and embedders
            max_age=max(int((session.expires_at - auth.clock.now()).total_seconds()), 0),
        )
        return Response(body, cookies=[cookie])

    return login


#: The logout response's cookie: the session cookie, emptied and expired.
_CLEARED = Cookie(
    key=COOKIE, value="", max_age=0, httponly=True, secure=True, samesite="strict", path="/"
)


@post(
    "/auth/logout",
    opt=STAFF,
    sync_to_thread=True,
    tags=["auth"],
    status_code=204,
    response_cookies=[_CLEARED],
)
def logout(request: Request[Any, Any, Any], auth: AuthService, session: Authenticated) -> None:
    """End this session (the cookie is cleared too)."""
    token, _ = token_of(request)
    if token is not None:
        auth.logout(token)


@get("/auth/me", opt=STAFF, sync_to_thread=False, tags=["auth"])
def me(actor: Actor) -> Me:
    """The logged-in staff member, their role and what they are assigned to."""
    return _me(actor)
