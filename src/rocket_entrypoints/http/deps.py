"""The bridge from the container to Litestar's dependency injection (DESIGN decision 10):
every service is a ``Provide`` of the container's provider, and ``actor`` is the staff
member of the request's session."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide

from rocket_core.permissions import Actor
from rocket_core.services.auth import Authenticated, AuthService
from rocket_entrypoints.container import Container
from rocket_entrypoints.http.security import authenticate

#: Service providers of the container that handlers may ask for, by parameter name.
SERVICES = (
    "auth",
    "organisation",
    "scheduling",
    "families",
    "enrolment",
    "makeup",
    "attendance",
    "invoicing",
    "payments",
    "webhooks",
    "skills",
    "progress",
    "projects",
    "messaging",
    "notifications",
    "audit_log",
)


def dependencies(container: Container) -> dict[str, Provide]:
    """Litestar dependencies: the services, ``container``, ``session`` and ``actor``."""

    def provider(name: str) -> Provide:
        service = getattr(container, name)
        return Provide(lambda: service(), sync_to_thread=False)

    def session(request: Request[Any, Any, Any], auth: AuthService) -> Authenticated:
        return authenticate(request, auth)

    def actor(session: Authenticated) -> Actor:
        return session.actor

    provided = {name: provider(name) for name in SERVICES if hasattr(container, name)}
    provided["container"] = Provide(lambda: container, sync_to_thread=False)
    provided["session"] = Provide(session, sync_to_thread=True)
    provided["actor"] = Provide(actor, sync_to_thread=False)
    return provided
