"""The in-memory unit of work: an identity map of private copies, written back on commit."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar
from uuid import UUID

import attrs

from rocket_adapters.memory import repositories as r
from rocket_adapters.memory.lifecycle import MemoryLifecycleRepository
from rocket_adapters.memory.reports import MemoryReportingRepository
from rocket_adapters.memory.rolls import MemoryRollRepository
from rocket_adapters.memory.store import UNIQUE_RULES, MemoryStore
from rocket_adapters.memory.term_invoicing import MemoryTermInvoicingRepository
from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden
from rocket_core.ports import UnitOfWork

E = TypeVar("E", bound=m.Entity)
Key = tuple[type, UUID]

#: How long a transaction waits for a row lock before giving up with Conflict.
LOCK_TIMEOUT_SECONDS = 30


def _fingerprint(entity: m.Entity) -> dict[str, Any]:
    # Field values, recursing into value objects and child entities, for change detection.
    return attrs.asdict(entity, recurse=True)  # type: ignore[arg-type]


def _owner(entity: m.Entity) -> UUID:
    return entity.id if isinstance(entity, m.Organisation) else entity.organisation_id  # type: ignore[attr-defined]


class MemoryUnitOfWork(UnitOfWork):
    """A transaction over a MemoryStore, scoped to one organisation.

    Everything a repository returns is this transaction's own copy, so changes stay private
    until ``commit``; ``commit`` checks versions (a stale update raises Conflict) and the
    uniqueness rules, then writes copies back, all under the store's lock.
    """

    def __init__(self, store: MemoryStore, organisation_id: UUID) -> None:
        self.store = store
        self.organisation_id = organisation_id
        self._active = False
        self._loaded: dict[Key, m.Entity] = {}
        self._snapshots: dict[Key, dict[str, Any]] = {}
        self._new: dict[Key, m.Entity] = {}
        self._removed: set[Key] = set()
        self._seen: list[m.Entity] = []
        self._held: list[threading.Lock] = []
        self._counters: dict[tuple[str, int], int] = {}
        self.organisations = r.MemoryOrganisationRepository(self, m.Organisation)
        self.campuses = r.MemoryCampusRepository(self, m.Campus)
        self.staff = r.MemoryStaffRepository(self, m.Staff)
        self.campus_staff = r.MemoryCampusStaffRepository(self, m.CampusStaff)
        self.programs = r.MemoryProgramRepository(self, m.Program)
        self.cohorts = r.MemoryCohortRepository(self, m.Cohort)
        self.cohort_staff = r.MemoryCohortStaffRepository(self, m.CohortStaff)
        self.sessions = r.MemorySessionRepository(self, m.Session)
        self.session_staff = r.MemorySessionStaffRepository(self, m.SessionStaff)
        self.families = r.MemoryFamilyRepository(self, m.Family)
        self.students = r.MemoryStudentRepository(self, m.Student)
        self.enrolments = r.MemoryEnrolmentRepository(self, m.Enrolment)
        self.makeup_tokens = r.MemoryMakeupTokenRepository(self, m.MakeupToken)
        self.attendance = r.MemoryAttendanceRepository(self, m.Attendance)
        self.skill_trees = r.MemorySkillTreeRepository(self, m.SkillTree)
        self.skill_nodes = r.MemorySkillNodeRepository(self, m.SkillNode)
        self.skill_progress = r.MemorySkillProgressRepository(self, m.SkillProgress)
        self.projects = r.MemoryProjectSubmissionRepository(self, m.ProjectSubmission)
        self.invoices = r.MemoryInvoiceRepository(self, m.Invoice)
        self.payments = r.MemoryPaymentRepository(self, m.Payment)
        self.allocations = r.MemoryPaymentAllocationRepository(self, m.PaymentAllocation)
        self.refunds = r.MemoryRefundRepository(self, m.Refund)
        self.credit_notes = r.MemoryCreditNoteRepository(self, m.CreditNote)
        self.webhook_events = r.MemoryWebhookEventRepository(self, m.WebhookEvent)
        self.messages = r.MemoryMessageRepository(self, m.Message)
        self.notifications = r.MemoryNotificationRepository(self, m.Notification)
        self.staff_sessions = r.MemoryStaffSessionRepository(self, m.StaffSession)
        self.audit = r.MemoryAuditLog(self, m.AuditEntry)
        self.lifecycle = MemoryLifecycleRepository(self)
        self.term_invoicing = MemoryTermInvoicingRepository(self)
        self.reports = MemoryReportingRepository(self)
        self.rolls = MemoryRollRepository(self)

    # -- transaction ----------------------------------------------------------------------

    def begin(self) -> None:
        if self._active:
            raise Conflict("this unit of work is already in a transaction")
        self._reset()
        self._seen = []
        self.drop_recorded()
        self._active = True

    def commit(self) -> None:
        self._require_active()
        with self.store.lock:
            dirty = self._check_versions()
            self._check_unique(dirty)
            for key, entity in [*dirty, *self._new.items()]:
                stored = copy.deepcopy(entity)
                stored.__dict__.pop("_pending_events", None)
                self.store.tables[key[0]][key[1]] = stored
            for cls, entity_id in self._removed:
                self.store.tables[cls].pop(entity_id, None)
            for (kind, year), number in self._counters.items():
                self.store.counters[(kind, self.organisation_id, year)] = number
        self._seen = [*self._loaded.values(), *self._new.values()]
        self._reset()
        self._active = False

    def rollback(self) -> None:
        # After a commit there is nothing to undo, and the committed entities' events stay
        # collectable (``with uow: ... uow.commit()`` then ``uow.collect_events()``).
        if self._active:
            self._reset()
            self._seen = []
            self.drop_recorded()
            self._active = False

    def seen(self) -> Iterable[m.Entity]:
        if self._active:
            return [*self._loaded.values(), *self._new.values()]
        return list(self._seen)

    def _reset(self) -> None:
        self._loaded, self._snapshots, self._new, self._removed = {}, {}, {}, set()
        self._counters = {}
        for held in reversed(self._held):
            held.release()
        self._held = []

    def lock_row(self, key: Hashable) -> None:
        """Hold the store's lock on ``key`` until this transaction ends (like SELECT ... FOR
        UPDATE); another transaction asking for it waits."""
        self._require_active()
        row_lock = self.store.row_locks[key]
        if row_lock in self._held:
            return
        if not row_lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
            raise Conflict(f"waited {LOCK_TIMEOUT_SECONDS}s for a lock held by another transaction")
        self._held.append(row_lock)

    def reload(self, cls: type[E], entity_id: UUID) -> E | None:
        """The committed state of an entity, replacing this transaction's unchanged copy."""
        key = (cls, entity_id)
        loaded = self._loaded.get(key)
        if loaded is not None:
            if _fingerprint(loaded) != self._snapshots[key]:
                raise Conflict(f"{cls.__name__} {entity_id} was changed before it was locked")
            del self._loaded[key]
        return self.load(cls, entity_id)

    def next_number(self, kind: str, year: int) -> int:
        """Allocate the next number of a document sequence (invoices, credit notes) under
        the (kind, organisation, year) counter's lock."""
        self.lock_row((kind, self.organisation_id, year))
        key = (kind, year)
        with self.store.lock:
            last = self._counters.get(key) or self.store.counters.get(
                (kind, self.organisation_id, year), 0
            )
        self._counters[key] = last + 1
        return last + 1

    def _require_active(self) -> None:
        if not self._active:
            raise Conflict("no transaction: use the unit of work in a `with` block")

    def _check_versions(self) -> list[tuple[Key, m.Entity]]:
        """The loaded entities that changed, with versions checked and bumped."""
        dirty = []
        for key, entity in self._loaded.items():
            if key in self._removed or _fingerprint(entity) == self._snapshots[key]:
                continue
            committed = self.store.tables[key[0]].get(key[1])
            if hasattr(entity, "version"):
                loaded_version = self._snapshots[key]["version"]
                if committed is None or committed.version != loaded_version:  # type: ignore[attr-defined]
                    raise Conflict(
                        f"{key[0].__name__} {key[1]} was changed by someone else: reload and retry"
                    )
                entity.version = loaded_version + 1
            dirty.append((key, entity))
        for key in self._new:
            if key[1] in self.store.tables[key[0]]:
                raise Conflict(f"{key[0].__name__} {key[1]} already exists")
        return dirty

    def _check_unique(self, dirty: list[tuple[Key, m.Entity]]) -> None:
        # Only what this transaction changes overlays the committed rows: an unchanged copy
        # loaded earlier may be stale and must not hide someone else's committed value.
        changes = [*dirty, *self._new.items()]
        touched = {key[0] for key, _ in changes}
        for cls in touched:
            rules = UNIQUE_RULES.get(cls, ())
            if not rules:
                continue
            future = dict(self.store.tables[cls])
            future.update({k[1]: e for k, e in changes if k[0] is cls})
            for gone_cls, gone_id in self._removed:
                if gone_cls is cls:
                    future.pop(gone_id, None)
            for rule in rules:
                seen: dict[object, UUID] = {}
                for entity_id, entity in future.items():
                    value = rule.key(entity)
                    if value is None:
                        continue
                    if value in seen:
                        raise Conflict(f"{cls.__name__}: there is already {rule.description}")
                    seen[value] = entity_id

    # -- what repositories use ------------------------------------------------------------

    def track_new(self, entity: m.Entity) -> None:
        """Register a new entity of this organisation (repositories' ``add``)."""
        self._require_active()
        if _owner(entity) != self.organisation_id:
            raise Forbidden(f"{type(entity).__name__} belongs to another organisation")
        key = (type(entity), entity.id)
        if key in self._loaded or key in self._new:
            raise Conflict(f"{type(entity).__name__} {entity.id} is already in this transaction")
        self._new[key] = entity

    def remove(self, entity: m.Entity) -> None:
        """Mark a loaded or new entity for removal (association records only)."""
        self._require_active()
        key = (type(entity), entity.id)
        if self._new.pop(key, None) is None:
            if key not in self._loaded:
                raise Conflict(f"{type(entity).__name__} {entity.id} is not in this transaction")
            self._removed.add(key)

    def load(self, cls: type[E], entity_id: UUID) -> E | None:
        """This transaction's copy of an entity of this organisation, or None."""
        self._require_active()
        key = (cls, entity_id)
        if key in self._removed:
            return None
        found = self._loaded.get(key) or self._new.get(key)
        if found is None:
            with self.store.lock:
                committed = self.store.tables[cls].get(entity_id)
                if committed is None or _owner(committed) != self.organisation_id:
                    return None
                found = copy.deepcopy(committed)
            self._loaded[key] = found
            self._snapshots[key] = _fingerprint(found)
        return found  # type: ignore[return-value]

    def select(
        self,
        cls: type[E],
        where: Callable[[E], bool],
        order: Callable[[E], Any] | None = None,
    ) -> list[E]:
        """Entities of this organisation matching ``where``, as this transaction sees them."""
        self._require_active()
        with self.store.lock:
            committed = [
                e for e in self.store.tables[cls].values() if _owner(e) == self.organisation_id
            ]
        current: dict[UUID, m.Entity] = {e.id: e for e in committed}
        current.update({k[1]: e for k, e in self._loaded.items() if k[0] is cls})
        current.update({k[1]: e for k, e in self._new.items() if k[0] is cls})
        matches: list[E] = []
        for entity_id, entity in current.items():
            if (cls, entity_id) not in self._removed and where(entity):  # type: ignore[arg-type]
                loaded = self.load(cls, entity_id)
                # the committed row may have changed since it was tested: test this
                # transaction's own copy again
                if loaded is not None and (loaded is entity or where(loaded)):
                    matches.append(loaded)
        if order is not None:
            matches.sort(key=order)
        return matches
