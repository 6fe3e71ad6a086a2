"""Every route of the API x every staff role, against the permission matrix.

Generated from the app's route table (tests/http/routing.py): a route without an example in
tests/http/examples_*.py fails ``test_every_route_has_an_example``, so a new route cannot
escape the walk. Each call runs on a fresh copy of the service tests' school: one app is
built per test module and its memory store is put back to the school as built before every
case (``Pristine.reset``), which is what a fresh ``build_world()`` would give, only faster.

For each example and each of the seven staff members (and an anonymous caller):
- a staff member in ``allowed`` is never refused (no 401, no 403) and causes no 5xx; the
  first of them (in ROLES order) gets the example's ``ok`` status;
- anyone else gets 403 problem details and nothing in the store changes;
- an anonymous caller gets 401 on every "staff" route (nothing changes), and a "public"
  route answers it like anyone else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
import pytest
from litestar import Litestar
from tests.http.conftest import Api, As, build_api, problem
from tests.http.routing import EVERYONE, Example, load_examples, route_keys
from tests.unit.services.conftest import build_world
from tests.unit.services.helpers import ROLES, snapshot

from rocket_core import model as m
from rocket_entrypoints.container import Container
from rocket_entrypoints.http.app import create_app
from rocket_entrypoints.settings import Settings

ACCESS = frozenset({"public", "staff"})
ANONYMOUS = "anonymous"


def listing_app() -> Litestar:
    """The app over an empty in-memory container: enough to read its route table."""
    container = Container()
    container.settings.override(Settings(database_url="memory://"))
    return create_app(container)


def access_of(app: Litestar) -> dict[str, Any]:
    """Route key ("METHOD path") -> the handler's ``opt["access"]`` (None when missing)."""
    found: dict[str, Any] = {}
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            if method not in ("HEAD", "OPTIONS"):
                found[f"{method} {route.path}"] = handler.opt.get("access")
    return found


def client_for(api: Api, who: str | None = None) -> As:
    """Requests as ``who`` (a bearer token) or anonymous, through the app's one client."""
    return api.client(who)


def call(client: As, example: Example) -> Any:
    """Make the example's request with ``client``."""
    return client.request(
        example.method,
        example.path,
        json=example.body if example.body is not None else None,
        params=example.query,
    )


@attrs.define
class Pristine:
    """An app over the service tests' school that can be put back to the school as built.

    Memory units of work never change a stored entity in place (a commit stores new
    copies), so keeping the tables' dictionaries is enough to restore every row."""

    api: Api
    tables: dict[type, dict[UUID, m.Entity]]
    counters: dict[Any, int]
    now: datetime

    def client(self, who: str | None = None) -> As:
        """Requests as ``who`` (None: anonymous)."""
        return self.api.client(who)

    @classmethod
    def build(cls) -> Pristine:
        api = build_api(build_world())
        store = api.world.store
        with store.lock:
            tables = {kind: dict(table) for kind, table in store.tables.items()}
            counters = dict(store.counters)
        return cls(api=api, tables=tables, counters=counters, now=api.world.clock.now())

    def reset(self) -> Api:
        """The api, its store, clock and clients as right after ``build``."""
        store = self.api.world.store
        with store.lock:
            store.tables.clear()
            store.tables.update({kind: dict(table) for kind, table in self.tables.items()})
            store.counters.clear()
            store.counters.update(self.counters)
        self.api.world.clock.set(self.now)
        self.api.world.published.clear()
        self.api.client().cookies.clear()
        return self.api


APP = listing_app()
ROUTE_KEYS = route_keys(APP)
ACCESS_OF = access_of(APP)


@pytest.fixture(scope="module")
def pristine() -> Iterator[Pristine]:
    built = Pristine.build()
    yield built
    built.api.close()


def test_every_route_has_an_example_and_declares_its_access() -> None:
    examples = load_examples()
    assert ROUTE_KEYS, "the app has no routes"
    missing = sorted(set(ROUTE_KEYS) - set(examples))
    assert not missing, f"routes without an example in tests/http/examples_*.py: {missing}"
    stale = sorted(set(examples) - set(ROUTE_KEYS))
    assert not stale, f"examples of routes the app does not have: {stale}"
    undeclared = sorted(key for key, access in ACCESS_OF.items() if access not in ACCESS)
    assert not undeclared, f'handlers without opt["access"] "public" or "staff": {undeclared}'
    world = build_world()
    for key, factory in sorted(examples.items()):
        if key not in ACCESS_OF:
            continue
        example = factory(world)
        method, template = key.split(" ", 1)
        assert example.method == method, f"{key}: the example is a {example.method}"
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        assert re.fullmatch(pattern, example.path), f"{key}: the example calls {example.path}"
        assert example.allowed <= EVERYONE, f"{key}: unknown roles {example.allowed - EVERYONE}"
        if ACCESS_OF[key] == "public":
            assert example.allowed == EVERYONE, f"{key} is public: everyone may call it"


def test_the_route_table_has_no_duplicates() -> None:
    assert len(ROUTE_KEYS) == len(set(ROUTE_KEYS))


@pytest.mark.parametrize(
    ("key", "who"),
    [pytest.param(key, who, id=f"{key} | {who}") for key in ROUTE_KEYS for who in ROLES]
    + [pytest.param(key, ANONYMOUS, id=f"{key} | {ANONYMOUS}") for key in ROUTE_KEYS],
)
def test_route_by_role(pristine: Pristine, key: str, who: str) -> None:
    factory = load_examples().get(key)
    if factory is None:
        pytest.skip(f"{key} has no example (test_every_route_has_an_example_... fails)")
    api = pristine.reset()
    example = factory(api.world)
    before = snapshot(api.world)
    if who == ANONYMOUS:
        response = call(pristine.client(), example)
        if ACCESS_OF.get(key) == "staff":
            assert response.status_code == 401, response.text
            assert problem(response)["title"] == "Not logged in"
            assert snapshot(api.world) == before
        else:
            assert response.status_code == example.ok, response.text
        return
    response = call(pristine.client(who), example)
    if who in example.allowed:
        assert response.status_code not in (401, 403), f"{who} refused: {response.text}"
        assert response.status_code < 500, response.text
        first = next(role for role in ROLES if role in example.allowed)
        if who == first:
            assert response.status_code == example.ok, response.text
    else:
        assert response.status_code == 403, f"{who} was not refused: {response.text}"
        assert problem(response)["title"] == "Forbidden"
        assert snapshot(api.world) == before, f"a refused {key} by {who} changed the store"


def test_reset_gives_back_the_school_as_built(pristine: Pristine) -> None:
    api = pristine.reset()
    built = snapshot(api.world)
    response = pristine.client("super_admin").post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert snapshot(api.world) != built
    api = pristine.reset()
    assert snapshot(api.world) == built
    assert pristine.client("super_admin").get("/api/v1/auth/me").status_code == 200
