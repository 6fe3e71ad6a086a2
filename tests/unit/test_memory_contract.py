"""The in-memory adapter against the repository and unit-of-work contract."""

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

from rocket_adapters.memory import MemoryStore
from rocket_core.ports import UnitOfWorkFactory


@pytest.fixture
def make_uow() -> UnitOfWorkFactory:
    """Units of work over one fresh MemoryStore per test."""
    return MemoryStore().unit_of_work


class TestMemoryRepositories(RepositoryContract):
    pass


class TestMemoryLookups(LookupContract):
    pass


class TestMemoryUnitOfWork(UnitOfWorkContract):
    pass


class TestMemoryUniqueness(UniquenessContract):
    pass


class TestMemoryEvents(EventsContract):
    pass


class TestMemoryConcurrency(ConcurrencyContract):
    pass


class TestMemoryLocking(LockingContract):
    pass
