"""The HTTP API over the service tests' school (tests/unit/services/conftest.py): a
container on the world's memory store, clock and event bus, and a logged-in client for each
of the seven staff members (``api.client("campus_manager")``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from tests.unit.services.conftest import World, build_world
from tests.unit.services.helpers import ROLES

from rocket_adapters.passwords import Argon2PasswordHasher
from rocket_entrypoints.container import Container
from rocket_entrypoints.http.app import create_app
from rocket_entrypoints.settings import Settings

#: Every staff member of the world logs in with this password.
PASSWORD = "correct horse battery staple"


@attrs.define
class Api:
    """The app, its container and world, and a bearer token per staff member."""

    app: Litestar
    container: Container
    world: World
    tokens: dict[str, str]
    csrf: dict[str, str]
    _clients: dict[str, TestClient[Litestar]] = attrs.field(factory=dict)

    def client(self, who: str | None = None) -> TestClient[Litestar]:
        """A client logged in as ``who`` (a bearer token), or anonymous (None)."""
        key = who or ""
        if key not in self._clients:
            client = TestClient(self.app, base_url="https://testserver.local")
            client.__enter__()
            if who is not None:
                client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
            self._clients[key] = client
        return self._clients[key]

    def close(self) -> None:
        for client in self._clients.values():
            client.__exit__(None, None, None)


def build_api(world: World) -> Api:
    """An app over ``world`` with every staff member logged in."""
    container = Container()
    container.settings.override(Settings(database_url="memory://"))
    container.memory_store.override(world.store)
    container.clock.override(world.clock)
    container.bus.override(world.bus)
    hasher = Argon2PasswordHasher(fast=True)
    container.hasher.override(hasher)
    container.init_resources()
    with world.uow() as uow:
        for staff in world.staff.values():
            uow.staff.get(staff.id).password_hash = hasher.hash(PASSWORD)
        uow.commit()
    auth = container.auth()
    tokens, csrf = {}, {}
    for who in ROLES:
        login = auth.login(world.staff[who].email, PASSWORD)
        tokens[who], csrf[who] = login.token, login.csrf_token
    return Api(
        app=create_app(container), container=container, world=world, tokens=tokens, csrf=csrf
    )


@pytest.fixture
def api() -> Iterator[Api]:
    """A fresh school and app per test."""
    built = build_api(build_world())
    yield built
    built.close()


def problem(response: Any) -> dict[str, Any]:
    """The problem details of an error response (checking its media type)."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body
