"""The committed state that in-memory units of work share: a small process-local database."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs

from rocket_core import model as m

if TYPE_CHECKING:
    from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork


@attrs.frozen
class Unique:
    """A uniqueness rule like a SQL UNIQUE constraint: entities whose key is not None must
    not share it. ``key`` includes organisation_id where the rule is per organisation."""

    description: str
    key: Callable[[Any], Hashable | None]


def _live_enrolment(e: m.Enrolment) -> Hashable | None:
    return (e.student_id, e.cohort_id) if e.is_live else None


def _optional(value: Any, *rest: Any) -> Hashable | None:
    return None if value is None else (value, *rest)


#: The uniqueness rules of the data model, as the SQL schema will declare them.
UNIQUE_RULES: dict[type, tuple[Unique, ...]] = {
    m.Staff: (Unique("a staff member with this e-mail", lambda s: s.email),),
    m.Family: (
        Unique(
            "a family with this primary e-mail",
            lambda f: (f.organisation_id, f.primary_contact_email),
        ),
    ),
    m.Student: (
        Unique("a student with this login e-mail", lambda s: _optional(s.student_login_email)),
    ),
    m.CampusStaff: (Unique("this campus assignment", lambda a: (a.campus_id, a.staff_id)),),
    m.CohortStaff: (Unique("this cohort assignment", lambda a: (a.cohort_id, a.staff_id)),),
    m.SessionStaff: (Unique("this session assignment", lambda a: (a.session_id, a.staff_id)),),
    m.Session: (Unique("a session with this number", lambda s: (s.cohort_id, s.session_number)),),
    m.Enrolment: (Unique("a live enrolment of this student in this cohort", _live_enrolment),),
    m.Attendance: (
        Unique("a mark for this student at this session", lambda a: (a.session_id, a.student_id)),
    ),
    m.SkillProgress: (
        Unique("progress for this student and skill", lambda p: (p.student_id, p.skill_node_id)),
    ),
    m.Invoice: (
        Unique("an invoice with this number", lambda i: (i.organisation_id, i.invoice_number)),
    ),
    m.Payment: (
        Unique("a payment for this PaymentIntent", lambda p: _optional(p.stripe_payment_intent_id)),
    ),
    m.Refund: (Unique("a refund with this Stripe id", lambda r: _optional(r.stripe_refund_id)),),
    m.CreditNote: (
        Unique(
            "a credit note with this number",
            lambda n: (n.organisation_id, n.credit_note_number),
        ),
    ),
    m.WebhookEvent: (Unique("this provider event", lambda e: (e.provider, e.provider_event_id)),),
    m.StaffSession: (Unique("a session with this token", lambda s: s.token_hash),),
    m.Notification: (
        Unique(
            "a notification with this key",
            lambda n: _optional(n.dedupe_key and (n.organisation_id, n.dedupe_key)),
        ),
    ),
}


class MemoryStore:
    """Committed entities by type and id, shared by the units of work made from it.

    Units of work never hand out the stored objects: they work on copies and write copies
    back when they commit, under one lock, so a rolled-back change leaves no trace.
    """

    def __init__(self) -> None:
        self.tables: defaultdict[type, dict[UUID, m.Entity]] = defaultdict(dict)
        self.lock = threading.RLock()
        #: Row locks held by units of work until they end (``get_for_update``, numbers).
        self.row_locks: defaultdict[Hashable, threading.Lock] = defaultdict(threading.Lock)
        #: The last number handed out per document kind, organisation and year.
        self.counters: dict[tuple[str, UUID, int], int] = {}

    def unit_of_work(self, organisation_id: UUID) -> MemoryUnitOfWork:
        """A unit of work for one organisation over this store."""
        from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork

        return MemoryUnitOfWork(self, organisation_id)

    def find_login(self, email: str) -> tuple[UUID, UUID] | None:
        """(organisation id, staff id) of the staff member with this login e-mail."""
        wanted = email.strip().lower()
        with self.lock:
            for staff in self.tables[m.Staff].values():
                if isinstance(staff, m.Staff) and staff.email == wanted:
                    return staff.organisation_id, staff.id
        return None

    def count(self, cls: type) -> int:
        """How many committed entities of a type (all organisations)."""
        with self.lock:
            return len(self.tables[cls])
