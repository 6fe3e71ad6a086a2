"""schemathesis over the whole OpenAPI document, against the app on SQLite.

The demo school is built into a temporary SQLite file (migrated first) and the app served
over it; every operation of /schema/openapi.json is called with generated requests as the
demo super admin (a bearer token from a fresh login for every request, so that a generated
logout or password change cannot lock the rest of the run out). Every response must not be a
5xx and must conform to the document: its status is one of the operation's, its content type
and body match what the document says for that status.

Generated ids are random UUIDs (a 404 each, which says little), so path parameters also come
from pools of the demo school's real ids (``ID_SOURCES``): the operations then reach the
use cases and serialise real rows. The super admin's own staff id is kept out of the pools.

The same run against Postgres is tests/integration/test_http_postgres.py.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import hypothesis.strategies as st
import pytest
import schemathesis
import schemathesis.experimental
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.internal.conjecture import utils as cu
from litestar import Litestar
from schemathesis import GenerationConfig
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rocket_adapters.clock import FixedClock
from rocket_adapters.passwords import Argon2PasswordHasher
from rocket_adapters.sql import migrate
from rocket_entrypoints.container import Container
from rocket_entrypoints.demo import DEMO_PASSWORD, SUPER_ADMIN, build_demo_school
from rocket_entrypoints.http.app import create_app
from rocket_entrypoints.settings import Settings

#: schemathesis 3 uses what its newer dependencies deprecated (jsonschema's RefResolver, an
#: anyio alias in starlette-testclient), and starlette-testclient (its ASGI client) leaves the
#: memory streams of each call to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:schemathesis.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:starlette_testclient.*"),
    pytest.mark.filterwarnings("ignore:Unclosed <MemoryObject:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _restore_many_more() -> None:
    """hypothesis-jsonschema (schemathesis 3's generator of JSON bodies) draws an object's
    properties with ``while elements.more():``, which newer Hypothesis releases replaced by
    ``with many(...) as elements: for _ in elements:``. The old call, over the new loop."""
    many: Any = cu.many
    if hasattr(many, "more"):
        return

    def more(self: Any) -> bool:
        elements = self.__dict__.get("_old_style_loop")
        if elements is None:
            self.__enter__()
            elements = self._old_style_loop = iter(self)
        try:
            next(elements)
        except StopIteration:
            self.__exit__(None, None, None)
            return False
        return True

    many.more = more


_restore_many_more()

# The document is OpenAPI 3.1, which schemathesis 3 reads behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()

#: The demo school of this seed, as it stands on this day (the app's clock stays there).
SEED = 1
TODAY = date(2026, 3, 2)
NOW = datetime.combine(TODAY, time(9, 0), tzinfo=UTC)

#: Path parameter -> the table (and column) of the demo school's ids it takes.
ID_SOURCES = {
    "campus_id": ("campuses", "id"),
    "cohort_id": ("cohorts", "id"),
    "credit_note_id": ("credit_notes", "id"),
    "enrolment_id": ("enrolments", "id"),
    "family_id": ("families", "id"),
    "invoice_id": ("invoices", "id"),
    "message_id": ("messages", "id"),
    "node_id": ("skill_nodes", "id"),
    "payment_id": ("payments", "id"),
    "program_id": ("programs", "id"),
    "session_id": ("sessions", "id"),
    "staff_id": ("staff", "id"),
    "student_id": ("students", "id"),
    "submission_id": ("project_submissions", "id"),
    "thread_id": ("messages", "thread_id"),
    "tree_id": ("skill_trees", "id"),
}
#: Ids per pool (the first ones by id).
POOL_SIZE = 25

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
#: Examples per operation: enough to reach each one's paths, small enough for ~2 minutes.
MAX_EXAMPLES = int(os.environ.get("ROCKET_SCHEMATHESIS_EXAMPLES", "6"))
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)


@attrs.frozen
class Fuzzed:
    """The app over the demo school, a fresh super admin login, and pools of real ids."""

    app: Litestar
    container: Container
    login: Callable[[], dict[str, str]]
    pools: dict[str, list[str]]

    def schema(self) -> Any:
        # the credentials are ours (a fresh bearer token per call), not generated ones
        return schemathesis.from_asgi(
            "/schema/openapi.json",
            self.app,
            generation_config=GenerationConfig(with_security_parameters=False),
        )


def demo_api(url: str) -> Fuzzed:
    """The app over the (migrated, empty) database at ``url`` once the demo school is in."""
    container = Container()
    container.settings.override(Settings(database_url=url))
    container.clock.override(FixedClock(NOW))
    hasher = Argon2PasswordHasher(fast=True)
    container.hasher.override(hasher)
    container.init_resources()
    school = build_demo_school(
        container.make_uow(), seed=SEED, today=TODAY, password_hash=hasher.hash(DEMO_PASSWORD)
    )
    auth = container.auth()
    admin = auth.login(SUPER_ADMIN.email, DEMO_PASSWORD).actor

    def login() -> dict[str, str]:
        token = auth.login(SUPER_ADMIN.email, DEMO_PASSWORD).token
        return {"Authorization": f"Bearer {token}"}

    pools: dict[str, list[str]] = {}
    with container.make_uow()(school.organisation_id) as uow:
        for name, (table, column) in ID_SOURCES.items():
            rows = uow.execute(
                sa.text(
                    f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL "
                    f"ORDER BY {column} LIMIT {POOL_SIZE + 1}"
                )
            )
            ids = [str(UUID(str(row[0]))) for row in rows]
            pools[name] = [i for i in ids if i != str(admin.staff_id)][:POOL_SIZE]
    return Fuzzed(app=create_app(container), container=container, login=login, pools=pools)


def with_real_ids(pools: dict[str, list[str]]) -> Callable[[Any, Any], Any]:
    """A schemathesis hook: each path id is a generated one or one of the pool's."""

    def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> Any:
        choices = {
            name: st.sampled_from([value, *pools[name]]) if pools.get(name) else st.just(value)
            for name, value in (path_parameters or {}).items()
        }
        return st.fixed_dictionaries(choices)

    return flatmap_path_parameters


def run_case(fuzzed: Fuzzed, case: Any) -> None:
    """Call the operation as a freshly logged-in super admin; check the response."""
    response = case.call(headers=fuzzed.login())
    case.validate_response(response, checks=CHECKS)


@pytest.fixture(scope="module")
def sqlite_fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    path: Path = tmp_path_factory.mktemp("schemathesis") / "rocket.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    fuzzed = demo_api(url)
    yield fuzzed
    fuzzed.container.database().dispose()
    gc.collect()  # starlette-testclient's leftover streams, while this module's filters apply


@pytest.fixture(scope="module")
def sqlite_schema(sqlite_fuzzed: Fuzzed) -> Any:
    schema = sqlite_fuzzed.schema()
    schema.hook(with_real_ids(sqlite_fuzzed.pools))
    return schema


# (no filters: None, as schemathesis warns about its own default for them)
schema = schemathesis.from_pytest_fixture(
    "sqlite_schema", method=None, endpoint=None, tag=None, operation_id=None
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_on_sqlite(case: Any, sqlite_fuzzed: Fuzzed) -> None:
    run_case(sqlite_fuzzed, case)


def test_the_document_is_valid_openapi_and_covers_every_route(sqlite_fuzzed: Fuzzed) -> None:
    from tests.http.test_route_matrix import ROUTE_KEYS

    loaded = schemathesis.from_asgi("/schema/openapi.json", sqlite_fuzzed.app, validate_schema=True)
    operations = {
        f"{result.ok().method.upper()} {result.ok().path}" for result in loaded.get_all_operations()
    }
    expected = {
        key.split(" ", 1)[0] + " " + _openapi_path(key.split(" ", 1)[1]) for key in ROUTE_KEYS
    }
    assert operations == expected


def _openapi_path(template: str) -> str:
    """``/sessions/{session_id:uuid}/roll`` as the document writes it."""
    import re

    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", template)


def test_every_id_pool_was_filled(sqlite_fuzzed: Fuzzed) -> None:
    empty = sorted(name for name, ids in sqlite_fuzzed.pools.items() if not ids)
    assert not empty, f"the demo school has no rows for {empty}"
