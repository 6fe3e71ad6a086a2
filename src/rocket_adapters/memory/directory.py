"""The organisation directory over a MemoryStore."""

from __future__ import annotations

from uuid import UUID

from rocket_adapters.memory.store import MemoryStore
from rocket_core import model as m
from rocket_core.ports import OrganisationDirectory


class MemoryOrganisationDirectory(OrganisationDirectory):
    """Lists the organisations committed to the store."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def organisation_ids(self) -> list[UUID]:
        with self.store.lock:
            return sorted(self.store.tables[m.Organisation], key=str)
