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


class As:
    """Requests as one staff member (their bearer token) through the app's one TestClient:
    ``get``, ``post``, ``put``, ``patch``, ``delete`` and ``request`` take httpx's arguments.
    (One client per app: a second TestClient on the same app leaks its portal's streams.)"""

    def __init__(self, client: TestClient[Litestar], token: str | None) -> None:
        self._client = client
        self.headers: dict[str, str] = {} if token is None else {"Authorization": f"Bearer {token}"}

    @property
    def cookies(self) -> Any:
        """The shared client's cookie jar."""
        return self._client.cookies

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **(kwargs.pop("headers", None) or {})}
        return self._client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)


@attrs.define
class Api:
    """The app, its container and world, and a bearer token per staff member."""

    app: Litestar
    container: Container
    world: World
    tokens: dict[str, str]
    csrf: dict[str, str]
    _client: TestClient[Litestar] | None = None

    def client(self, who: str | None = None) -> As:
        """Requests as ``who`` (a bearer token), or anonymous (None)."""
        if self._client is None:
            self._client = TestClient(self.app, base_url="https://testserver.local")
            self._client.__enter__()
        return As(self._client, None if who is None else self.tokens[who])

    def close(self) -> None:
        if self._client is not None:
            self._client.__exit__(None, None, None)
            self._client = None


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
