"""Databases for the integration tests.

SQLite always runs: the schema comes from the migrations (once per session, into a template
file copied for each test).

Postgres runs when ROCKET_TEST_DATABASE_URL names a server (CI sets it to the local one): a
fresh database is created for the test session, migrated, and dropped at the end. Without the
variable, or with the server down, the Postgres tests skip with a loud banner on a laptop and
FAIL when CI=true.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rocket_adapters.sql import Database, migrate

POSTGRES_VARIABLE = "ROCKET_TEST_DATABASE_URL"
_skipped_postgres: list[str] = []


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "rocket.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "rocket.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_database(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    yield database
    database.dispose()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and Postgres is required: {reason}", pytrace=False)
    _skipped_postgres.append(reason)
    pytest.skip(f"POSTGRES TESTS SKIPPED: {reason}")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The URL of the server's maintenance database (from ROCKET_TEST_DATABASE_URL)."""
    url = os.environ.get(POSTGRES_VARIABLE)
    if not url:
        _unavailable(f"{POSTGRES_VARIABLE} is not set")
        raise AssertionError("unreachable")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        _unavailable(f"no Postgres server at {POSTGRES_VARIABLE}: {error.orig}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh database for this test session, migrated to head; dropped afterwards."""
    name = f"rocket_test_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[Database]:
    """The application's view of the session database (working as the rocket_app role).

    Tests share it: each builds its own organisations with unique names and e-mails, and
    every query is scoped to one organisation, so they do not see each other's rows."""
    database = Database(postgres_url)
    yield database
    database.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_postgres:
        terminalreporter.write_sep(
            "!", "POSTGRES INTEGRATION TESTS WERE SKIPPED", red=True, bold=True
        )
        terminalreporter.write_line(f"reason: {_skipped_postgres[0]}", red=True)
        terminalreporter.write_line(
            f"set {POSTGRES_VARIABLE}=postgresql+psycopg://postgres@127.0.0.1:5432/test "
            "(CI sets it; with CI=true these tests fail instead of skipping)",
            red=True,
        )
