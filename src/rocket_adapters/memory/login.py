"""The login directory over a MemoryStore."""

from __future__ import annotations

from uuid import UUID

from rocket_adapters.memory.store import MemoryStore
from rocket_core.ports import LoginDirectory


class MemoryLoginDirectory(LoginDirectory):
    """Finds a login e-mail's organisation among the store's staff."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def find(self, email: str) -> tuple[UUID, UUID] | None:
        return self.store.find_login(email)
