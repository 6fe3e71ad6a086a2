"""The SQL adapter on Postgres against the repository and unit-of-work contract."""

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
def make_uow(postgres_database: Database) -> UnitOfWorkFactory:
    return postgres_database.unit_of_work


class TestPostgresRepositories(RepositoryContract):
    pass


class TestPostgresLookups(LookupContract):
    pass


class TestPostgresUnitOfWork(UnitOfWorkContract):
    pass


class TestPostgresUniqueness(UniquenessContract):
    pass


class TestPostgresEvents(EventsContract):
    pass


class TestPostgresConcurrency(ConcurrencyContract):
    pass


class TestPostgresLocking(LockingContract):
    pass
