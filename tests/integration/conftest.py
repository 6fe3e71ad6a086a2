"""Databases for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rocket_adapters.sql import Database
from rocket_adapters.sql.tables import metadata
from rocket_core.ports import UnitOfWorkFactory


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'rocket.db'}")
    metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def make_uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    database: Database = request.getfixturevalue("sqlite_database")
    return database.unit_of_work
