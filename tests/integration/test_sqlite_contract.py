"""The SQL adapter on SQLite against the repository and unit-of-work contract."""

from __future__ import annotations

import pytest
from tests.contracts.repository_contract import (
    ConcurrencyContract,
    EventsContract,
    LockingContract,
    LookupContract,
    RepositoryContract,
    UniquenessContract,
    UnitOfWorkContract,
)

from rocket_adapters.sql import Database
from rocket_core.ports import UnitOfWorkFactory


@pytest.fixture
def make_uow(sqlite_database: Database) -> UnitOfWorkFactory:
    return sqlite_database.unit_of_work


class TestSqliteRepositories(RepositoryContract):
    pass


class TestSqliteLookups(LookupContract):
    pass


class TestSqliteUnitOfWork(UnitOfWorkContract):
    pass


class TestSqliteUniqueness(UniquenessContract):
    pass


class TestSqliteEvents(EventsContract):
    pass


class TestSqliteConcurrency(ConcurrencyContract):
    pass


class TestSqliteLocking(LockingContract):
    pass
