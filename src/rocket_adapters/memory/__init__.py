"""In-memory adapter: repositories and a unit of work with real transaction semantics.

For unit tests, the demo and embedders that keep nothing on disk.
"""

from rocket_adapters.memory.store import MemoryStore
from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork

__all__ = ["MemoryStore", "MemoryUnitOfWork"]
