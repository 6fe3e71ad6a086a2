"""The staff API on Postgres: schemathesis over the whole OpenAPI document (as
tests/http/test_schemathesis.py does on SQLite) and a login round-trip.

The demo school is built into a database of its own (created, migrated and dropped here:
the fuzzing writes a lot), and the app works as the application role under row-level
security, as in production. Postgres runs with ROCKET_TEST_DATABASE_URL (conftest.py).
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from tests.http.test_schemathesis import FUZZ_SETTINGS, Fuzzed, demo_api, run_case, with_real_ids

from rocket_adapters.sql import migrate
from rocket_entrypoints.demo import DEMO_PASSWORD, SUPER_ADMIN
from rocket_entrypoints.http.app import create_app
from rocket_entrypoints.http.security import COOKIE

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:schemathesis.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:starlette_testclient.*"),
    pytest.mark.filterwarnings("ignore:Unclosed <MemoryObject:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def demo_database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh database for the demo school, migrated; dropped afterwards."""
    name = f"rocket_http_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(scope="module")
def postgres_fuzzed(demo_database_url: str) -> Iterator[Fuzzed]:
    fuzzed = demo_api(demo_database_url)
    yield fuzzed
    fuzzed.container.database().dispose()
    gc.collect()  # starlette-testclient's leftover streams, while this module's filters apply


@pytest.fixture(scope="module")
def postgres_schema(postgres_fuzzed: Fuzzed) -> Any:
    schema = postgres_fuzzed.schema()
    schema.hook(with_real_ids(postgres_fuzzed.pools))
    return schema


schema = schemathesis.from_pytest_fixture(
    "postgres_schema", method=None, endpoint=None, tag=None, operation_id=None
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_on_postgres(case: Any, postgres_fuzzed: Fuzzed) -> None:
    run_case(postgres_fuzzed, case)


@pytest.fixture(scope="module")
def app(postgres_fuzzed: Fuzzed) -> Litestar:
    """Another app over the same container: a login throttle of its own (the fuzzed logins
    used up the test client's address)."""
    return create_app(postgres_fuzzed.container)


def client(app: Litestar) -> TestClient[Litestar]:
    return TestClient(app, base_url="https://testserver.local")


def test_a_login_round_trip(app: Litestar) -> None:
    browser = client(app)
    response = browser.post(
        "/api/v1/auth/login", json={"email": SUPER_ADMIN.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    login = response.json()
    assert login["staff"]["role"] == "super_admin"
    assert browser.cookies.get(COOKIE) == login["token"]
    # the bearer token, from another client
    script = client(app)
    bearer = {"Authorization": f"Bearer {login['token']}"}
    me = script.get("/api/v1/auth/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["staff_id"] == login["staff"]["staff_id"]
    # the cookie, with the CSRF token for a write
    assert browser.get("/api/v1/auth/me").status_code == 200
    assert browser.post("/api/v1/auth/logout").status_code == 403
    response = browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": login["csrf_token"]})
    assert response.status_code == 204
    assert script.get("/api/v1/auth/me", headers=bearer).status_code == 401


@pytest.mark.parametrize(
    ("email", "password"),
    [(SUPER_ADMIN.email, "not the demo password"), ("nobody@rocket.example", DEMO_PASSWORD)],
    ids=["wrong password", "unknown e-mail"],
)
def test_a_failed_login_says_the_same_either_way(app: Litestar, email: str, password: str) -> None:
    response = client(app).post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong e-mail or password"


def test_readyz_on_postgres(app: Litestar) -> None:
    response = client(app).get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
