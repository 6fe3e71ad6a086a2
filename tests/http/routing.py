"""Examples of every API route, for the tests that walk the whole route table.

Each route module's test examples live in ``tests/http/examples_<context>.py`` and register
one example per route with ``@example("METHOD /api/v1/path/{template}")``: a function that,
given a World (tests/unit/services/conftest.py), returns the concrete call and which of the
seven staff members may make it (their permission-matrix cells for the route's target). The
walk (test_route_matrix.py) fails for any route of the app without an example, so a new
route cannot escape it; the tenant test calls every example with another organisation's
ids and expects 404.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import attrs
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES

EVERYONE = frozenset(ROLES)


@attrs.frozen(kw_only=True)
class Example:
    """One call of a route: the concrete path, its JSON body (or query) and who may make it.

    ``allowed``: the staff (names of ``ROLES``) for whom the call must not be refused with
    403; everyone else must get 403 and change nothing. ``ok``: the status the first allowed
    caller gets on a fresh world. ``writes``: whether the call changes data (so the tenant test
    can check that a refused one changed nothing).
    """

    method: str
    path: str
    allowed: frozenset[str]
    body: Any = None
    query: dict[str, str] | None = None
    ok: int = 200
    writes: bool = False


ExampleFactory = Callable[[World], Example]
#: Route key ("GET /api/v1/sessions/{session_id:uuid}/roll") -> example factory.
EXAMPLES: dict[str, ExampleFactory] = {}


def example(route: str) -> Callable[[ExampleFactory], ExampleFactory]:
    """Register the example of ``route`` ("METHOD path template", as Litestar prints it)."""

    def register(factory: ExampleFactory) -> ExampleFactory:
        if route in EXAMPLES:
            raise AssertionError(f"two examples for {route}")
        EXAMPLES[route] = factory
        return factory

    return register


def load_examples() -> dict[str, ExampleFactory]:
    """Import every tests/http/examples_*.py module; the registry."""
    import tests.http as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("examples_"):
            importlib.import_module(f"tests.http.{module.name}")
    return EXAMPLES


def route_keys(app: Any) -> list[str]:
    """Every "METHOD path" of the app's API routes (the OpenAPI page excluded)."""
    keys = []
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for method in sorted(getattr(route, "methods", ())):
            if method in ("HEAD", "OPTIONS"):
                continue
            keys.append(f"{method} {route.path}")
    return sorted(keys)
