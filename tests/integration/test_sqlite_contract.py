"""The SQL adapter on SQLite against the repository and unit-of-work contract."""

from __future__ import annotations

from tests.contracts.repository_contract import (
    ConcurrencyContract,
    EventsContract,
    LookupContract,
    RepositoryContract,
    UniquenessContract,
    UnitOfWorkContract,
)


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
