"""The repository and unit-of-work contract that every persistence adapter must pass.

A backend's test module subclasses the contract classes below and provides one fixture,
``make_uow``: a callable ``organisation_id -> UnitOfWork`` over ONE backend that is fresh for
the test, so that two units of work made by it see the same committed data::

    @pytest.fixture
    def make_uow() -> UnitOfWorkFactory:
        return MemoryStore().unit_of_work

    class TestMemoryRepositories(RepositoryContract):
        pass

The contract is written against ``rocket_core.ports`` only. Entities are always added with
their parents (parents first), so a backend with foreign keys can run it unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.contracts import factories as f
from tests.contracts.factories import PERTH, School, at

from rocket_core import model as m
from rocket_core import rolls
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import Conflict, Forbidden, NotFound, RocketError
from rocket_core.events import EnrolmentStatusChanged, SessionCancelled
from rocket_core.ports import Repository, StaffAccess, UnitOfWork

MakeUow = Callable[[UUID], UnitOfWork]

#: The UnitOfWork attribute holding each entity type's repository.
REPOSITORY_OF: dict[type[m.Entity], str] = {
    m.Organisation: "organisations",
    m.Campus: "campuses",
    m.Staff: "staff",
    m.CampusStaff: "campus_staff",
    m.Program: "programs",
    m.Cohort: "cohorts",
    m.CohortStaff: "cohort_staff",
    m.Session: "sessions",
    m.SessionStaff: "session_staff",
    m.Family: "families",
    m.Student: "students",
    m.Enrolment: "enrolments",
    m.MakeupToken: "makeup_tokens",
    m.Attendance: "attendance",
    m.SkillTree: "skill_trees",
    m.SkillNode: "skill_nodes",
    m.SkillProgress: "skill_progress",
    m.ProjectSubmission: "projects",
    m.Invoice: "invoices",
    m.Payment: "payments",
    m.PaymentAllocation: "allocations",
    m.Refund: "refunds",
    m.CreditNote: "credit_notes",
    m.WebhookEvent: "webhook_events",
    m.Message: "messages",
    m.Notification: "notifications",
    m.StaffSession: "staff_sessions",
    m.AuditEntry: "audit",
}


class Boom(Exception):
    """An unexpected failure inside a transaction."""


# -- helpers ----------------------------------------------------------------------------------


def repository(uow: UnitOfWork, entity: m.Entity) -> Repository[Any]:
    """The unit of work's repository for this entity's type."""
    return getattr(uow, REPOSITORY_OF[type(entity)])  # type: ignore[no-any-return]


def organisation_of(entity: m.Entity) -> UUID:
    if isinstance(entity, m.Organisation):
        return entity.id
    return entity.organisation_id  # type: ignore[attr-defined, no-any-return]


def save(make_uow: MakeUow, *entities: m.Entity) -> None:
    """Add entities of one organisation (parents first) in one transaction and commit."""
    with make_uow(organisation_of(entities[0])) as uow:
        for entity in entities:
            repository(uow, entity).add(entity)
        uow.commit()


def fields_of(entity: m.Entity) -> dict[str, Any]:
    """Every field, recursing into value objects and child entities (attrs.asdict keeps
    tuples as tuples and lists as lists)."""
    return attrs.asdict(entity, recurse=True)  # type: ignore[arg-type]


def typed(value: Any) -> Any:
    """``value`` with the type of every leaf beside it, so that equality also compares types:
    Decimal is not float, an enum member is not its string, a tuple is not a list, and a
    naive datetime never equals an aware one (aware ones compare as instants)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(item) for item in value])
    if isinstance(value, datetime):
        return ("aware" if value.utcoffset() is not None else "NAIVE", value)
    return (type(value).__name__, value)


def assert_same_fields(actual: m.Entity, expected: dict[str, Any]) -> None:
    assert typed(fields_of(actual)) == typed(expected)


def ids(result: object) -> list[UUID]:
    """The ids a lookup returned, in order (None -> [], an entity -> [its id])."""
    if result is None:
        return []
    if isinstance(result, list):
        return [entity.id for entity in result]
    return [result.id]  # type: ignore[attr-defined]


#: A staff member's campus, cohort and session ids (``StaffAccess``).
Assignments = tuple[frozenset[UUID], frozenset[UUID], frozenset[UUID]]
NO_ASSIGNMENTS: Assignments = (frozenset(), frozenset(), frozenset())


def assignments(access: StaffAccess | m.SignedIn | None) -> Assignments | None:
    """The campus, cohort and session ids of a staff member's access (None: no access)."""
    if access is None:
        return None
    return (access.campus_ids, access.cohort_ids, access.session_ids)


def signed_in(session: m.StaffSession, staff: m.Staff, ids: Assignments) -> m.SignedIn:
    """What ``find_signed_in`` should read of a session of ``staff`` assigned to ``ids``."""
    return m.SignedIn(
        session_id=session.id,
        organisation_id=session.organisation_id,
        expires_at=session.expires_at,
        revoked_at=session.revoked_at,
        csrf_hash=session.csrf_hash,
        staff_id=staff.id,
        role=staff.role,
        first_name=staff.first_name,
        last_name=staff.last_name,
        is_active=staff.is_active,
        campus_ids=ids[0],
        cohort_ids=ids[1],
        session_ids=ids[2],
    )


def roll_members(
    uow: UnitOfWork, cohort_id: UUID, session_id: UUID, statuses: Collection[EnrolmentStatus]
) -> list[rolls.RollEnrolment]:
    """The enrolments of a roll's sheet (``rolls.sheet``), in its order."""
    return list(uow.rolls.sheet(cohort_id, session_id, statuses).enrolments)


def as_roll_enrolment(enrolment: m.Enrolment) -> rolls.RollEnrolment:
    """The value a roll's sheet should read of ``enrolment``."""
    return rolls.RollEnrolment(
        id=enrolment.id,
        student_id=enrolment.student_id,
        cohort_id=enrolment.cohort_id,
        status=enrolment.status,
        enrolment_date=enrolment.enrolment_date,
        start_date=enrolment.start_date,
        end_date=enrolment.end_date,
        trial_session_id=enrolment.trial_session_id,
    )


# -- what each repository offers --------------------------------------------------------------


@attrs.frozen
class Lookup:
    """A lookup method called so that its answer should include ``entity``."""

    name: str
    call: Callable[[Any, Any], object]


#: Lookups every repository offers, beside its own.
COMMON_LOOKUPS: tuple[Lookup, ...] = (
    Lookup("find_many", lambda r, e: r.find_many([e.id, uuid4()])),
)


@attrs.frozen
class RepositorySpec:
    attribute: str
    entity_name: str
    cls: type[m.Entity]
    pick: Callable[[School], Any]
    lookups: tuple[Lookup, ...]

    @property
    def every_lookup(self) -> tuple[Lookup, ...]:
        """The repository's own lookups and the common ones."""
        return (*self.lookups, *COMMON_LOOKUPS)


SPECS: tuple[RepositorySpec, ...] = (
    RepositorySpec(
        "organisations",
        "Organisation",
        m.Organisation,
        lambda s: s.organisation,
        (Lookup("current()", lambda r, e: r.current()),),
    ),
    RepositorySpec(
        "campuses",
        "Campus",
        m.Campus,
        lambda s: s.campus,
        (
            Lookup("list()", lambda r, e: r.list()),
            Lookup("list(active_only)", lambda r, e: r.list(active_only=True)),
        ),
    ),
    RepositorySpec(
        "staff",
        "Staff",
        m.Staff,
        lambda s: s.staff,
        (
            Lookup("find_by_email", lambda r, e: r.find_by_email(e.email.upper())),
            Lookup("list()", lambda r, e: r.list()),
            Lookup("list(role)", lambda r, e: r.list(role=e.role)),
            Lookup("list(active_only)", lambda r, e: r.list(active_only=True)),
        ),
    ),
    RepositorySpec(
        "campus_staff",
        "CampusStaff",
        m.CampusStaff,
        lambda s: s.campus_staff,
        (
            Lookup("find_assignment", lambda r, e: r.find_assignment(e.campus_id, e.staff_id)),
            Lookup("list_for_campus", lambda r, e: r.list_for_campus(e.campus_id)),
            Lookup("list_for_staff", lambda r, e: r.list_for_staff(e.staff_id)),
        ),
    ),
    RepositorySpec(
        "programs",
        "Program",
        m.Program,
        lambda s: s.program,
        (
            Lookup("list()", lambda r, e: r.list()),
            Lookup("list(active_only)", lambda r, e: r.list(active_only=True)),
        ),
    ),
    RepositorySpec(
        "cohorts",
        "Cohort",
        m.Cohort,
        lambda s: s.cohort,
        (
            Lookup("list()", lambda r, e: r.list()),
            Lookup("list(campus_id)", lambda r, e: r.list(campus_id=e.campus_id)),
            Lookup("list(program_id)", lambda r, e: r.list(program_id=e.program_id)),
            Lookup("list(statuses)", lambda r, e: r.list(statuses=[e.status])),
            Lookup(
                "list(all filters)",
                lambda r, e: r.list(
                    campus_id=e.campus_id, program_id=e.program_id, statuses={e.status}
                ),
            ),
        ),
    ),
    RepositorySpec(
        "cohort_staff",
        "CohortStaff",
        m.CohortStaff,
        lambda s: s.cohort_staff,
        (
            Lookup("list_for_cohort", lambda r, e: r.list_for_cohort(e.cohort_id)),
            Lookup("list_for_staff", lambda r, e: r.list_for_staff(e.staff_id)),
            Lookup("find_assignment", lambda r, e: r.find_assignment(e.cohort_id, e.staff_id)),
        ),
    ),
    RepositorySpec(
        "sessions",
        "Session",
        m.Session,
        lambda s: s.session,
        (
            Lookup("list_for_cohort", lambda r, e: r.list_for_cohort(e.cohort_id)),
            Lookup(
                "list_between",
                lambda r, e: r.list_between(e.scheduled_date, e.scheduled_date),
            ),
            Lookup(
                "list_for_staff",
                lambda r, e: r.list_for_staff(
                    e.lead_instructor_id, e.scheduled_date, e.scheduled_date
                ),
            ),
        ),
    ),
    RepositorySpec(
        "session_staff",
        "SessionStaff",
        m.SessionStaff,
        lambda s: s.session_staff,
        (
            Lookup("list_for_session", lambda r, e: r.list_for_session(e.session_id)),
            Lookup("list_for_staff", lambda r, e: r.list_for_staff(e.staff_id)),
        ),
    ),
    RepositorySpec(
        "families",
        "Family",
        m.Family,
        lambda s: s.family,
        (
            Lookup("find_by_email", lambda r, e: r.find_by_email(e.primary_contact_email.upper())),
            Lookup("list()", lambda r, e: r.list()),
            Lookup("list(active_only)", lambda r, e: r.list(active_only=True)),
        ),
    ),
    RepositorySpec(
        "students",
        "Student",
        m.Student,
        lambda s: s.student,
        (Lookup("list_for_family", lambda r, e: r.list_for_family(e.family_id)),),
    ),
    RepositorySpec(
        "enrolments",
        "Enrolment",
        m.Enrolment,
        lambda s: s.waitlisted,
        (
            Lookup("list_for_cohort", lambda r, e: r.list_for_cohort(e.cohort_id)),
            Lookup(
                "list_for_cohort(statuses)",
                lambda r, e: r.list_for_cohort(e.cohort_id, statuses=[e.status]),
            ),
            Lookup("list_for_student", lambda r, e: r.list_for_student(e.student_id)),
            Lookup("find_live", lambda r, e: r.find_live(e.student_id, e.cohort_id)),
            Lookup("waitlist", lambda r, e: r.waitlist(e.cohort_id)),
        ),
    ),
    RepositorySpec(
        "makeup_tokens",
        "MakeupToken",
        m.MakeupToken,
        lambda s: s.makeup_token,
        (
            Lookup("list_for_student", lambda r, e: r.list_for_student(e.student_id)),
            Lookup(
                "list_for_student(status)",
                lambda r, e: r.list_for_student(e.student_id, status=e.status),
            ),
            Lookup("list_for_enrolment", lambda r, e: r.list_for_enrolment(e.enrolment_id)),
            Lookup(
                "list_expired",
                lambda r, e: r.list_expired(e.expires_on + timedelta(days=1)),
            ),
        ),
    ),
    RepositorySpec(
        "attendance",
        "Attendance",
        m.Attendance,
        lambda s: s.attendance,
        (
            Lookup("find_for", lambda r, e: r.find_for(e.session_id, e.student_id)),
            Lookup("list_for_session", lambda r, e: r.list_for_session(e.session_id)),
            Lookup("list_for_student", lambda r, e: r.list_for_student(e.student_id)),
        ),
    ),
    RepositorySpec(
        "skill_trees",
        "SkillTree",
        m.SkillTree,
        lambda s: s.skill_tree,
        (Lookup("list()", lambda r, e: r.list()),),
    ),
    RepositorySpec(
        "skill_nodes",
        "SkillNode",
        m.SkillNode,
        lambda s: s.child_node,
        (Lookup("list_for_tree", lambda r, e: r.list_for_tree(e.skill_tree_id)),),
    ),
    RepositorySpec(
        "skill_progress",
        "SkillProgress",
        m.SkillProgress,
        lambda s: s.skill_progress,
        (
            Lookup("find_for", lambda r, e: r.find_for(e.student_id, e.skill_node_id)),
            Lookup("list_for_student", lambda r, e: r.list_for_student(e.student_id)),
            Lookup("list_for_node", lambda r, e: r.list_for_node(e.skill_node_id)),
            Lookup(
                "list_for_node of students",
                lambda r, e: r.list_for_node(e.skill_node_id, [uuid4(), e.student_id]),
            ),
        ),
    ),
    RepositorySpec(
        "projects",
        "ProjectSubmission",
        m.ProjectSubmission,
        lambda s: s.project,
        (
            Lookup("list_for_cohort", lambda r, e: r.list_for_cohort(e.cohort_id)),
            Lookup("list_for_student", lambda r, e: r.list_for_student(e.student_id)),
        ),
    ),
    RepositorySpec(
        "invoices",
        "Invoice",
        m.Invoice,
        lambda s: s.invoice,
        (
            Lookup("find_by_number", lambda r, e: r.find_by_number(e.invoice_number)),
            Lookup("list_for_family", lambda r, e: r.list_for_family(e.family_id)),
            Lookup("list_for_enrolment", lambda r, e: r.list_for_enrolment(e.enrolment_id)),
            Lookup(
                "list_open_due_before",
                lambda r, e: r.list_open_due_before(e.due_date + timedelta(days=1)),
            ),
        ),
    ),
    RepositorySpec(
        "payments",
        "Payment",
        m.Payment,
        lambda s: s.payment,
        (
            Lookup("list_for_family", lambda r, e: r.list_for_family(e.family_id)),
            Lookup("list_for_invoice", lambda r, e: r.list_for_invoice(e.invoice_id)),
            Lookup(
                "find_by_payment_intent",
                lambda r, e: r.find_by_payment_intent(e.stripe_payment_intent_id),
            ),
        ),
    ),
    RepositorySpec(
        "allocations",
        "PaymentAllocation",
        m.PaymentAllocation,
        lambda s: s.allocation,
        (
            Lookup("list_for_payment", lambda r, e: r.list_for_payment(e.payment_id)),
            Lookup("list_for_invoice", lambda r, e: r.list_for_invoice(e.invoice_id)),
        ),
    ),
    RepositorySpec(
        "refunds",
        "Refund",
        m.Refund,
        lambda s: s.refund,
        (
            Lookup("list_for_payment", lambda r, e: r.list_for_payment(e.payment_id)),
            Lookup("list_for_family", lambda r, e: r.list_for_family(e.family_id)),
            Lookup(
                "find_by_stripe_refund", lambda r, e: r.find_by_stripe_refund(e.stripe_refund_id)
            ),
        ),
    ),
    RepositorySpec(
        "credit_notes",
        "CreditNote",
        m.CreditNote,
        lambda s: s.credit_note,
        (
            Lookup("list_for_invoice", lambda r, e: r.list_for_invoice(e.invoice_id)),
            Lookup("list_for_family", lambda r, e: r.list_for_family(e.family_id)),
        ),
    ),
    RepositorySpec(
        "webhook_events",
        "WebhookEvent",
        m.WebhookEvent,
        lambda s: s.webhook_event,
        (
            Lookup(
                "find_by_provider_event",
                lambda r, e: r.find_by_provider_event(e.provider, e.provider_event_id),
            ),
        ),
    ),
    RepositorySpec(
        "messages",
        "Message",
        m.Message,
        lambda s: s.message,
        (
            Lookup("list_thread", lambda r, e: r.list_thread(e.thread_id)),
            Lookup("list_for_family", lambda r, e: r.list_for_family(e.recipient_family_id)),
            Lookup("list_for_staff", lambda r, e: r.list_for_staff(e.sender_staff_id)),
        ),
    ),
    RepositorySpec(
        "notifications",
        "Notification",
        m.Notification,
        lambda s: s.notification,
        (
            Lookup("claim_due", lambda r, e: r.claim_due(at(2100, 1, 1), 100)),
            Lookup("find_by_dedupe_key", lambda r, e: r.find_by_dedupe_key(e.dedupe_key)),
            Lookup("list_for_family", lambda r, e: r.list_for_family(e.recipient_family_id)),
        ),
    ),
    RepositorySpec(
        "staff_sessions",
        "StaffSession",
        m.StaffSession,
        lambda s: s.staff_session,
        (
            Lookup("find_by_token_hash", lambda r, e: r.find_by_token_hash(e.token_hash)),
            Lookup(
                "list_live_for_staff",
                lambda r, e: r.list_live_for_staff(e.staff_id, at(2026, 2, 6, 12)),
            ),
        ),
    ),
    RepositorySpec(
        "audit",
        "AuditEntry",
        m.AuditEntry,
        lambda s: s.audit_entry,
        (Lookup("list_for_entity", lambda r, e: r.list_for_entity(e.entity_id)),),
    ),
)

SPEC_PARAMS = [pytest.param(spec, id=spec.attribute) for spec in SPECS]
LOOKUP_PARAMS = [
    pytest.param(spec, lookup, id=f"{spec.attribute}.{lookup.name}")
    for spec in SPECS
    for lookup in spec.every_lookup
]
ASSOCIATION_PARAMS = [
    pytest.param(spec, id=spec.attribute)
    for spec in SPECS
    if spec.attribute in ("campus_staff", "cohort_staff", "session_staff")
]


@attrs.frozen
class Mutation:
    """A change to one entity of a saved school, as a service would make it."""

    attribute: str
    pick: Callable[[School], Any]
    change: Callable[[Any, School], object]


MUTATIONS: dict[str, Mutation] = {
    "organisation settings and name": Mutation(
        "organisations",
        lambda s: s.organisation,
        lambda e, s: e.update(
            name="Rocket Academy Renamed",
            settings=attrs.evolve(e.settings, gst_rate=Decimal("0.12"), invoice_due_days=30),
        ),
    ),
    "campus closure dates": Mutation(
        "campuses",
        lambda s: s.campus,
        lambda e, s: e.update(
            closure_dates=(
                *e.closure_dates,
                m.ClosureDate(day=date(2026, 6, 8), reason="King's Birthday"),
            ),
            is_active=False,
        ),
    ),
    "staff qualifications, role and e-mail": Mutation(
        "staff",
        lambda s: s.staff,
        lambda e, s: e.update(
            qualifications=(*e.qualifications[1:], m.Qualification(name="Python Institute")),
            role=m.StaffRole.CAMPUS_MANAGER,
            email=f"Renamed.{e.email}",
        ),
    ),
    "campus assignment date": Mutation(
        "campus_staff",
        lambda s: s.campus_staff,
        lambda e, s: e.update(assigned_at=at(2026, 3, 1, 8, 0, 0, 8)),
    ),
    "program price": Mutation(
        "programs",
        lambda s: s.program,
        lambda e, s: e.update(default_price=Decimal("499.99"), skill_level=None),
    ),
    "cohort seat taken": Mutation("cohorts", lambda s: s.cohort, lambda e, s: e.take_seat()),
    "cohort attention cleared": Mutation(
        "cohorts", lambda s: s.cohort, lambda e, s: e.update(attention=None)
    ),
    "cohort staff role": Mutation(
        "cohort_staff",
        lambda s: s.cohort_staff,
        lambda e, s: e.update(role=m.CohortStaffRole.TEACHING_ASSISTANT),
    ),
    "session cancelled": Mutation(
        "sessions", lambda s: s.session, lambda e, s: e.cancel("Campus flooded")
    ),
    "session assignment date": Mutation(
        "session_staff",
        lambda s: s.session_staff,
        lambda e, s: e.update(assigned_at=at(2026, 2, 1, 7, 30, tz=PERTH)),
    ),
    "family balance": Mutation(
        "families",
        lambda s: s.family,
        lambda e, s: e.update(account_balance=Decimal("250.05"), family_name=None),
    ),
    "student names": Mutation(
        "students",
        lambda s: s.student,
        lambda e, s: e.update(preferred_name=None, student_login_email=None),
    ),
    "enrolment completed": Mutation(
        "enrolments", lambda s: s.enrolment, lambda e, s: e.complete(on=date(2026, 4, 11))
    ),
    "enrolment moved in waitlist": Mutation(
        "enrolments", lambda s: s.waitlisted, lambda e, s: e.move_in_waitlist(3)
    ),
    "enrolment offered a seat": Mutation(
        "enrolments",
        lambda s: s.waitlisted,
        lambda e, s: e.offer_seat(until=at(2026, 3, 4, 21, 0, 0, 654321, tz=PERTH)),
    ),
    "makeup token redeemed": Mutation(
        "makeup_tokens",
        lambda s: s.makeup_token,
        lambda e, s: e.redeem(
            session_id=s.session.id, at=at(2026, 3, 7, 9, 31, 0, 7, tz=PERTH), on=date(2026, 3, 7)
        ),
    ),
    "makeup token expired": Mutation(
        "makeup_tokens", lambda s: s.makeup_token, lambda e, s: e.expire(date(2026, 6, 8))
    ),
    "attendance re-marked": Mutation(
        "attendance",
        lambda s: s.attendance,
        lambda e, s: e.mark(
            m.AttendanceStatus.LATE, by=s.staff.id, at=at(2026, 2, 7, 13, 0), notes="Bus"
        ),
    ),
    "skill tree description": Mutation(
        "skill_trees", lambda s: s.skill_tree, lambda e, s: e.update(description=None)
    ),
    "skill node order": Mutation(
        "skill_nodes", lambda s: s.child_node, lambda e, s: e.update(order=7, name="While loops")
    ),
    "skill progress regression with history": Mutation(
        "skill_progress",
        lambda s: s.skill_progress,
        lambda e, s: e.set_status(
            m.SkillStatus.IN_PROGRESS, by=s.staff.id, at=at(2026, 3, 1, 10, 0, 0, 1)
        ),
    ),
    "project regraded": Mutation(
        "projects",
        lambda s: s.project,
        lambda e, s: e.update(
            score=Decimal("91.25"), rubric_scores={"logic": Decimal("10.00")}, feedback="Wow"
        ),
    ),
    "invoice payment applied": Mutation(
        "invoices", lambda s: s.invoice, lambda e, s: e.apply_payment(Decimal("34.56"))
    ),
    "invoice credited": Mutation(
        "invoices", lambda s: s.invoice, lambda e, s: e.apply_credit_note(Decimal("1000.00"))
    ),
    "invoice overdue": Mutation("invoices", lambda s: s.invoice, lambda e, s: e.mark_overdue()),
    "refund succeeded": Mutation(
        "refunds",
        lambda s: s.refund,
        lambda e, s: e.update(
            status=m.RefundStatus.SUCCEEDED, stripe_refund_id=f"re_done_{f.serial():08d}"
        ),
    ),
    "payment notes": Mutation(
        "payments",
        lambda s: s.payment,
        lambda e, s: e.update(notes="Receipt e-mailed", amount=Decimal("100.01")),
    ),
    "message read": Mutation(
        "messages", lambda s: s.message, lambda e, s: e.mark_read(at(2026, 2, 7, 18, 30))
    ),
    "session revoked": Mutation(
        "staff_sessions",
        lambda s: s.staff_session,
        lambda e, s: e.revoke(at(2026, 2, 6, 18)),
    ),
    "notification sent": Mutation(
        "notifications",
        lambda s: s.notification,
        lambda e, s: e.update(status=m.NotificationStatus.SENT, sent_at=at(2026, 2, 6, 17, 1)),
    ),
}
MUTATION_PARAMS = [pytest.param(mutation, id=name) for name, mutation in MUTATIONS.items()]


@attrs.frozen
class Duplicate:
    """A new entity breaking a uniqueness rule against the saved school ``existing``;
    it belongs to ``target`` (the same school, or another organisation's)."""

    make: Callable[[School, School], m.Entity]
    other_organisation: bool = False


DUPLICATES: dict[str, Duplicate] = {
    "staff e-mail in other letter case": Duplicate(
        lambda existing, target: f.staff(
            target.organisation.id, email=existing.staff.email.upper()
        ),
    ),
    "staff e-mail in another organisation": Duplicate(
        lambda existing, target: f.staff(
            target.organisation.id, email=existing.staff.email.title()
        ),
        other_organisation=True,
    ),
    "family primary e-mail": Duplicate(
        lambda existing, target: f.family(
            target.organisation.id,
            primary_contact_email=existing.family.primary_contact_email.upper(),
        ),
    ),
    "student login e-mail": Duplicate(
        lambda existing, target: f.student(
            target.family, student_login_email=existing.student.student_login_email
        ),
    ),
    "second live enrolment of a student in a cohort": Duplicate(
        lambda existing, target: f.enrolment(existing.student, existing.cohort),
    ),
    "second live enrolment of a waitlisted student": Duplicate(
        lambda existing, target: f.enrolment(
            existing.sibling, existing.cohort, status=EnrolmentStatus.TRIAL
        ),
    ),
    "attendance mark": Duplicate(
        lambda existing, target: f.attendance(
            existing.session, existing.enrolment, status=m.AttendanceStatus.ABSENT
        ),
    ),
    "invoice number": Duplicate(
        lambda existing, target: f.invoice(
            existing.family, invoice_number=existing.invoice.invoice_number
        ),
    ),
    "stripe payment intent": Duplicate(
        lambda existing, target: f.payment(
            existing.family,
            stripe_payment_intent_id=existing.payment.stripe_payment_intent_id,
        ),
    ),
    "credit note number": Duplicate(
        lambda existing, target: f.credit_note(
            existing.invoice, credit_note_number=existing.credit_note.credit_note_number
        ),
    ),
    "stripe refund": Duplicate(
        lambda existing, target: f.refund(
            existing.payment, stripe_refund_id=existing.refund.stripe_refund_id
        ),
    ),
    "session token": Duplicate(
        lambda existing, target: f.staff_session(
            existing.staff, token_hash=existing.staff_session.token_hash
        ),
    ),
    "notification key": Duplicate(
        lambda existing, target: f.notification(
            existing.family, dedupe_key=existing.notification.dedupe_key
        ),
    ),
    "provider event": Duplicate(
        lambda existing, target: f.webhook_event(
            target.organisation.id,
            provider_event_id=existing.webhook_event.provider_event_id,
            event_type="charge.refunded",
        ),
    ),
    # Provider event ids are the provider's, unique across its accounts: one record, whichever
    # organisation processed it.
    "provider event in another organisation": Duplicate(
        lambda existing, target: f.webhook_event(
            target.organisation.id, provider_event_id=existing.webhook_event.provider_event_id
        ),
        other_organisation=True,
    ),
    "campus assignment": Duplicate(
        lambda existing, target: f.campus_staff(existing.campus, existing.staff),
    ),
    "cohort assignment": Duplicate(
        lambda existing, target: f.cohort_staff(
            existing.cohort, existing.staff, role=m.CohortStaffRole.TEACHING_ASSISTANT
        ),
    ),
    "session assignment": Duplicate(
        lambda existing, target: f.session_staff(existing.session, existing.staff),
    ),
    "session number in a cohort": Duplicate(
        lambda existing, target: f.session(
            existing.cohort, session_number=existing.session.session_number
        ),
    ),
    "skill progress of a student on a node": Duplicate(
        lambda existing, target: f.skill_progress(existing.student, existing.child_node),
    ),
}
DUPLICATE_PARAMS = [pytest.param(case, id=name) for name, case in DUPLICATES.items()]


# -- fixtures shared by the contract classes --------------------------------------------------


class _Schools:
    """Two saved organisations, each with a whole school."""

    @pytest.fixture
    def school(self, make_uow: MakeUow) -> School:
        built = f.school()
        save(make_uow, *built.entities())
        return built

    @pytest.fixture
    def other_school(self, make_uow: MakeUow) -> School:
        built = f.school()
        save(make_uow, *built.entities())
        return built

    @pytest.fixture
    def org(self, make_uow: MakeUow) -> m.Organisation:
        """A saved organisation with nothing else in it."""
        organisation = f.organisation()
        save(make_uow, organisation)
        return organisation


# -- every repository: round trip, not found, tenancy -----------------------------------------


class RepositoryContract(_Schools):
    """What every repository of the unit of work does with its entities."""

    @pytest.mark.parametrize("spec", SPEC_PARAMS)
    def test_added_entities_come_back_equal_field_by_field(
        self, make_uow: MakeUow, spec: RepositorySpec
    ) -> None:
        school = f.school()
        originals = [e for e in school.entities() if type(e) is spec.cls]
        expected = {e.id: fields_of(e) for e in originals}
        save(make_uow, *school.entities())
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            for original in originals:
                found = repo.find(original.id)
                assert type(found) is spec.cls
                assert found is not original
                assert_same_fields(found, expected[original.id])
                assert repo.get(original.id) is found

    @pytest.mark.parametrize("spec", SPEC_PARAMS)
    def test_unknown_id_is_not_found_and_get_names_the_entity(
        self, make_uow: MakeUow, school: School, spec: RepositorySpec
    ) -> None:
        unknown = uuid4()
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            assert repo.find(unknown) is None
            with pytest.raises(NotFound) as caught:
                repo.get(unknown)
        assert caught.value.entity == spec.entity_name
        assert caught.value.key == unknown
        assert spec.entity_name in str(caught.value)
        assert str(unknown) in str(caught.value)

    @pytest.mark.parametrize("spec", SPEC_PARAMS)
    def test_entity_of_another_organisation_is_not_found(
        self, make_uow: MakeUow, school: School, other_school: School, spec: RepositorySpec
    ) -> None:
        theirs = spec.pick(school)
        with make_uow(other_school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            assert repo.find(theirs.id) is None
            with pytest.raises(NotFound) as caught:
                repo.get(theirs.id)
            assert repo.find(spec.pick(other_school).id) is not None
        assert caught.value.entity == spec.entity_name

    @pytest.mark.parametrize(("spec", "lookup"), LOOKUP_PARAMS)
    def test_lookup_finds_the_entity_in_its_organisation(
        self, make_uow: MakeUow, school: School, spec: RepositorySpec, lookup: Lookup
    ) -> None:
        entity = spec.pick(school)
        with make_uow(school.organisation.id) as uow:
            found = lookup.call(getattr(uow, spec.attribute), entity)
            assert entity.id in ids(found)

    @pytest.mark.parametrize(("spec", "lookup"), LOOKUP_PARAMS)
    def test_lookup_never_returns_another_organisations_entity(
        self,
        make_uow: MakeUow,
        school: School,
        other_school: School,
        spec: RepositorySpec,
        lookup: Lookup,
    ) -> None:
        theirs, ours = spec.pick(school), spec.pick(other_school)
        with make_uow(other_school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            assert theirs.id not in ids(lookup.call(repo, theirs))
            assert theirs.id not in ids(lookup.call(repo, ours))
            assert ours.id in ids(lookup.call(repo, ours))

    @pytest.mark.parametrize("spec", SPEC_PARAMS)
    def test_adding_an_entity_of_another_organisation_is_forbidden(
        self, make_uow: MakeUow, school: School, spec: RepositorySpec
    ) -> None:
        foreign = spec.pick(f.school())
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            with pytest.raises(Forbidden):
                repo.add(foreign)
            uow.commit()
        with make_uow(organisation_of(foreign)) as uow:
            assert getattr(uow, spec.attribute).find(foreign.id) is None

    @pytest.mark.parametrize("mutation", MUTATION_PARAMS)
    def test_committed_modification_is_visible_in_the_next_transaction(
        self, make_uow: MakeUow, school: School, mutation: Mutation
    ) -> None:
        entity_id = mutation.pick(school).id
        with make_uow(school.organisation.id) as uow:
            entity = getattr(uow, mutation.attribute).get(entity_id)
            before = fields_of(entity)
            mutation.change(entity, school)
            expected = fields_of(entity)
            uow.commit()
        assert expected != before
        if "version" in expected:
            expected["version"] = before["version"] + 1
        with make_uow(school.organisation.id) as uow:
            assert_same_fields(getattr(uow, mutation.attribute).get(entity_id), expected)

    @pytest.mark.parametrize("mutation", MUTATION_PARAMS)
    def test_modification_without_commit_is_discarded(
        self, make_uow: MakeUow, school: School, mutation: Mutation
    ) -> None:
        entity_id = mutation.pick(school).id
        with make_uow(school.organisation.id) as uow:
            entity = getattr(uow, mutation.attribute).get(entity_id)
            before = fields_of(entity)
            mutation.change(entity, school)
            assert fields_of(entity) != before
        with make_uow(school.organisation.id) as uow:
            assert_same_fields(getattr(uow, mutation.attribute).get(entity_id), before)

    @pytest.mark.parametrize("mutation", MUTATION_PARAMS)
    def test_modification_before_an_exception_is_discarded(
        self, make_uow: MakeUow, school: School, mutation: Mutation
    ) -> None:
        entity_id = mutation.pick(school).id
        before: dict[str, Any] = {}

        def change_then_fail() -> None:
            with make_uow(school.organisation.id) as uow:
                entity = getattr(uow, mutation.attribute).get(entity_id)
                before.update(fields_of(entity))
                mutation.change(entity, school)
                raise Boom

        with pytest.raises(Boom):
            change_then_fail()
        with make_uow(school.organisation.id) as uow:
            assert_same_fields(getattr(uow, mutation.attribute).get(entity_id), before)

    @pytest.mark.parametrize("spec", ASSOCIATION_PARAMS)
    def test_removed_association_is_gone_after_commit(
        self, make_uow: MakeUow, school: School, spec: RepositorySpec
    ) -> None:
        assignment = spec.pick(school)
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            repo.remove(repo.get(assignment.id))
            uow.commit()
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            assert repo.find(assignment.id) is None
            for lookup in spec.every_lookup:
                assert assignment.id not in ids(lookup.call(repo, assignment)), lookup.name

    @pytest.mark.parametrize("spec", ASSOCIATION_PARAMS)
    def test_removal_without_commit_is_discarded(
        self, make_uow: MakeUow, school: School, spec: RepositorySpec
    ) -> None:
        assignment = spec.pick(school)
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            repo.remove(repo.get(assignment.id))
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            assert repo.find(assignment.id) is not None
            for lookup in spec.every_lookup:
                assert assignment.id in ids(lookup.call(repo, assignment)), lookup.name

    @pytest.mark.parametrize("spec", ASSOCIATION_PARAMS)
    def test_a_removed_assignment_can_be_made_again(
        self, make_uow: MakeUow, school: School, spec: RepositorySpec
    ) -> None:
        assignment = spec.pick(school)
        again = attrs.evolve(assignment, id=m.new_id(), assigned_at=at(2026, 5, 1))
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            repo.remove(repo.get(assignment.id))
            uow.commit()
        save(make_uow, again)
        with make_uow(school.organisation.id) as uow:
            repo = getattr(uow, spec.attribute)
            for lookup in spec.every_lookup:
                assert ids(lookup.call(repo, again)) == [again.id], lookup.name


# -- the lookups' filters and orderings -------------------------------------------------------


class LookupContract(_Schools):
    """Each port's lookup methods: filters and orderings as their docstrings promise."""

    def test_current_organisation(self, make_uow: MakeUow, school: School) -> None:
        with make_uow(school.organisation.id) as uow:
            assert uow.organisations.current() is uow.organisations.get(school.organisation.id)
        unknown = uuid4()
        with make_uow(unknown) as uow, pytest.raises(NotFound) as caught:
            uow.organisations.current()
        assert (caught.value.entity, caught.value.key) == ("Organisation", unknown)

    def test_find_many_returns_this_organisations_entities_with_those_ids(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        ours = [school.student.id, school.sibling.id]
        with make_uow(school.organisation.id) as uow:
            students = uow.students
            found = students.find_many([uuid4(), *ours, other_school.student.id, uuid4()])
            assert sorted(ids(found)) == sorted(ours)
            assert all(entity is students.get(entity.id) for entity in found)
            assert students.find_many([]) == []
            assert students.find_many([uuid4(), other_school.sibling.id]) == []
            assert ids(students.find_many([school.student.id] * 3)) == [school.student.id]
            # An id of another entity type is not a student.
            assert students.find_many([school.family.id, school.enrolment.id]) == []

    def test_find_many_sees_the_transactions_own_additions(
        self, make_uow: MakeUow, school: School
    ) -> None:
        added = f.campus(school.organisation.id)
        with make_uow(school.organisation.id) as uow:
            uow.campuses.add(added)
            found = uow.campuses.find_many([added.id, school.campus.id])
            assert sorted(ids(found)) == sorted([added.id, school.campus.id])
            assert added in found

    def test_find_many_takes_a_long_list_of_ids(self, make_uow: MakeUow, school: School) -> None:
        wanted = {school.enrolment.id, school.waitlisted.id, school.lapsed_offer.id}
        unknown = {uuid4() for _ in range(1200)}
        with make_uow(school.organisation.id) as uow:
            found = uow.enrolments.find_many(unknown | wanted)
            assert set(ids(found)) == wanted
            assert len(found) == len(wanted)

    def test_campuses_by_name_and_active_only(self, make_uow: MakeUow, org: m.Organisation) -> None:
        carlton = f.campus(org.id, name="Carlton")
        altona = f.campus(org.id, name="Altona")
        box_hill = f.campus(org.id, name="Box Hill", is_active=False)
        save(make_uow, carlton, altona, box_hill)
        with make_uow(org.id) as uow:
            assert ids(uow.campuses.list()) == ids([altona, box_hill, carlton])
            assert ids(uow.campuses.list(active_only=True)) == ids([altona, carlton])

    def test_staff_find_by_email_ignores_letter_case(
        self, make_uow: MakeUow, org: m.Organisation
    ) -> None:
        grace = f.staff(org.id, email=f"Grace.Hopper{f.serial()}@Navy.example")
        save(make_uow, grace)
        with make_uow(org.id) as uow:
            assert ids(uow.staff.find_by_email(grace.email)) == [grace.id]
            assert ids(uow.staff.find_by_email(grace.email.upper())) == [grace.id]
            assert uow.staff.find_by_email("nobody@navy.example") is None

    def test_staff_by_last_then_first_name_filtered_by_role_and_activity(
        self, make_uow: MakeUow, org: m.Organisation
    ) -> None:
        lead, ta = m.StaffRole.LEAD_INSTRUCTOR, m.StaffRole.TEACHING_ASSISTANT
        ada = f.staff(org.id, first_name="Ada", last_name="Lovelace", role=lead)
        grace = f.staff(org.id, first_name="Grace", last_name="Hopper", role=ta)
        alan = f.staff(org.id, first_name="Alan", last_name="Hopper", role=lead, is_active=False)
        edsger = f.staff(
            org.id, first_name="Edsger", last_name="Dijkstra", role=m.StaffRole.FRONT_DESK
        )
        save(make_uow, ada, grace, alan, edsger)
        with make_uow(org.id) as uow:
            assert ids(uow.staff.list()) == ids([edsger, alan, grace, ada])
            assert ids(uow.staff.list(role=lead)) == ids([alan, ada])
            assert ids(uow.staff.list(active_only=True)) == ids([edsger, grace, ada])
            assert ids(uow.staff.list(role=lead, active_only=True)) == ids([ada])
            assert uow.staff.list(role=m.StaffRole.SUPER_ADMIN) == []

    def test_campus_staff_assignments(self, make_uow: MakeUow, org: m.Organisation) -> None:
        north, south = f.campus(org.id), f.campus(org.id)
        first, second = f.staff(org.id), f.staff(org.id)
        late = f.campus_staff(north, first, assigned_at=at(2026, 3, 1))
        early = f.campus_staff(north, second, assigned_at=at(2026, 1, 1))
        elsewhere = f.campus_staff(south, first, assigned_at=at(2026, 2, 1))
        save(make_uow, north, south, first, second, late, early, elsewhere)
        with make_uow(org.id) as uow:
            assert ids(uow.campus_staff.find_assignment(north.id, first.id)) == [late.id]
            assert uow.campus_staff.find_assignment(south.id, second.id) is None
            assert ids(uow.campus_staff.list_for_campus(north.id)) == ids([early, late])
            assert ids(uow.campus_staff.list_for_staff(first.id)) == ids([elsewhere, late])
            assert uow.campus_staff.list_for_campus(uuid4()) == []

    def test_programs_by_name_and_active_only(self, make_uow: MakeUow, org: m.Organisation) -> None:
        python = f.program(org.id, name="Python")
        arduino = f.program(org.id, name="Arduino")
        minecraft = f.program(org.id, name="Minecraft", is_active=False)
        save(make_uow, python, arduino, minecraft)
        with make_uow(org.id) as uow:
            assert ids(uow.programs.list()) == ids([arduino, minecraft, python])
            assert ids(uow.programs.list(active_only=True)) == ids([arduino, python])

    def test_cohorts_by_start_date_then_name_with_filters(
        self, make_uow: MakeUow, org: m.Organisation
    ) -> None:
        east, west = f.campus(org.id), f.campus(org.id)
        scratch, python = f.program(org.id), f.program(org.id)
        march = date(2026, 3, 7)
        sat_b = f.cohort(scratch, east, name="Saturday B", start_date=march)
        sun_z = f.cohort(
            python, east, name="Sunday Z", start_date=date(2026, 2, 1), status=m.CohortStatus.DRAFT
        )
        sat_a = f.cohort(
            scratch,
            west,
            name="Saturday A",
            start_date=march,
            status=m.CohortStatus.FULL,
            max_capacity=3,
            current_enrolments=3,
        )
        monday = f.cohort(
            python,
            west,
            name="Monday",
            start_date=date(2026, 4, 1),
            end_date=date(2026, 6, 1),
            status=m.CohortStatus.CANCELLED,
        )
        save(make_uow, east, west, scratch, python, sat_b, sun_z, sat_a, monday)
        open_or_full = {m.CohortStatus.OPEN, m.CohortStatus.FULL}
        with make_uow(org.id) as uow:
            cohorts = uow.cohorts
            assert ids(cohorts.list()) == ids([sun_z, sat_a, sat_b, monday])
            assert ids(cohorts.list(campus_id=east.id)) == ids([sun_z, sat_b])
            assert ids(cohorts.list(program_id=scratch.id)) == ids([sat_a, sat_b])
            assert ids(cohorts.list(statuses=open_or_full)) == ids([sat_a, sat_b])
            assert ids(cohorts.list(statuses=[m.CohortStatus.CANCELLED])) == ids([monday])
            assert ids(
                cohorts.list(campus_id=west.id, program_id=scratch.id, statuses=open_or_full)
            ) == ids([sat_a])
            assert cohorts.list(campus_id=east.id, statuses=[m.CohortStatus.FULL]) == []
            assert cohorts.list(statuses=[]) == []

    def test_cohort_staff_oldest_assignment_first(self, make_uow: MakeUow, school: School) -> None:
        cohort = f.cohort(school.program, school.campus)
        ta = f.staff(school.organisation.id, role=m.StaffRole.TEACHING_ASSISTANT)
        assistant = f.cohort_staff(
            cohort, ta, role=m.CohortStaffRole.TEACHING_ASSISTANT, assigned_at=at(2026, 1, 9)
        )
        lead = f.cohort_staff(cohort, school.staff, assigned_at=at(2026, 1, 2))
        save(make_uow, cohort, ta, assistant, lead)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.cohort_staff.list_for_cohort(cohort.id)) == ids([lead, assistant])
            assert ids(uow.cohort_staff.list_for_staff(school.staff.id)) == ids(
                [school.cohort_staff, lead]
            )

    def test_cohort_staff_find_assignment(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        cohort = f.cohort(school.program, school.campus)
        ta = f.staff(school.organisation.id, role=m.StaffRole.TEACHING_ASSISTANT)
        assistant = f.cohort_staff(cohort, ta, role=m.CohortStaffRole.TEACHING_ASSISTANT)
        save(make_uow, cohort, ta, assistant)
        with make_uow(school.organisation.id) as uow:
            find = uow.cohort_staff.find_assignment
            assert ids(find(cohort.id, ta.id)) == [assistant.id]
            assert ids(find(school.cohort.id, school.staff.id)) == [school.cohort_staff.id]
            assert find(cohort.id, school.staff.id) is None  # the cohort, another staff member
            assert find(school.cohort.id, ta.id) is None  # the staff member, another cohort
            assert find(uuid4(), ta.id) is None
            theirs = other_school.cohort_staff
            assert find(theirs.cohort_id, theirs.staff_id) is None

    def test_sessions_of_a_cohort_by_session_number(
        self, make_uow: MakeUow, school: School
    ) -> None:
        cohort = f.cohort(school.program, school.campus)
        tenth = f.session(cohort, session_number=10, scheduled_date=date(2026, 4, 11))
        second = f.session(cohort, session_number=2, scheduled_date=date(2026, 2, 14))
        first = f.session(cohort, session_number=1, scheduled_date=date(2026, 2, 21))
        save(make_uow, cohort, tenth, second, first)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.sessions.list_for_cohort(cohort.id)) == ids([first, second, tenth])
            assert ids(uow.sessions.list_for_cohort(school.cohort.id)) == [school.session.id]

    def test_sessions_between_two_days_inclusive_by_date_and_time(
        self, make_uow: MakeUow, school: School
    ) -> None:
        other = f.cohort(school.program, school.campus)

        def on(cohort: m.Cohort, day: date, start: int) -> m.Session:
            return f.session(
                cohort,
                scheduled_date=day,
                scheduled_start_time=time(start),
                scheduled_end_time=time(start + 1),
            )

        before = on(school.cohort, date(2026, 2, 28), 22)
        first_late = on(school.cohort, date(2026, 3, 1), 16)
        first_early = on(other, date(2026, 3, 1), 9)
        last = on(other, date(2026, 3, 3), 6)
        after = on(school.cohort, date(2026, 3, 4), 6)
        save(make_uow, other, before, first_late, first_early, last, after)
        with make_uow(school.organisation.id) as uow:
            sessions = uow.sessions
            assert ids(sessions.list_between(date(2026, 3, 1), date(2026, 3, 3))) == ids(
                [first_early, first_late, last]
            )
            assert ids(sessions.list_between(date(2026, 3, 3), date(2026, 3, 3))) == ids([last])
            assert sessions.list_between(date(2026, 3, 2), date(2026, 3, 2)) == []

    def test_sessions_a_staff_member_teaches_in_three_ways(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        org = school.organisation.id
        teacher, colleague, helper = f.staff(org), f.staff(org), f.staff(org)
        assigned, unassigned = (
            f.cohort(school.program, school.campus),
            f.cohort(school.program, school.campus),
        )

        def on(cohort: m.Cohort, day: int, start: int, **overrides: Any) -> m.Session:
            return f.session(
                cohort,
                scheduled_date=date(2026, 3, day),
                scheduled_start_time=time(start),
                scheduled_end_time=time(start + 1),
                **overrides,
            )

        # Teaching through the cohort assignment; one of them also as its lead instructor,
        # and one cancelled (still listed: callers filter).
        by_cohort = on(assigned, 2, 16)
        by_cohort_and_lead = on(assigned, 4, 9, lead_instructor_id=teacher.id)
        cancelled = on(
            assigned, 5, 8, status=m.SessionStatus.CANCELLED, cancellation_reason="Storm"
        )
        before = on(assigned, 1, 16)
        after = on(assigned, 6, 8)
        # Teaching another cohort's sessions as lead instructor or as assistant.
        as_lead = on(unassigned, 2, 9, lead_instructor_id=teacher.id)
        as_assistant = on(unassigned, 5, 17, lead_instructor_id=colleague.id)
        as_both = on(unassigned, 3, 12, lead_instructor_id=teacher.id)
        not_theirs = on(unassigned, 3, 10, lead_instructor_id=colleague.id)
        save(
            make_uow,
            teacher,
            colleague,
            helper,
            assigned,
            unassigned,
            by_cohort,
            by_cohort_and_lead,
            cancelled,
            before,
            after,
            as_lead,
            as_assistant,
            as_both,
            not_theirs,
            f.cohort_staff(assigned, teacher),
            f.session_staff(as_assistant, teacher),
            f.session_staff(as_both, teacher),
            f.session_staff(by_cohort_and_lead, teacher),
            # Others beside the teacher on the same cohort and sessions: a query joining the
            # assignments would see those sessions several times.
            f.cohort_staff(assigned, helper, role=m.CohortStaffRole.TEACHING_ASSISTANT),
            f.session_staff(as_both, helper),
            f.session_staff(by_cohort_and_lead, helper),
            f.session_staff(by_cohort_and_lead, colleague),
        )
        first, last = date(2026, 3, 2), date(2026, 3, 5)
        with make_uow(org) as uow:
            sessions = uow.sessions
            assert ids(sessions.list_for_staff(teacher.id, first, last)) == ids(
                [as_lead, by_cohort, as_both, by_cohort_and_lead, cancelled, as_assistant]
            )
            assert ids(sessions.list_for_staff(colleague.id, first, last)) == ids(
                [not_theirs, by_cohort_and_lead, as_assistant]
            )
            assert ids(sessions.list_for_staff(helper.id, first, last)) == ids(
                [by_cohort, as_both, by_cohort_and_lead, cancelled]
            )
            assert ids(sessions.list_for_staff(teacher.id, last, last)) == ids(
                [cancelled, as_assistant]
            )
            assert ids(sessions.list_for_staff(teacher.id, date(2026, 3, 1), first)) == ids(
                [before, as_lead, by_cohort]
            )
            assert sessions.list_for_staff(teacher.id, date(2026, 3, 7), date(2026, 3, 31)) == []
            assert sessions.list_for_staff(uuid4(), first, last) == []
            # school.staff leads, assists and is assigned to school.session's cohort: once.
            day = school.session.scheduled_date
            assert ids(sessions.list_for_staff(school.staff.id, day, day)) == [school.session.id]
            assert sessions.list_for_staff(other_school.staff.id, day, day) == []

    def test_session_staff_oldest_assignment_first(self, make_uow: MakeUow, school: School) -> None:
        ta = f.staff(school.organisation.id, role=m.StaffRole.TEACHING_ASSISTANT)
        later = f.session(school.cohort)
        late = f.session_staff(school.session, ta, assigned_at=at(2026, 2, 1))
        early = f.session_staff(later, ta, assigned_at=at(2026, 1, 1))
        save(make_uow, ta, later, late, early)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.session_staff.list_for_session(school.session.id)) == ids(
                [school.session_staff, late]
            )
            assert ids(uow.session_staff.list_for_staff(ta.id)) == ids([early, late])

    @staticmethod
    def _assigned_staff(school: School) -> tuple[m.Staff, list[m.Entity], Assignments]:
        """A new staff member of ``school`` assigned to two campuses, two cohorts and one
        session, with a colleague assigned beside them (and elsewhere) and a session they lead
        without an assignment to it; the entities to save, parents first, and the ids their
        access holds."""
        org = school.organisation.id
        busy, colleague = f.staff(org), f.staff(org)
        north, south = f.campus(org), f.campus(org)
        morning, evening = (
            f.cohort(school.program, north),
            f.cohort(school.program, south),
        )
        assisted = f.session(evening)
        led = f.session(morning, lead_instructor_id=busy.id)
        ta = m.CohortStaffRole.TEACHING_ASSISTANT
        entities: list[m.Entity] = [
            busy,
            colleague,
            north,
            south,
            morning,
            evening,
            assisted,
            led,
            f.campus_staff(north, busy),
            f.campus_staff(south, busy),
            f.cohort_staff(morning, busy),
            f.cohort_staff(evening, busy, role=ta),
            f.session_staff(assisted, busy),
            f.campus_staff(north, colleague),
            f.campus_staff(school.campus, colleague),
            f.cohort_staff(morning, colleague, role=ta),
            f.cohort_staff(school.cohort, colleague, role=ta),
            f.session_staff(assisted, colleague),
            f.session_staff(led, colleague),
        ]
        expected = (
            frozenset({north.id, south.id}),
            frozenset({morning.id, evening.id}),
            frozenset({assisted.id}),
        )
        return busy, entities, expected

    def test_staff_access_is_the_staff_member_with_their_assignments(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        org = school.organisation.id
        busy, entities, expected = self._assigned_staff(school)
        idle = f.staff(org, role=m.StaffRole.FRONT_DESK, is_active=False)
        stored = {busy.id: fields_of(busy), idle.id: fields_of(idle)}
        save(make_uow, *entities, idle)
        with make_uow(org) as uow:
            access = uow.staff.find_access(busy.id)
            assert access is not None
            assert access.staff is uow.staff.get(busy.id)
            assert_same_fields(access.staff, stored[busy.id])
            assert assignments(access) == expected
            assert all(type(found) is frozenset for found in assignments(access))
            # Leading a session is not an assignment to it.
            nobody = uow.staff.find_access(idle.id)
            assert nobody is not None
            assert nobody.staff is uow.staff.get(idle.id)
            assert_same_fields(nobody.staff, stored[idle.id])
            assert assignments(nobody) == NO_ASSIGNMENTS
            # school.staff: one of each, beside the colleague's assignments to the same ones.
            assert assignments(uow.staff.find_access(school.staff.id)) == (
                frozenset({school.campus.id}),
                frozenset({school.cohort.id}),
                frozenset({school.session.id}),
            )
            assert uow.staff.find_access(uuid4()) is None
            assert uow.staff.find_access(school.campus.id) is None  # another entity's id
            assert uow.staff.find_access(other_school.staff.id) is None
        with make_uow(other_school.organisation.id) as uow:
            theirs = uow.staff.find_access(other_school.staff.id)
            assert theirs is not None
            assert theirs.staff.id == other_school.staff.id
            assert assignments(theirs) == (
                frozenset({other_school.campus.id}),
                frozenset({other_school.cohort.id}),
                frozenset({other_school.session.id}),
            )
            assert uow.staff.find_access(busy.id) is None
            assert uow.staff.find_access(school.staff.id) is None

    def test_staff_access_sees_the_transactions_own_assignments(
        self, make_uow: MakeUow, school: School
    ) -> None:
        org = school.organisation.id
        newcomer = f.staff(org)
        save(make_uow, newcomer)
        with make_uow(org) as uow:
            uow.campus_staff.add(f.campus_staff(school.campus, newcomer))
            uow.session_staff.add(f.session_staff(school.session, newcomer))
            uow.cohort_staff.remove(uow.cohort_staff.get(school.cohort_staff.id))
            access = uow.staff.find_access(newcomer.id)
            assert access is not None
            mine = (frozenset({school.campus.id}), frozenset(), frozenset({school.session.id}))
            assert assignments(access) == mine
            assert assignments(uow.staff.find_access(school.staff.id)) == mine

    def test_signed_in_session_comes_with_its_staff_members_access(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        org = school.organisation.id
        busy, entities, expected = self._assigned_staff(school)
        idle = f.staff(org, role=m.StaffRole.FRONT_DESK)
        login = f.staff_session(busy)
        again = f.staff_session(busy, created_at=at(2026, 2, 6, 12), expires_at=at(2026, 2, 8))
        idle_login = f.staff_session(idle)
        stored = fields_of(login)
        save(make_uow, *entities, idle, login, again, idle_login)
        with make_uow(org) as uow:
            sessions = uow.staff_sessions
            # A value of the session's and the staff member's fields, with the assignments.
            assert sessions.find_signed_in(login.token_hash) == signed_in(login, busy, expected)
            assert_same_fields(sessions.get(login.id), stored)
            # Each token finds its own session, the staff member's access with it.
            second = sessions.find_signed_in(again.token_hash)
            assert second is not None
            assert (second.session_id, second.staff_id) == (again.id, busy.id)
            assert assignments(second) == expected
            alone = sessions.find_signed_in(idle_login.token_hash)
            assert alone is not None
            assert (alone.session_id, alone.staff_id) == (idle_login.id, idle.id)
            assert assignments(alone) == NO_ASSIGNMENTS
            ours = sessions.find_signed_in(school.staff_session.token_hash)
            assert ours is not None
            assert (ours.session_id, ours.staff_id) == (school.staff_session.id, school.staff.id)
            assert assignments(ours) == (
                frozenset({school.campus.id}),
                frozenset({school.cohort.id}),
                frozenset({school.session.id}),
            )
            never_saved = f.staff_session(busy)
            assert sessions.find_signed_in(never_saved.token_hash) is None
            assert sessions.find_signed_in(other_school.staff_session.token_hash) is None
        with make_uow(other_school.organisation.id) as uow:
            theirs = uow.staff_sessions.find_signed_in(other_school.staff_session.token_hash)
            assert theirs is not None
            assert (theirs.session_id, theirs.staff_id) == (
                other_school.staff_session.id,
                other_school.staff.id,
            )
            assert assignments(theirs) == (
                frozenset({other_school.campus.id}),
                frozenset({other_school.cohort.id}),
                frozenset({other_school.session.id}),
            )
            assert uow.staff_sessions.find_signed_in(login.token_hash) is None

    def test_families_by_display_name_and_email(
        self, make_uow: MakeUow, org: m.Organisation
    ) -> None:
        adams = f.family(org.id, family_name="Adams")
        brown = f.family(org.id, family_name=None, primary_contact_name="Beth Brown")
        carter = f.family(org.id, family_name="Carter", is_active=False)
        save(make_uow, carter, brown, adams)
        with make_uow(org.id) as uow:
            assert ids(uow.families.list()) == ids([adams, brown, carter])
            assert ids(uow.families.list(active_only=True)) == ids([adams, brown])
            found = uow.families.find_by_email(brown.primary_contact_email.upper())
            assert ids(found) == [brown.id]
            assert uow.families.find_by_email("nobody@example.com") is None

    def test_students_of_a_family_oldest_first(self, make_uow: MakeUow, school: School) -> None:
        home = f.family(school.organisation.id)
        middle = f.student(home, date_of_birth=date(2015, 6, 1))
        eldest = f.student(home, date_of_birth=date(2012, 1, 31))
        youngest = f.student(home, date_of_birth=date(2018, 9, 9))
        save(make_uow, home, middle, eldest, youngest)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.students.list_for_family(home.id)) == ids([eldest, middle, youngest])
            assert ids(uow.students.list_for_family(school.family.id)) == ids(
                [school.student, school.sibling]
            )

    def test_enrolments_in_arrival_order_with_status_filter(
        self, make_uow: MakeUow, school: School
    ) -> None:
        # Arrival order is the instants' order, whatever the time zones they were given in.
        cohort, other = (
            f.cohort(school.program, school.campus),
            f.cohort(school.program, school.campus),
        )
        kids = [f.student(school.family, first_name=name) for name in ("Kim", "Lee", "Max")]
        first = f.enrolment(
            kids[0], cohort, status=EnrolmentStatus.ENROLLED, enrolment_date=at(2026, 1, 2, 8)
        )
        second = f.enrolment(
            kids[1],
            cohort,
            status=EnrolmentStatus.DROPPED,
            withdrawal_date=date(2026, 1, 5),
            withdrawal_reason="Moved away",
            enrolment_date=at(2026, 1, 2, 6, tz=PERTH),
        )
        third = f.enrolment(
            kids[2], cohort, enrolment_date=datetime(2026, 1, 1, 23, 30, tzinfo=UTC)
        )
        earlier = f.enrolment(kids[0], other, enrolment_date=at(2025, 12, 31))
        save(make_uow, cohort, other, *kids, third, earlier, second, first)
        with make_uow(school.organisation.id) as uow:
            enrolments = uow.enrolments
            assert ids(enrolments.list_for_cohort(cohort.id)) == ids([first, second, third])
            live = [EnrolmentStatus.ENROLLED, EnrolmentStatus.ENQUIRY]
            assert ids(enrolments.list_for_cohort(cohort.id, statuses=live)) == ids([first, third])
            assert enrolments.list_for_cohort(cohort.id, statuses=[]) == []
            assert ids(enrolments.list_for_student(kids[0].id)) == ids([earlier, first])

    def test_find_live_ignores_terminal_enrolments(self, make_uow: MakeUow, school: School) -> None:
        kid = f.student(school.family, first_name="Quinn")
        ended = [
            f.enrolment(
                kid,
                school.cohort,
                status=EnrolmentStatus.DROPPED,
                withdrawal_date=date(2026, 1, 3),
                withdrawal_reason="Clash",
            ),
            f.enrolment(kid, school.cohort, status=EnrolmentStatus.COMPLETED),
            f.enrolment(kid, school.cohort, status=EnrolmentStatus.TRANSFERRED),
        ]
        save(make_uow, kid, *ended)
        with make_uow(school.organisation.id) as uow:
            assert uow.enrolments.find_live(kid.id, school.cohort.id) is None
        live = f.enrolment(kid, school.cohort, status=EnrolmentStatus.TRIAL)
        save(make_uow, live)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.enrolments.find_live(kid.id, school.cohort.id)) == [live.id]
            assert ids(uow.enrolments.find_live(school.student.id, school.cohort.id)) == [
                school.enrolment.id
            ]
            assert uow.enrolments.find_live(kid.id, uuid4()) is None

    def test_waitlist_next_to_be_offered_first(self, make_uow: MakeUow, school: School) -> None:
        cohort, other = (
            f.cohort(school.program, school.campus),
            f.cohort(school.program, school.campus),
        )
        kids = [f.student(school.family, first_name=name) for name in ("Ari", "Bo", "Cy", "Di")]

        def waiting(kid: m.Student, position: int, day: int) -> m.Enrolment:
            return f.enrolment(
                kid,
                cohort,
                is_waitlist=True,
                waitlist_position=position,
                enrolment_date=at(2026, 1, day),
            )

        third, first, second = (
            waiting(kids[0], 3, 1),
            waiting(kids[1], 1, 3),
            waiting(kids[2], 2, 2),
        )
        not_waiting = f.enrolment(kids[3], cohort, enrolment_date=at(2025, 12, 1))
        elsewhere = f.enrolment(kids[0], other, is_waitlist=True, waitlist_position=1)
        save(make_uow, cohort, other, *kids, third, first, second, not_waiting, elsewhere)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.enrolments.waitlist(cohort.id)) == ids([first, second, third])
            assert ids(uow.enrolments.waitlist(other.id)) == ids([elsewhere])

    def test_trials_booked_into_a_session_in_arrival_order(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        meeting = school.session
        week_two = f.session(school.cohort, scheduled_date=date(2026, 2, 14))
        kids = [f.student(school.family, first_name=name) for name in ("Ari", "Bo", "Cy", "Di")]

        def trial(kid: m.Student, session: m.Session, arrived: datetime) -> m.Enrolment:
            return f.enrolment(
                kid,
                school.cohort,
                status=EnrolmentStatus.TRIAL,
                is_trial=True,
                trial_session_id=session.id,
                enrolment_date=arrived,
            )

        # 08:00 in Perth on 5 January is 11:00 in Melbourne: after Bo, before Cy.
        second = trial(kids[0], meeting, at(2026, 1, 5, 8, tz=PERTH))
        first = trial(kids[1], meeting, at(2026, 1, 5, 10))
        third = trial(kids[2], meeting, at(2026, 1, 5, 11, 30))
        elsewhere = trial(kids[3], week_two, at(2026, 1, 1))
        save(make_uow, week_two, *kids, third, elsewhere, first, second)
        their_kid = f.student(other_school.family)
        theirs = f.enrolment(
            their_kid,
            other_school.cohort,
            status=EnrolmentStatus.TRIAL,
            is_trial=True,
            trial_session_id=other_school.session.id,
        )
        save(make_uow, their_kid, theirs)
        with make_uow(school.organisation.id) as uow:
            enrolments = uow.enrolments
            # school.enrolment and school.waitlisted are in the cohort but booked no trial.
            assert ids(enrolments.list_trials_for_session(meeting.id)) == ids(
                [first, second, third]
            )
            assert ids(enrolments.list_trials_for_session(week_two.id)) == ids([elsewhere])
            assert enrolments.list_trials_for_session(uuid4()) == []
            assert enrolments.list_trials_for_session(other_school.session.id) == []
        with make_uow(other_school.organisation.id) as uow:
            assert ids(uow.enrolments.list_trials_for_session(other_school.session.id)) == [
                theirs.id
            ]
            assert uow.enrolments.list_trials_for_session(meeting.id) == []

    def test_roll_is_the_members_in_those_statuses_and_the_sessions_trials_once_each(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        group, other = (
            f.cohort(school.program, school.campus),
            f.cohort(school.program, school.campus),
        )
        meeting = f.session(group)
        week_two = f.session(group, scheduled_date=date(2026, 2, 14))
        kids = [f.student(school.family, first_name=f"Kid {i}") for i in range(10)]
        members = frozenset(
            {EnrolmentStatus.ACTIVE, EnrolmentStatus.ENROLLED, EnrolmentStatus.TRIAL}
        )

        def enrol(
            kid: m.Student,
            cohort: m.Cohort,
            arrived: datetime,
            status: EnrolmentStatus,
            **more: Any,
        ) -> m.Enrolment:
            if status is EnrolmentStatus.DROPPED:
                more.update(withdrawal_date=date(2026, 1, 20), withdrawal_reason="Changed mind")
            return f.enrolment(kid, cohort, status=status, enrolment_date=arrived, **more)

        def trial(
            kid: m.Student,
            cohort: m.Cohort,
            session: m.Session,
            arrived: datetime,
            status: EnrolmentStatus = EnrolmentStatus.TRIAL,
        ) -> m.Enrolment:
            return enrol(kid, cohort, arrived, status, is_trial=True, trial_session_id=session.id)

        active, enrolled, dropped = (
            EnrolmentStatus.ACTIVE,
            EnrolmentStatus.ENROLLED,
            EnrolmentStatus.DROPPED,
        )
        # Members of the cohort. 06:00 in Perth on 1 January is 09:00 in Melbourne: the same
        # instant as ``first``, so the id decides between them.
        first = enrol(kids[1], group, at(2026, 1, 1, 9), enrolled)
        tied = enrol(kids[2], group, at(2026, 1, 1, 6, tz=PERTH), active)
        seated = enrol(kids[0], group, at(2026, 1, 3, 10), active)
        asking = enrol(kids[3], group, at(2025, 12, 1), EnrolmentStatus.ENQUIRY)
        left = enrol(kids[4], group, at(2025, 12, 2), dropped)
        # A trial in the cohort: a member by its status and the session's trial, listed once.
        member_trial = trial(kids[5], group, meeting, at(2026, 1, 2))
        # The session's trials whatever their status or cohort. 08:00 in Perth on 3 January is
        # 11:00 in Melbourne: after ``seated``.
        dropped_trial = trial(kids[6], group, meeting, at(2026, 1, 3, 8, tz=PERTH), dropped)
        visiting_trial = trial(kids[7], other, meeting, at(2025, 12, 20))
        # Trials of another session, and a member of another cohort.
        later_trial = trial(kids[8], group, week_two, at(2025, 12, 10), dropped)
        elsewhere_trial = trial(kids[9], other, week_two, at(2025, 12, 15))
        elsewhere = enrol(kids[0], other, at(2025, 11, 1), active)
        save(
            make_uow,
            group,
            other,
            meeting,
            week_two,
            *kids,
            elsewhere,
            later_trial,
            dropped_trial,
            seated,
            left,
            visiting_trial,
            tied,
            asking,
            member_trial,
            elsewhere_trial,
            first,
        )
        their_kid = f.student(other_school.family)
        theirs = trial(their_kid, other_school.cohort, other_school.session, at(2026, 1, 1))
        save(make_uow, their_kid, theirs)
        tie = sorted([first, tied], key=lambda e: e.id)
        with make_uow(school.organisation.id) as uow:
            enrolments = uow.enrolments
            roll = roll_members(uow, group.id, meeting.id, members)
            assert ids(roll) == ids([visiting_trial, *tie, member_trial, seated, dropped_trial])
            assert roll == [as_roll_enrolment(enrolments.get(e.id)) for e in roll]
            assert ids(roll_members(uow, group.id, meeting.id, [active])) == ids(
                [visiting_trial, tied, member_trial, seated, dropped_trial]
            )
            assert ids(roll_members(uow, group.id, meeting.id, [])) == ids(
                [visiting_trial, member_trial, dropped_trial]
            )
            assert ids(roll_members(uow, group.id, week_two.id, members)) == ids(
                [later_trial, elsewhere_trial, *tie, member_trial, seated]
            )
            # The other cohort's members (its trial of week two by its status) and the
            # session's trials, the visiting one once.
            assert ids(roll_members(uow, other.id, meeting.id, members)) == ids(
                [elsewhere, elsewhere_trial, visiting_trial, member_trial, dropped_trial]
            )
            assert ids(roll_members(uow, group.id, uuid4(), members)) == ids(
                [*tie, member_trial, seated]
            )
            assert roll_members(uow, uuid4(), uuid4(), members) == []
            # school.waitlisted (an enquiry) and school.lapsed_offer (dropped) are not members.
            assert ids(roll_members(uow, school.cohort.id, school.session.id, members)) == [
                school.enrolment.id
            ]
            # Another organisation's cohort and trials stay out of sight.
            assert roll_members(uow, other_school.cohort.id, other_school.session.id, members) == []
            assert ids(roll_members(uow, group.id, other_school.session.id, members)) == ids(
                [*tie, member_trial, seated]
            )
        with make_uow(other_school.organisation.id) as uow:
            assert ids(
                roll_members(uow, other_school.cohort.id, other_school.session.id, members)
            ) == [other_school.enrolment.id, theirs.id]
            assert roll_members(uow, group.id, meeting.id, members) == []

    def test_roll_sheet_has_the_sessions_marks_visits_and_every_student_they_name(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        org = school.organisation.id
        visitor = f.student(school.family, first_name="Violet", preferred_name="Vi")
        elsewhere = f.cohort(school.program, school.campus)
        seat = f.enrolment(visitor, elsewhere, status=EnrolmentStatus.ACTIVE)
        visit = f.attendance(
            school.session,
            seat,
            status=m.AttendanceStatus.MAKEUP,
            notes=None,
            recorded_at=at(2026, 2, 7, 9, 40),
        )
        save(make_uow, visitor, elsewhere, seat, visit)
        members = frozenset({EnrolmentStatus.ACTIVE, EnrolmentStatus.ENROLLED})
        with make_uow(org) as uow:
            sheet = uow.rolls.sheet(school.cohort.id, school.session.id, members)
            assert sheet.enrolments == (as_roll_enrolment(uow.enrolments.get(school.enrolment.id)),)
            marked = school.attendance
            assert sheet.marks == (
                rolls.RollMark(
                    id=marked.id,
                    student_id=marked.student_id,
                    enrolment_id=marked.enrolment_id,
                    status=marked.status,
                    notes=marked.notes,
                    recorded_by_staff_id=marked.recorded_by_staff_id,
                    recorded_at=marked.recorded_at,
                    version=marked.version,
                ),
                rolls.RollMark(
                    id=visit.id,
                    student_id=visitor.id,
                    enrolment_id=seat.id,
                    status=m.AttendanceStatus.MAKEUP,
                    notes=None,
                    recorded_by_staff_id=None,
                    recorded_at=visit.recorded_at,
                    version=1,
                ),
            )
            spent = school.spent_token
            assert sheet.visits == (
                rolls.RollVisit(student_id=spent.student_id, enrolment_id=spent.enrolment_id),
            )
            assert set(sheet.students) == {school.student.id, visitor.id}
            named = sheet.students[visitor.id]
            assert named == rolls.RollStudent(
                id=visitor.id,
                family_id=school.family.id,
                first_name="Violet",
                preferred_name="Vi",
                last_name=visitor.last_name,
            )
            assert (named.display_name, named.sort_key) == (visitor.display_name, visitor.sort_key)
            # This transaction's own changes are read.
            uow.attendance.get(visit.id).mark(
                m.AttendanceStatus.PRESENT, by=school.staff.id, at=at(2026, 2, 7, 9, 45)
            )
            again = uow.rolls.sheet(school.cohort.id, school.session.id, members)
            assert [(x.id, x.status) for x in again.marks] == [
                (marked.id, marked.status),
                (visit.id, m.AttendanceStatus.PRESENT),
            ]
            empty = uow.rolls.sheet(uuid4(), uuid4(), members)
            assert empty == rolls.RollSheet(enrolments=(), marks=(), visits=(), students={})
        with make_uow(other_school.organisation.id) as uow:
            theirs = uow.rolls.sheet(school.cohort.id, school.session.id, members)
            assert theirs == rolls.RollSheet(enrolments=(), marks=(), visits=(), students={})

    def test_roll_marks_are_written_at_once_with_their_audit_entries(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        org = school.organisation.id
        visitor = f.student(school.family, first_name="Violet")
        seat = f.enrolment(visitor, school.cohort, status=EnrolmentStatus.ACTIVE)
        save(make_uow, visitor, seat)
        members = frozenset({EnrolmentStatus.ACTIVE, EnrolmentStatus.ENROLLED})
        when = at(2026, 2, 7, 9, 50, 0, 123456)
        with make_uow(org) as uow:
            [read] = uow.rolls.sheet(school.cohort.id, school.session.id, members).marks
            changed = attrs.evolve(
                read,
                status=m.AttendanceStatus.LATE,
                notes="Bus was late",
                recorded_by_staff_id=school.staff.id,
                recorded_at=when,
                version=read.version + 1,
            )
            new = rolls.RollMark(
                id=uuid4(),
                student_id=visitor.id,
                enrolment_id=seat.id,
                status=m.AttendanceStatus.PRESENT,
                notes=None,
                recorded_by_staff_id=school.staff.id,
                recorded_at=when,
                version=1,
            )

            def write(mark: rolls.RollMark, read_version: int | None) -> rolls.MarkWrite:
                return rolls.MarkWrite(
                    mark=mark,
                    session_id=school.session.id,
                    read_version=read_version,
                    actor_staff_id=school.staff.id,
                    summary=f"marked {mark.status.value}",
                    changes={"status": [None, mark.status.value]},
                )

            writes = [write(changed, read.version), write(new, None)]
            uow.rolls.record_marks(writes)
            # read back in the same transaction
            again = uow.rolls.sheet(school.cohort.id, school.session.id, members)
            assert {x.id: x for x in again.marks} == {changed.id: changed, new.id: new}
            uow.commit()
        with make_uow(org) as uow:
            stored = uow.attendance.get(changed.id)
            assert (stored.status, stored.notes, stored.recorded_by_staff_id) == (
                m.AttendanceStatus.LATE,
                "Bus was late",
                school.staff.id,
            )
            assert (stored.recorded_at, stored.version) == (when, read.version + 1)
            added = uow.attendance.get(new.id)
            assert (added.session_id, added.student_id, added.enrolment_id) == (
                school.session.id,
                visitor.id,
                seat.id,
            )
            assert (added.status, added.notes, added.version) == (
                m.AttendanceStatus.PRESENT,
                None,
                1,
            )
            for mark in (changed, new):
                [entry] = uow.audit.list_for_entity(mark.id)
                assert (entry.action, entry.entity_type, entry.actor_staff_id) == (
                    "attendance.mark",
                    "Attendance",
                    school.staff.id,
                )
                assert (entry.summary, entry.occurred_at) == (
                    f"marked {mark.status.value}",
                    when,
                )
                assert entry.changes == {"status": [None, mark.status.value]}
        # A stale version (the mark changed since it was read) writes nothing.
        stale = attrs.evolve(changed, status=m.AttendanceStatus.ABSENT, version=changed.version)
        late_comer = attrs.evolve(new, id=uuid4(), student_id=school.sibling.id)
        with make_uow(org) as uow:
            with pytest.raises(Conflict) as caught:
                uow.rolls.record_marks([write(stale, read.version), write(late_comer, None)])
            assert "changed meanwhile" in str(caught.value)
        # Another organisation cannot write this organisation's marks.
        theirs = attrs.evolve(stale, version=changed.version + 1)
        with make_uow(other_school.organisation.id) as uow, pytest.raises(Conflict):
            uow.rolls.record_marks([write(theirs, changed.version)])
        with make_uow(org) as uow:
            assert uow.attendance.get(changed.id).status is m.AttendanceStatus.LATE
            assert uow.attendance.find(late_comer.id) is None
            assert len(uow.audit.list_for_entity(changed.id)) == 1

    def test_roll_context_is_what_the_roll_needs_of_session_cohort_campus_organisation(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        north = f.campus(school.organisation.id, timezone="Australia/Perth")
        evening = f.cohort(school.program, north, name="Evening coders")
        late = f.session(
            evening, scheduled_date=date(2026, 3, 3), lead_instructor_id=school.staff.id
        )
        save(make_uow, north, evening, late)
        ours = school.organisation

        def context(
            session: m.Session, cohort: m.Cohort, campus: m.Campus, org: m.Organisation
        ) -> rolls.RollContext:
            return rolls.RollContext(
                session_id=session.id,
                session_number=session.session_number,
                scheduled_date=session.scheduled_date,
                scheduled_end_time=session.scheduled_end_time,
                status=session.status,
                lead_instructor_id=session.lead_instructor_id,
                cohort_id=cohort.id,
                cohort_name=cohort.name,
                program_id=cohort.program_id,
                campus_id=campus.id,
                timezone=campus.timezone,
                edit_window_hours=org.settings.attendance_edit_window_hours,
            )

        with make_uow(school.organisation.id) as uow:
            found = uow.rolls.find_context(late.id)
            assert found == context(late, evening, north, ours)
            assert found is not None
            assert (found.timezone, found.cohort_name) == ("Australia/Perth", "Evening coders")
            assert found.ends_at() == late.ends_at("Australia/Perth")
            assert not found.is_cancelled
            assert uow.rolls.find_context(school.session.id) == context(
                school.session, school.cohort, school.campus, ours
            )
            for missing in (uuid4(), evening.id, other_school.session.id):
                assert uow.rolls.find_context(missing) is None
            uow.sessions.get(late.id).cancel("Storm")
            cancelled = uow.rolls.find_context(late.id)
            assert cancelled is not None
            assert cancelled.is_cancelled
        with make_uow(other_school.organisation.id) as uow:
            assert uow.rolls.find_context(late.id) is None
            theirs = uow.rolls.find_context(other_school.session.id)
            assert theirs == context(
                other_school.session,
                other_school.cohort,
                other_school.campus,
                other_school.organisation,
            )

    def test_lapsed_offers_are_unpaid_offers_due_by_now_oldest_deadline_first(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        # 18:00:00.5 in Melbourne on 4 March 2026 is 07:00:00.5 UTC.
        now = at(2026, 3, 4, 18, 0, 0, 500000)
        kids = [f.student(school.family, first_name=f"Kid {i}") for i in range(6)]

        def offer(kid: m.Student, until: datetime | None, **overrides: Any) -> m.Enrolment:
            values: dict[str, Any] = {
                "status": EnrolmentStatus.PENDING_PAYMENT,
                "offer_expires_at": until,
                **overrides,
            }
            return f.enrolment(kid, school.cohort, **values)

        # 14:00 in Perth (06:00 UTC) is later than 16:30 in Melbourne (05:30 UTC).
        perth_afternoon = offer(kids[0], at(2026, 3, 4, 14, tz=PERTH))
        melbourne_afternoon = offer(kids[1], at(2026, 3, 4, 16, 30))
        exactly_now = offer(kids[2], now.astimezone(PERTH))
        a_moment_later = offer(kids[3], now + timedelta(microseconds=1))
        no_deadline = offer(kids[4], None)
        paid = offer(kids[5], at(2026, 3, 1), status=EnrolmentStatus.ENROLLED)
        their_kid = f.student(other_school.family)
        theirs = f.enrolment(
            their_kid,
            other_school.cohort,
            status=EnrolmentStatus.PENDING_PAYMENT,
            offer_expires_at=at(2026, 3, 1),
        )
        save(
            make_uow,
            *kids,
            exactly_now,
            a_moment_later,
            perth_afternoon,
            no_deadline,
            paid,
            melbourne_afternoon,
        )
        save(make_uow, their_kid, theirs)
        with make_uow(school.organisation.id) as uow:
            lapsed = uow.enrolments.list_lapsed_offers
            # school.lapsed_offer (dropped) has a deadline long past, but is no offer now.
            assert ids(lapsed(now)) == ids([melbourne_afternoon, perth_afternoon, exactly_now])
            assert ids(lapsed(now.astimezone(UTC))) == ids(
                [melbourne_afternoon, perth_afternoon, exactly_now]
            )
            assert ids(lapsed(now - timedelta(microseconds=1))) == ids(
                [melbourne_afternoon, perth_afternoon]
            )
            assert ids(lapsed(now + timedelta(microseconds=1))) == ids(
                [melbourne_afternoon, perth_afternoon, exactly_now, a_moment_later]
            )
            assert lapsed(datetime(2026, 3, 4, 5, 29, tzinfo=UTC)) == []
        with make_uow(other_school.organisation.id) as uow:
            assert ids(uow.enrolments.list_lapsed_offers(now)) == [theirs.id]

    def test_a_paid_offer_no_longer_lapses(self, make_uow: MakeUow, school: School) -> None:
        until = at(2026, 3, 4, 21, 0, 0, 654321, tz=PERTH)
        with make_uow(school.organisation.id) as uow:
            uow.enrolments.get(school.waitlisted.id).offer_seat(until=until)
            uow.commit()
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.enrolments.list_lapsed_offers(until)) == [school.waitlisted.id]
            uow.enrolments.get(school.waitlisted.id).payment_received()
            uow.commit()
        with make_uow(school.organisation.id) as uow:
            paid = uow.enrolments.get(school.waitlisted.id)
            assert (paid.status, paid.offer_expires_at) == (EnrolmentStatus.ENROLLED, None)
            assert uow.enrolments.list_lapsed_offers(until + timedelta(days=365)) == []

    def test_makeup_tokens_of_a_student_and_of_an_enrolment_soonest_expiry_first(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        # school: Ada's seat has ``spent_token`` (expires 31 May) and ``makeup_token`` (7 June).
        later = f.cohort(school.program, school.campus)
        again = f.enrolment(school.student, later)
        available, redeemed, expired = (
            m.MakeupTokenStatus.AVAILABLE,
            m.MakeupTokenStatus.REDEEMED,
            m.MakeupTokenStatus.EXPIRED,
        )

        def token(enrolment: m.Enrolment, expires: date, **overrides: Any) -> m.MakeupToken:
            return f.makeup_token(
                enrolment,
                school.program,
                issued_on=date(2026, 1, 1),
                expires_on=expires,
                **overrides,
            )

        september = token(again, date(2026, 9, 1))
        april = token(again, date(2026, 4, 1))
        february = token(again, date(2026, 2, 28), status=expired)
        charles = token(school.waitlisted, date(2026, 3, 15))
        save(make_uow, later, again, september, april, february, charles)
        with make_uow(school.organisation.id) as uow:
            tokens = uow.makeup_tokens
            ada = school.student.id
            assert ids(tokens.list_for_student(ada)) == ids(
                [february, april, school.spent_token, school.makeup_token, september]
            )
            assert ids(tokens.list_for_student(ada, status=available)) == ids(
                [april, school.makeup_token, september]
            )
            assert ids(tokens.list_for_student(ada, status=redeemed)) == [school.spent_token.id]
            assert ids(tokens.list_for_student(ada, status=expired)) == [february.id]
            assert ids(tokens.list_for_student(school.sibling.id)) == [charles.id]
            assert tokens.list_for_student(school.sibling.id, status=redeemed) == []
            assert tokens.list_for_student(uuid4()) == []
            assert tokens.list_for_student(other_school.student.id) == []
            assert ids(tokens.list_for_enrolment(school.enrolment.id)) == ids(
                [school.spent_token, school.makeup_token]
            )
            assert ids(tokens.list_for_enrolment(again.id)) == ids([february, april, september])
            assert ids(tokens.list_for_enrolment(school.waitlisted.id)) == [charles.id]
            assert tokens.list_for_enrolment(other_school.enrolment.id) == []

    def test_makeup_tokens_redeemed_for_a_session(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        # school.makeup_token was issued for school.session (its source), not spent there.
        week_two = f.session(school.cohort, scheduled_date=date(2026, 2, 14))
        redeemed = m.MakeupTokenStatus.REDEEMED

        def spent(enrolment: m.Enrolment, hour: int) -> m.MakeupToken:
            return f.makeup_token(
                enrolment,
                school.program,
                status=redeemed,
                redeemed_session_id=week_two.id,
                redeemed_at=at(2026, 2, 14, hour, tz=PERTH),
            )

        ada, charles = spent(school.enrolment, 9), spent(school.waitlisted, 8)
        owed_for_week_two = f.makeup_token(
            school.enrolment, school.program, source_session_id=week_two.id
        )
        save(make_uow, week_two, ada, charles, owed_for_week_two)
        with make_uow(school.organisation.id) as uow:
            tokens = uow.makeup_tokens
            assert set(ids(tokens.list_redeemed_for_session(week_two.id))) == {ada.id, charles.id}
            assert ids(tokens.list_redeemed_for_session(school.session.id)) == [
                school.spent_token.id
            ]
            assert tokens.list_redeemed_for_session(uuid4()) == []
            assert tokens.list_redeemed_for_session(other_school.session.id) == []

    def test_expired_makeup_tokens_are_available_ones_past_their_expiry_day(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        # school: makeup_token available until 7 June; spent_token redeemed, expiry 31 May.
        def token(expires: date, **overrides: Any) -> m.MakeupToken:
            return f.makeup_token(
                school.enrolment,
                school.program,
                issued_on=date(2026, 1, 1),
                expires_on=expires,
                **overrides,
            )

        march = token(date(2026, 3, 15))
        april = token(date(2026, 4, 1))
        already_expired = token(date(2026, 2, 1), status=m.MakeupTokenStatus.EXPIRED)
        charles = f.makeup_token(school.waitlisted, school.program, expires_on=date(2026, 3, 31))
        save(make_uow, april, already_expired, march, charles)
        with make_uow(school.organisation.id) as uow:

            def expired(day: date) -> set[UUID]:
                return set(ids(uow.makeup_tokens.list_expired(day)))

            assert expired(date(2026, 3, 15)) == set()  # usable on its expiry day
            assert expired(date(2026, 3, 16)) == {march.id}
            assert expired(date(2026, 4, 1)) == {march.id, charles.id}
            assert expired(date(2026, 6, 7)) == {march.id, charles.id, april.id}
            assert expired(date(2026, 6, 8)) == {
                march.id,
                charles.id,
                april.id,
                school.makeup_token.id,
            }
        with make_uow(other_school.organisation.id) as uow:
            assert ids(uow.makeup_tokens.list_expired(date(2026, 6, 8))) == [
                other_school.makeup_token.id
            ]

    def test_attendance_marks(self, make_uow: MakeUow, school: School) -> None:
        ada, charles = school.enrolment, school.waitlisted
        week_two = f.session(school.cohort, scheduled_date=date(2026, 2, 14))
        week_zero = f.session(school.cohort, scheduled_date=date(2026, 1, 31))
        ada_two = f.attendance(week_two, ada, recorded_at=at(2026, 2, 14, 9, 40))
        charles_two = f.attendance(
            week_two, charles, status=m.AttendanceStatus.ABSENT, recorded_at=at(2026, 2, 14, 9)
        )
        ada_zero = f.attendance(week_zero, ada, recorded_at=at(2026, 1, 31, 9, 35))
        save(make_uow, week_two, week_zero, ada_two, charles_two, ada_zero)
        with make_uow(school.organisation.id) as uow:
            marks = uow.attendance
            assert ids(marks.find_for(week_two.id, ada.student_id)) == [ada_two.id]
            assert ids(marks.find_for(week_two.id, charles.student_id)) == [charles_two.id]
            assert marks.find_for(school.session.id, charles.student_id) is None
            assert set(ids(marks.list_for_session(week_two.id))) == {ada_two.id, charles_two.id}
            assert ids(marks.list_for_student(ada.student_id)) == ids(
                [ada_zero, school.attendance, ada_two]
            )

    def test_skill_trees_by_name(self, make_uow: MakeUow, org: m.Organisation) -> None:
        web = f.skill_tree(org.id, name="Web")
        arduino = f.skill_tree(org.id, name="Arduino")
        python = f.skill_tree(org.id, name="Python")
        save(make_uow, web, arduino, python)
        with make_uow(org.id) as uow:
            assert ids(uow.skill_trees.list()) == ids([arduino, python, web])

    def test_skill_nodes_by_level_then_order(self, make_uow: MakeUow, org: m.Organisation) -> None:
        tree, other_tree = f.skill_tree(org.id), f.skill_tree(org.id)
        root = f.skill_node(tree, name="Root")
        third = f.skill_node(tree, root, name="Functions", order=2)
        first = f.skill_node(tree, root, name="Variables", order=0)
        deep = f.skill_node(tree, first, name="Constants", order=0)
        second = f.skill_node(tree, root, name="Loops", order=1)
        foreign = f.skill_node(other_tree)
        save(make_uow, tree, other_tree, root, third, first, deep, second, foreign)
        with make_uow(org.id) as uow:
            assert ids(uow.skill_nodes.list_for_tree(tree.id)) == ids(
                [root, first, second, third, deep]
            )
            assert ids(uow.skill_nodes.list_for_tree(other_tree.id)) == ids([foreign])

    def test_skill_progress_of_a_student(self, make_uow: MakeUow, school: School) -> None:
        on_root = f.skill_progress(school.student, school.root_node)
        sibling_on_root = f.skill_progress(school.sibling, school.root_node)
        save(make_uow, on_root, sibling_on_root)
        with make_uow(school.organisation.id) as uow:
            progress = uow.skill_progress
            assert ids(progress.find_for(school.student.id, school.root_node.id)) == [on_root.id]
            assert ids(progress.find_for(school.student.id, school.child_node.id)) == [
                school.skill_progress.id
            ]
            assert progress.find_for(school.sibling.id, school.child_node.id) is None
            assert set(ids(progress.list_for_student(school.student.id))) == {
                on_root.id,
                school.skill_progress.id,
            }

    def test_projects_oldest_first(self, make_uow: MakeUow, school: School) -> None:
        other = f.cohort(school.program, school.campus)
        early = f.project(school.student, school.cohort, submitted_at=at(2026, 2, 20))
        # 23:00 in Perth on 14 March is after 15:09 that day in Melbourne (school.project).
        late = f.project(school.student, other, submitted_at=at(2026, 3, 14, 23, tz=PERTH))
        sibling = f.project(school.sibling, school.cohort, submitted_at=at(2026, 3, 1))
        save(make_uow, other, late, sibling, early)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.projects.list_for_cohort(school.cohort.id)) == ids(
                [early, sibling, school.project]
            )
            assert ids(uow.projects.list_for_student(school.student.id)) == ids(
                [early, school.project, late]
            )

    def test_invoices_by_issue_date_then_number(self, make_uow: MakeUow, school: School) -> None:
        same_day = school.invoice.issue_date
        december = f.invoice(school.family, issue_date=date(2025, 12, 1), due_date=date(2026, 1, 1))
        lower = f.invoice(
            school.family, school.enrolment, issue_date=same_day, invoice_number="INV-2026-000000"
        )
        higher = f.invoice(school.family, issue_date=same_day, invoice_number="INV-9999-999999")
        other_family = f.family(school.organisation.id)
        theirs = f.invoice(other_family, issue_date=date(2025, 1, 1), due_date=date(2025, 2, 1))
        save(make_uow, higher, lower, december, other_family, theirs)
        with make_uow(school.organisation.id) as uow:
            invoices = uow.invoices
            assert ids(invoices.find_by_number(lower.invoice_number)) == [lower.id]
            assert invoices.find_by_number("INV-1999-000001") is None
            assert ids(invoices.list_for_family(school.family.id)) == ids(
                [december, lower, school.invoice, higher]
            )
            assert ids(invoices.list_for_enrolment(school.enrolment.id)) == ids(
                [lower, school.invoice]
            )
            assert ids(invoices.list_for_family(other_family.id)) == ids([theirs])

    def test_payments_by_payment_date(self, make_uow: MakeUow, school: School) -> None:
        # school.payment: 19:45 in Melbourne on 20 January (08:45 UTC).
        cash = f.payment(
            school.family,
            payment_date=at(2026, 1, 5),
            payment_method=m.PaymentMethod.CASH,
            stripe_payment_intent_id=None,
        )
        evening = f.payment(
            school.family, school.invoice, payment_date=at(2026, 1, 20, 17, tz=PERTH)
        )
        save(make_uow, evening, cash)
        with make_uow(school.organisation.id) as uow:
            payments = uow.payments
            assert ids(payments.list_for_family(school.family.id)) == ids(
                [cash, school.payment, evening]
            )
            assert ids(payments.list_for_invoice(school.invoice.id)) == ids(
                [school.payment, evening]
            )
            intent = evening.stripe_payment_intent_id
            assert ids(payments.find_by_payment_intent(intent)) == [evening.id]
            assert payments.find_by_payment_intent("pi_unknown") is None

    def test_open_invoices_due_before_a_day_by_due_date(
        self, make_uow: MakeUow, school: School
    ) -> None:
        # school.invoice: part paid, due 5 February.
        home, nothing = school.family, Decimal("0.00")
        sent = f.invoice(home, amount_paid=nothing, due_date=date(2026, 1, 31))
        on_the_day = f.invoice(home, amount_paid=nothing, due_date=date(2026, 2, 6))
        draft = f.invoice(
            home, amount_paid=nothing, status=m.InvoiceStatus.DRAFT, due_date=date(2026, 1, 20)
        )
        overdue = f.invoice(home, status=m.InvoiceStatus.OVERDUE, due_date=date(2026, 1, 20))
        paid = f.invoice(
            home,
            amount_paid=Decimal("1134.56"),
            status=m.InvoiceStatus.PAID,
            due_date=date(2026, 1, 20),
        )
        void = f.invoice(
            home,
            amount_paid=nothing,
            amount_outstanding=nothing,
            status=m.InvoiceStatus.VOID,
            due_date=date(2026, 1, 20),
        )
        save(make_uow, sent, on_the_day, draft, overdue, paid, void)
        with make_uow(school.organisation.id) as uow:
            due_before = uow.invoices.list_open_due_before
            assert ids(due_before(date(2026, 2, 6))) == ids([sent, school.invoice])
            assert ids(due_before(date(2026, 2, 7))) == ids([sent, school.invoice, on_the_day])
            assert due_before(date(2026, 1, 31)) == []

    def test_allocations_oldest_first(self, make_uow: MakeUow, school: School) -> None:
        # school.allocation: 19:45:14 in Melbourne on 20 January.
        other_bill = f.invoice(school.family, amount_paid=Decimal("0.00"))
        later = f.allocation(
            school.payment, other_bill, amount=Decimal("0.01"), allocated_at=at(2026, 2, 1)
        )
        earlier = f.allocation(
            school.payment, school.invoice, allocated_at=at(2026, 1, 20, 17, 0, tz=PERTH)
        )
        save(make_uow, other_bill, later, earlier)
        with make_uow(school.organisation.id) as uow:
            allocations = uow.allocations
            assert ids(allocations.list_for_payment(school.payment.id)) == ids(
                [school.allocation, earlier, later]
            )
            assert ids(allocations.list_for_invoice(school.invoice.id)) == ids(
                [school.allocation, earlier]
            )
            assert ids(allocations.list_for_invoice(other_bill.id)) == ids([later])
            assert allocations.list_for_payment(uuid4()) == []

    def test_refunds_oldest_first_and_by_stripe_refund(
        self, make_uow: MakeUow, school: School
    ) -> None:
        # school.refund: 10:11 in Perth on 1 February (13:11 in Melbourne).
        cash = f.payment(
            school.family,
            payment_method=m.PaymentMethod.CASH,
            stripe_payment_intent_id=None,
            payment_date=at(2026, 1, 3),
        )
        counter = [
            f.refund(cash, stripe_refund_id=None, status=m.RefundStatus.SUCCEEDED, refunded_at=day)
            for day in (at(2026, 1, 5), at(2026, 2, 1, 13, 0))
        ]
        later = f.refund(school.payment, refunded_at=at(2026, 3, 1))
        save(make_uow, cash, *counter, later)
        with make_uow(school.organisation.id) as uow:
            refunds = uow.refunds
            assert ids(refunds.list_for_payment(school.payment.id)) == ids([school.refund, later])
            assert ids(refunds.list_for_payment(cash.id)) == ids(counter)
            assert ids(refunds.list_for_family(school.family.id)) == ids(
                [counter[0], counter[1], school.refund, later]
            )
            assert later.stripe_refund_id is not None
            assert ids(refunds.find_by_stripe_refund(later.stripe_refund_id)) == [later.id]
            assert refunds.find_by_stripe_refund("re_unknown") is None

    def test_credit_notes_by_issue_date_then_number(
        self, make_uow: MakeUow, school: School
    ) -> None:
        same_day = school.credit_note.issue_date
        other_bill = f.invoice(school.family, amount_paid=Decimal("0.00"))
        later = f.credit_note(school.invoice, issue_date=date(2026, 2, 1))
        lower = f.credit_note(
            school.invoice, issue_date=same_day, credit_note_number="CN-2026-000000"
        )
        higher = f.credit_note(
            school.invoice, issue_date=same_day, credit_note_number="CN-9999-999999"
        )
        earliest = f.credit_note(other_bill, issue_date=date(2025, 12, 1))
        save(make_uow, other_bill, later, lower, higher, earliest)
        with make_uow(school.organisation.id) as uow:
            notes = uow.credit_notes
            assert ids(notes.list_for_invoice(school.invoice.id)) == ids(
                [lower, school.credit_note, higher, later]
            )
            assert ids(notes.list_for_invoice(other_bill.id)) == ids([earliest])
            assert ids(notes.list_for_family(school.family.id)) == ids(
                [earliest, lower, school.credit_note, higher, later]
            )
            assert notes.list_for_family(uuid4()) == []

    def test_webhook_events_by_provider_and_event_id(
        self, make_uow: MakeUow, school: School
    ) -> None:
        event_id = school.webhook_event.provider_event_id
        elsewhere = f.webhook_event(
            school.organisation.id, provider="paypal", provider_event_id=event_id
        )
        save(make_uow, elsewhere)
        with make_uow(school.organisation.id) as uow:
            find = uow.webhook_events.find_by_provider_event
            assert ids(find("stripe", event_id)) == [school.webhook_event.id]
            assert ids(find("paypal", event_id)) == [elsewhere.id]
            assert find("stripe", "evt_unknown") is None
            assert find("paypal", "evt_unknown") is None

    def test_message_thread_oldest_first(self, make_uow: MakeUow, school: School) -> None:
        thread = uuid4()
        # 21:00, 21:30 and 22:00 UTC on 7 February, each written in another time zone.
        question = f.message(
            school.staff, school.family, thread_id=thread, sent_at=at(2026, 2, 8, 8, 0)
        )
        answer = f.message(
            school.staff,
            school.family,
            thread_id=thread,
            sender_type=m.ParticipantType.PARENT,
            sender_staff_id=None,
            sender_family_id=school.family.id,
            recipient_type=m.ParticipantType.STAFF,
            recipient_family_id=None,
            recipient_staff_id=school.staff.id,
            sent_at=at(2026, 2, 8, 5, 30, tz=PERTH),
        )
        thanks = f.message(
            school.staff,
            school.family,
            thread_id=thread,
            sent_at=datetime(2026, 2, 7, 22, 0, tzinfo=UTC),
        )
        save(make_uow, thanks, question, answer)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.messages.list_thread(thread)) == ids([question, answer, thanks])
            assert ids(uow.messages.list_thread(school.message.thread_id)) == [school.message.id]
            assert uow.messages.list_thread(uuid4()) == []

    def test_due_notifications_earliest_first_up_to_limit_skipping_live_claims(
        self, make_uow: MakeUow, org: m.Organisation
    ) -> None:
        home, clerk = f.family(org.id), f.staff(org.id)
        noon = at(2026, 2, 6, 12)

        def note(hour: int, **overrides: Any) -> m.Notification:
            return f.notification(
                home, created_at=at(2026, 2, 6, 6), due_at=at(2026, 2, 6, hour), **overrides
            )

        ten = note(10)
        sent = note(8, status=m.NotificationStatus.SENT, sent_at=at(2026, 2, 6, 8, 1))
        nine = note(9)
        failed = note(7, status=m.NotificationStatus.FAILED)
        cancelled = note(7, status=m.NotificationStatus.CANCELLED)
        eleven = note(11)
        not_yet = note(13)
        claimed = note(8, claimed_until=at(2026, 2, 6, 12, 5))  # another dispatcher has it
        lapsed = note(11, claimed_until=at(2026, 2, 6, 11, 55))  # its dispatcher died
        to_staff = f.notification(
            home,
            recipient_family_id=None,
            recipient_staff_id=clerk.id,
            created_at=at(2026, 2, 6, 6),
            due_at=at(2026, 2, 6, 9, 30, tz=PERTH),  # 12:30 in Melbourne: not yet due
        )
        save(
            make_uow,
            home,
            clerk,
            ten,
            sent,
            nine,
            failed,
            cancelled,
            eleven,
            not_yet,
            claimed,
            lapsed,
            to_staff,
        )
        with make_uow(org.id) as uow:
            outbox = uow.notifications
            due = outbox.claim_due(noon, 10)
            assert ids(due) == ids(
                sorted([nine, ten, eleven, lapsed], key=lambda n: (n.due_at, n.id))
            )
            assert ids(outbox.claim_due(noon, 2)) == ids([nine, ten])
            assert outbox.claim_due(noon, 0) == []
            assert ids(outbox.list_for_family(home.id)) == ids(
                sorted(
                    [ten, sent, nine, failed, cancelled, eleven, not_yet, claimed, lapsed],
                    key=lambda n: n.id,
                )
            )
            assert outbox.find_by_dedupe_key(str(ten.dedupe_key)) is outbox.get(ten.id)
            assert outbox.find_by_dedupe_key("invoice_issued:nothing") is None
            keys = [str(ten.dedupe_key), str(sent.dedupe_key), "invoice_issued:nothing"]
            assert outbox.existing_keys(keys) == set(keys[:2])
            assert outbox.existing_keys([]) == set()

    def test_many_notifications_are_queued_at_once(
        self, make_uow: MakeUow, org: m.Organisation
    ) -> None:
        home = f.family(org.id)
        save(make_uow, home)
        batch = [
            f.notification(
                home, dedupe_key=f"invoice_issued:{n}", due_at=at(2026, 2, 6, 9), attempts=0
            )
            for n in range(2500)
        ]
        with make_uow(org.id) as uow:
            uow.notifications.add_many(batch)
            uow.commit()
        with make_uow(org.id) as uow:
            stored = uow.notifications.list_for_family(home.id)
            assert sorted(ids(stored)) == sorted(ids(batch))
            first = uow.notifications.get(batch[0].id)
            assert attrs.asdict(first) == attrs.asdict(batch[0])  # type: ignore[arg-type]
        other = f.notification(f.family(uuid4()))
        with make_uow(org.id) as uow, pytest.raises(Forbidden):
            uow.notifications.add_many([other])

    def test_messages_of_a_family_or_staff_member_and_unread_counts(
        self, make_uow: MakeUow, org: m.Organisation
    ) -> None:
        home, other_home = f.family(org.id), f.family(org.id)
        teacher, clerk = f.staff(org.id), f.staff(org.id)
        hello = f.message(teacher, home, sent_at=at(2026, 2, 7, 9))
        reply = f.message(
            teacher,
            home,
            thread_id=hello.thread_id,
            sender_type=m.ParticipantType.PARENT,
            sender_staff_id=None,
            sender_family_id=home.id,
            recipient_type=m.ParticipantType.STAFF,
            recipient_family_id=None,
            recipient_staff_id=teacher.id,
            sent_at=at(2026, 2, 7, 10),
        )
        read = f.message(
            clerk, home, sent_at=at(2026, 2, 7, 8), is_read=True, read_at=at(2026, 2, 7, 8, 5)
        )
        elsewhere = f.message(clerk, other_home, sent_at=at(2026, 2, 7, 11))
        save(make_uow, home, other_home, teacher, clerk, hello, reply, read, elsewhere)
        with make_uow(org.id) as uow:
            messages = uow.messages
            assert ids(messages.list_for_family(home.id)) == ids([read, hello, reply])
            assert ids(messages.list_for_staff(teacher.id)) == ids([hello, reply])
            assert ids(messages.list_for_staff(clerk.id)) == ids([read, elsewhere])
            assert messages.count_unread_for_family(home.id) == 1  # hello; read was read
            assert messages.count_unread_for_family(other_home.id) == 1
            assert messages.count_unread_for_staff(teacher.id) == 1  # the reply
            assert messages.count_unread_for_staff(clerk.id) == 0  # clerk only sent
            assert messages.count_unread_for_family(uuid4()) == 0

    def test_progress_on_one_node_for_some_or_all_students(
        self, make_uow: MakeUow, school: School
    ) -> None:
        node = school.skill_progress.skill_node_id
        node_entity = next(n for n in (school.root_node, school.child_node) if n.id == node)
        other = f.skill_progress(school.sibling, node_entity)
        save(make_uow, other)
        with make_uow(school.organisation.id) as uow:
            progress = uow.skill_progress
            assert sorted(ids(progress.list_for_node(node))) == sorted(
                [school.skill_progress.id, other.id]
            )
            assert ids(progress.list_for_node(node, [school.sibling.id, uuid4()])) == [other.id]
            assert progress.list_for_node(node, []) == []
            assert progress.list_for_node(uuid4()) == []

    def test_audit_of_one_entity_oldest_first(self, make_uow: MakeUow, org: m.Organisation) -> None:
        target = uuid4()
        # 22:00, 23:00 and 15:00 UTC on 1 January: local clock times would sort them wrongly.
        second = f.audit_entry(org.id, entity_id=target, occurred_at=at(2026, 1, 2, 9))
        third = f.audit_entry(org.id, entity_id=target, occurred_at=at(2026, 1, 2, 7, tz=PERTH))
        first = f.audit_entry(org.id, entity_id=target, occurred_at=at(2026, 1, 1, 23, tz=PERTH))
        unrelated = f.audit_entry(org.id)
        system = f.audit_entry(org.id, entity_id=None)
        save(make_uow, second, unrelated, third, first, system)
        with make_uow(org.id) as uow:
            assert ids(uow.audit.list_for_entity(target)) == ids([first, second, third])
            assert uow.audit.list_for_entity(uuid4()) == []

    def test_audit_search_filters_pages_and_counts_newest_first(
        self, make_uow: MakeUow, org: m.Organisation, other_school: School
    ) -> None:
        clerk = f.staff(org.id)
        target = uuid4()
        # 22:00 and 23:00 on 1 January and 00:00 on 2 January UTC: local clock times (06:00,
        # 10:00, 08:00) would sort them wrongly
        early = f.audit_entry(org.id, entity_id=target, occurred_at=at(2026, 1, 2, 6, tz=PERTH))
        middle = f.audit_entry(
            org.id, entity_id=target, actor_staff_id=clerk.id, occurred_at=at(2026, 1, 2, 10)
        )
        late = f.audit_entry(
            org.id,
            entity_type="Invoice",
            actor_staff_id=clerk.id,
            occurred_at=at(2026, 1, 2, 8, tz=PERTH),
        )
        save(make_uow, clerk, middle, late, early)
        save(make_uow, f.audit_entry(other_school.organisation.id, entity_id=target))
        with make_uow(org.id) as uow:

            def search(**filters: Any) -> tuple[list[UUID], int]:
                found, total = uow.audit.search(**filters)
                return ids(found), total

            assert search(limit=100) == (ids([late, middle, early]), 3)
            assert search(limit=2) == (ids([late, middle]), 3)
            assert search(limit=2, offset=2) == (ids([early]), 3)
            assert search(limit=10, offset=5) == ([], 3)
            assert search(entity_id=target, limit=10) == (ids([middle, early]), 2)
            assert search(entity_type="Invoice", limit=10) == (ids([late]), 1)
            assert search(actor_staff_id=clerk.id, limit=10) == (ids([late, middle]), 2)
            assert search(occurred_from=at(2026, 1, 2, 10), limit=10) == (ids([late, middle]), 2)
            assert search(occurred_to=at(2026, 1, 2, 10), limit=10) == (ids([early]), 1)
            assert search(
                entity_id=target,
                actor_staff_id=clerk.id,
                occurred_from=at(2026, 1, 2, 6, tz=PERTH),
                occurred_to=at(2026, 1, 2, 8, tz=PERTH),
                limit=10,
            ) == (ids([middle]), 1)
            assert search(entity_id=uuid4(), limit=10) == ([], 0)

    @staticmethod
    def _two_campus_school(
        org: m.Organisation,
    ) -> tuple[dict[str, m.Entity], list[m.Entity]]:
        """Two campuses (A, B), cohorts there and families: ``both`` (a child at A and one at
        B), ``dropped`` (only a dropped enrolment at A), ``at_b`` (only at B), ``none`` (no
        enrolment)."""
        a = f.campus(org.id, name="A")
        b = f.campus(org.id, name="B")
        program = f.program(org.id)
        cohort_a = f.cohort(program, a, name="Alpha", start_date=date(2026, 2, 7))
        cohort_b = f.cohort(program, b, name="Beta", start_date=date(2026, 2, 7))
        both, dropped, at_b, none = (f.family(org.id) for _ in range(4))
        kid_a, kid_b = f.student(both, first_name="Kim"), f.student(both, first_name="Lee")
        gone, bee = f.student(dropped), f.student(at_b)
        enrolments = [
            f.enrolment(kid_a, cohort_a, status=EnrolmentStatus.ENROLLED),
            f.enrolment(kid_b, cohort_b),
            f.enrolment(
                gone,
                cohort_a,
                status=EnrolmentStatus.DROPPED,
                withdrawal_date=date(2026, 1, 5),
                withdrawal_reason="Moved away",
            ),
            f.enrolment(bee, cohort_b),
        ]
        named: dict[str, m.Entity] = {
            "a": a,
            "b": b,
            "both": both,
            "dropped": dropped,
            "at_b": at_b,
            "none": none,
            "cohort_a": cohort_a,
            "cohort_b": cohort_b,
        }
        saved = [a, b, program, cohort_a, cohort_b, both, dropped, at_b, none]
        return named, [*saved, kid_a, kid_b, gone, bee, *enrolments]

    def test_invoice_search_filters_orders_pages_and_counts(
        self, make_uow: MakeUow, org: m.Organisation, other_school: School
    ) -> None:
        named, entities = self._two_campus_school(org)
        both, dropped, at_b, none = (named[k] for k in ("both", "dropped", "at_b", "none"))
        assert isinstance(both, m.Family)
        assert isinstance(dropped, m.Family)
        assert isinstance(at_b, m.Family)
        assert isinstance(none, m.Family)
        a, b = named["a"].id, named["b"].id

        def bill(family: m.Family, number: int, day: date, **overrides: Any) -> m.Invoice:
            return f.invoice(
                family,
                invoice_number=m.invoice_number(2026, number),
                issue_date=day,
                due_date=day + timedelta(days=14),
                **overrides,
            )

        jan10, jan15, feb1 = date(2026, 1, 10), date(2026, 1, 15), date(2026, 2, 1)
        # issue date first, then number: a later number issued earlier comes first
        first = bill(dropped, 9, jan10)
        second = bill(both, 3, jan15)
        third = bill(at_b, 4, jan15, amount_paid=Decimal("0.00"))
        fourth = bill(none, 5, jan15, status=m.InvoiceStatus.DRAFT, amount_paid=Decimal("0.00"))
        fifth = bill(both, 1, feb1, amount_paid=Decimal("0.00"))
        save(make_uow, *entities, fifth, third, first, fourth, second)
        # another organisation's invoice of the same day never shows
        save(make_uow, f.invoice(other_school.family, issue_date=jan15))
        with make_uow(org.id) as uow:

            def search(**filters: Any) -> tuple[list[UUID], int]:
                found, total = uow.invoices.search(**{"limit": 100, **filters})
                return ids(found), total

            everything = ids([first, second, third, fourth, fifth])
            assert search() == (everything, 5)
            assert search(limit=2) == (everything[:2], 5)
            assert search(limit=2, offset=2) == (everything[2:4], 5)
            assert search(limit=2, offset=4) == (everything[4:], 5)
            assert search(offset=5) == ([], 5)
            assert search(family_id=both.id) == (ids([second, fifth]), 2)
            assert search(family_id=uuid4()) == ([], 0)
            assert search(status=m.InvoiceStatus.SENT) == (ids([third, fifth]), 2)
            assert search(status=m.InvoiceStatus.VOID) == ([], 0)
            assert search(issued_from=jan15) == (ids([second, third, fourth, fifth]), 4)
            assert search(issued_to=jan15) == (ids([first, second, third, fourth]), 4)
            assert search(issued_from=jan15, issued_to=jan15) == (
                ids([second, third, fourth]),
                3,
            )
            # the families of a campus: an enrolment there of any status, now or before
            assert search(campus_ids=[a]) == (ids([first, second, fifth]), 3)
            assert search(campus_ids=[b]) == (ids([second, third, fifth]), 3)
            assert search(campus_ids=[a, b]) == (ids([first, second, third, fifth]), 4)
            assert search(campus_ids=[]) == ([], 0)
            assert search(campus_ids=[other_school.campus.id]) == ([], 0)
            assert search(campus_ids=[a, b], limit=1, offset=1) == (ids([second]), 4)
            assert search(
                campus_ids=[b], family_id=both.id, status=m.InvoiceStatus.SENT, issued_from=feb1
            ) == (ids([fifth]), 1)
            assert search(campus_ids=[a], family_id=at_b.id) == ([], 0)

    def test_enrolment_search_by_cohort_then_arrival_filtered_paged_and_counted(
        self, make_uow: MakeUow, org: m.Organisation, other_school: School
    ) -> None:
        named, entities = self._two_campus_school(org)
        a, b = named["a"], named["b"]
        assert isinstance(a, m.Campus)
        assert isinstance(b, m.Campus)
        cohort_a, cohort_b = named["cohort_a"], named["cohort_b"]
        program = f.program(org.id)
        # by start date, then name, then id (Alpha and Beta start on the same day)
        earlier = f.cohort(program, b, name="Zeta", start_date=date(2026, 1, 10))
        family = f.family(org.id)
        kids = [f.student(family, first_name=name) for name in ("Ann", "Bo", "Cy")]
        late = f.enrolment(kids[0], earlier, enrolment_date=at(2026, 1, 3))
        soon = f.enrolment(
            kids[1], earlier, status=EnrolmentStatus.ENROLLED, enrolment_date=at(2026, 1, 2)
        )
        # arrival order is the instants': 07:00 in Perth comes after 09:00 in Melbourne
        also_soon = f.enrolment(kids[2], earlier, enrolment_date=at(2026, 1, 2, 7, tz=PERTH))
        save(make_uow, *entities, program, earlier, family, *kids, late, soon, also_soon)
        # another organisation's enrolments (the other school has some) never show
        with make_uow(org.id) as uow:
            in_a = uow.enrolments.list_for_cohort(cohort_a.id)
            in_b = uow.enrolments.list_for_cohort(cohort_b.id)

            def search(**filters: Any) -> tuple[list[UUID], int]:
                found, total = uow.enrolments.search(**{"limit": 100, **filters})
                return ids(found), total

            everything = ids([soon, also_soon, late, *in_a, *in_b])
            assert len(everything) == 7
            assert search() == (everything, 7)
            assert search(limit=3) == (everything[:3], 7)
            assert search(limit=3, offset=3) == (everything[3:6], 7)
            assert search(offset=7) == ([], 7)
            assert search(cohort_ids=[earlier.id]) == (ids([soon, also_soon, late]), 3)
            assert search(cohort_ids=[cohort_b.id, cohort_a.id]) == (ids([*in_a, *in_b]), 4)
            assert search(cohort_ids=[]) == ([], 0)
            assert search(cohort_ids=[other_school.cohort.id]) == ([], 0)
            assert search(campus_ids=[a.id]) == (ids(in_a), 2)
            assert search(campus_ids=[b.id]) == (ids([soon, also_soon, late, *in_b]), 5)
            assert search(campus_ids=[]) == ([], 0)
            assert search(campus_ids=[other_school.campus.id]) == ([], 0)
            assert search(cohort_ids=[earlier.id, cohort_a.id], campus_ids=[b.id]) == (
                ids([soon, also_soon, late]),
                3,
            )
            enrolled = [EnrolmentStatus.ENROLLED]
            kept = next(e for e in in_a if e.status is EnrolmentStatus.ENROLLED)
            assert search(statuses=enrolled) == (ids([soon, kept]), 2)
            assert search(statuses=enrolled, limit=1, offset=1) == (ids([kept]), 2)
            assert search(statuses=[]) == ([], 0)


# -- transactions -----------------------------------------------------------------------------


OUTSIDE_CALLS: dict[str, Callable[[UnitOfWork, School], object]] = {
    "add": lambda uow, s: uow.campuses.add(f.campus(s.organisation.id)),
    "find": lambda uow, s: uow.campuses.find(s.campus.id),
    "get": lambda uow, s: uow.cohorts.get(s.cohort.id),
    "list": lambda uow, s: uow.campuses.list(),
    "lookup": lambda uow, s: uow.staff.find_by_email(s.staff.email),
    "current": lambda uow, s: uow.organisations.current(),
    "commit": lambda uow, s: uow.commit(),
}
OUTSIDE_PARAMS = [pytest.param(call, id=name) for name, call in OUTSIDE_CALLS.items()]


class UnitOfWorkContract(_Schools):
    """Transactions: identity map, commit, rollback, isolation, optimistic versions."""

    def test_get_twice_returns_the_same_object(self, make_uow: MakeUow, school: School) -> None:
        with make_uow(school.organisation.id) as uow:
            cohort = uow.cohorts.get(school.cohort.id)
            assert uow.cohorts.get(school.cohort.id) is cohort
            assert uow.cohorts.find(school.cohort.id) is cohort
            listed = [c for c in uow.cohorts.list() if c.id == cohort.id]
            assert len(listed) == 1
            assert listed[0] is cohort
            enrolment = uow.enrolments.find_live(school.student.id, school.cohort.id)
            assert enrolment is uow.enrolments.get(school.enrolment.id)

    def test_an_added_entity_is_found_in_its_own_transaction(
        self, make_uow: MakeUow, school: School
    ) -> None:
        campus = f.campus(school.organisation.id, name="Zz New campus")
        with make_uow(school.organisation.id) as uow:
            uow.campuses.add(campus)
            assert uow.campuses.get(campus.id) is campus
            assert ids(uow.campuses.list()) == ids([school.campus, campus])

    def test_queries_see_the_transactions_own_uncommitted_changes(
        self, make_uow: MakeUow, school: School
    ) -> None:
        new_email = f"renamed{f.serial()}@rocket.example"
        with make_uow(school.organisation.id) as uow:
            campus = uow.campuses.get(school.campus.id)
            campus.deactivate()
            assert uow.campuses.list(active_only=True) == []
            assert uow.campuses.list() == [campus]
            staff = uow.staff.get(school.staff.id)
            staff.update(email=new_email)
            assert uow.staff.find_by_email(new_email) is staff
            assert uow.staff.find_by_email(school.staff.email) is None
            cohort = uow.cohorts.get(school.cohort.id)
            cohort.cancel()
            assert uow.cohorts.list(statuses=[m.CohortStatus.CANCELLED]) == [cohort]
            assert uow.cohorts.list(statuses=[m.CohortStatus.OPEN]) == []
            waiting = uow.enrolments.get(school.waitlisted.id)
            waiting.request_payment()
            assert uow.enrolments.waitlist(school.cohort.id) == []
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.campuses.list(active_only=True)) == [school.campus.id]
            assert ids(uow.staff.find_by_email(school.staff.email)) == [school.staff.id]
            assert ids(uow.cohorts.list(statuses=[m.CohortStatus.OPEN])) == [school.cohort.id]
            assert ids(uow.enrolments.waitlist(school.cohort.id)) == [school.waitlisted.id]

    def test_nothing_added_without_commit_is_saved(self, make_uow: MakeUow) -> None:
        school = f.school()
        with make_uow(school.organisation.id) as uow:
            for entity in school.entities():
                repository(uow, entity).add(entity)
        with make_uow(school.organisation.id) as uow:
            for entity in school.entities():
                assert repository(uow, entity).find(entity.id) is None, type(entity).__name__
            assert uow.campuses.list() == []
            assert uow.staff.find_by_email(school.staff.email) is None
            with pytest.raises(NotFound):
                uow.organisations.current()

    def test_an_exception_rolls_back_every_change_and_propagates(
        self, make_uow: MakeUow, school: School
    ) -> None:
        extra = f.campus(school.organisation.id)

        def work() -> None:
            with make_uow(school.organisation.id) as uow:
                uow.campuses.add(extra)
                uow.cohorts.get(school.cohort.id).take_seat()
                uow.families.get(school.family.id).update(account_balance=Decimal("99.99"))
                raise Boom("payment gateway down")

        with pytest.raises(Boom, match="payment gateway down"):
            work()
        with make_uow(school.organisation.id) as uow:
            assert uow.campuses.find(extra.id) is None
            assert uow.cohorts.get(school.cohort.id).current_enrolments == 1
            assert uow.families.get(school.family.id).account_balance == Decimal("-12.34")

    def test_an_exception_after_commit_keeps_what_was_committed(
        self, make_uow: MakeUow, school: School
    ) -> None:
        extra = f.campus(school.organisation.id)

        def work() -> None:
            with make_uow(school.organisation.id) as uow:
                uow.campuses.add(extra)
                uow.commit()
                raise Boom

        with pytest.raises(Boom):
            work()
        with make_uow(school.organisation.id) as uow:
            assert uow.campuses.find(extra.id) is not None

    def test_uncommitted_changes_are_invisible_to_a_concurrent_transaction(
        self, make_uow: MakeUow, school: School
    ) -> None:
        extra = f.campus(school.organisation.id)
        with make_uow(school.organisation.id) as first:
            first.campuses.add(extra)
            first.cohorts.get(school.cohort.id).update(room="Lab 9")
            first.families.get(school.family.id).deactivate()
            with make_uow(school.organisation.id) as second:
                assert second.campuses.find(extra.id) is None
                assert ids(second.campuses.list()) == [school.campus.id]
                assert second.cohorts.get(school.cohort.id).room == "Lab 1"
                assert ids(second.families.list(active_only=True)) == [school.family.id]
            first.commit()
        with make_uow(school.organisation.id) as later:
            assert later.campuses.find(extra.id) is not None
            assert later.cohorts.get(school.cohort.id).room == "Lab 9"
            assert later.families.list(active_only=True) == []

    def test_stale_update_raises_conflict_and_keeps_the_first_change(
        self, make_uow: MakeUow, school: School
    ) -> None:
        with make_uow(school.organisation.id) as first, make_uow(school.organisation.id) as second:
            mine = first.cohorts.get(school.cohort.id)
            theirs = second.cohorts.get(school.cohort.id)
            mine.update(room="Lab A")
            theirs.update(room="Lab B")
            first.commit()
            with pytest.raises(Conflict):
                second.commit()
        with make_uow(school.organisation.id) as uow:
            cohort = uow.cohorts.get(school.cohort.id)
            assert (cohort.room, cohort.version) == ("Lab A", 2)

    def test_a_stale_transaction_saves_nothing_at_all(
        self, make_uow: MakeUow, school: School
    ) -> None:
        extra = f.campus(school.organisation.id)
        with make_uow(school.organisation.id) as first, make_uow(school.organisation.id) as second:
            first.cohorts.get(school.cohort.id).take_seat()
            # ``second`` reads everything before it changes anything: on SQLite a query after a
            # change flushes it, which takes the database's single write lock until commit.
            family = second.families.get(school.family.id)
            cohort = second.cohorts.get(school.cohort.id)
            family.update(account_balance=Decimal("1.00"))
            second.campuses.add(extra)
            cohort.take_seat()
            first.commit()
            with pytest.raises(Conflict):
                second.commit()
        with make_uow(school.organisation.id) as uow:
            assert uow.cohorts.get(school.cohort.id).current_enrolments == 2
            assert uow.families.get(school.family.id).account_balance == Decimal("-12.34")
            assert uow.campuses.find(extra.id) is None

    def test_the_loser_of_a_stale_update_can_retry_with_fresh_data(
        self, make_uow: MakeUow, school: School
    ) -> None:
        org = school.organisation.id
        with make_uow(org) as first, make_uow(org) as second:
            first.cohorts.get(school.cohort.id).take_seat()
            second.cohorts.get(school.cohort.id).take_seat()
            first.commit()
            with pytest.raises(Conflict):
                second.commit()
        with make_uow(org) as retry:
            retry.cohorts.get(school.cohort.id).take_seat()
            retry.commit()
        with make_uow(org) as uow:
            cohort = uow.cohorts.get(school.cohort.id)
            assert (cohort.current_enrolments, cohort.version) == (3, 3)

    def test_a_transaction_that_only_read_does_not_conflict(
        self, make_uow: MakeUow, school: School
    ) -> None:
        with make_uow(school.organisation.id) as reader:
            assert reader.cohorts.get(school.cohort.id).room == "Lab 1"
            with make_uow(school.organisation.id) as writer:
                writer.cohorts.get(school.cohort.id).update(room="Lab 2")
                writer.commit()
            reader.commit()
        with make_uow(school.organisation.id) as uow:
            cohort = uow.cohorts.get(school.cohort.id)
            assert (cohort.room, cohort.version) == ("Lab 2", 2)

    def test_version_grows_by_one_per_committed_change_only(
        self, make_uow: MakeUow, school: School
    ) -> None:
        org, cohort_id = school.organisation.id, school.cohort.id

        def version() -> int:
            with make_uow(org) as uow:
                return uow.cohorts.get(cohort_id).version  # type: ignore[no-any-return]

        assert version() == 1
        with make_uow(org) as uow:
            cohort = uow.cohorts.get(cohort_id)
            cohort.update(room="Lab 3")
            cohort.take_seat()
            uow.commit()
        assert version() == 2
        with make_uow(org) as uow:
            uow.cohorts.get(cohort_id)
            uow.cohorts.list()
            uow.commit()
        assert version() == 2
        with make_uow(org) as uow:
            uow.cohorts.get(cohort_id).update(room="Lab 4")
        assert version() == 2
        with make_uow(org) as uow:
            uow.cohorts.get(cohort_id).release_seat()
            uow.commit()
        assert version() == 3

    def test_the_same_unit_of_work_can_be_entered_again(
        self, make_uow: MakeUow, school: School
    ) -> None:
        uow = make_uow(school.organisation.id)
        extra = f.campus(school.organisation.id)
        with uow:
            uow.campuses.add(extra)
            uow.commit()
        with uow:
            uow.campuses.get(extra.id).deactivate()
        with uow:
            assert uow.campuses.get(extra.id).is_active is True
            uow.campuses.get(extra.id).deactivate()
            uow.commit()
        with make_uow(school.organisation.id) as other:
            assert other.campuses.get(extra.id).is_active is False

    @pytest.mark.parametrize("call", OUTSIDE_PARAMS)
    def test_use_before_the_transaction_begins_raises(
        self, make_uow: MakeUow, school: School, call: Callable[[UnitOfWork, School], object]
    ) -> None:
        uow = make_uow(school.organisation.id)
        with pytest.raises(RocketError):
            call(uow, school)

    @pytest.mark.parametrize("call", OUTSIDE_PARAMS)
    def test_use_after_the_transaction_ended_raises(
        self, make_uow: MakeUow, school: School, call: Callable[[UnitOfWork, School], object]
    ) -> None:
        uow = make_uow(school.organisation.id)
        with uow:
            uow.cohorts.get(school.cohort.id)
            uow.commit()
        with pytest.raises(RocketError):
            call(uow, school)

    def test_objects_outside_their_transaction_do_not_write_through(
        self, make_uow: MakeUow, school: School
    ) -> None:
        added = f.campus(school.organisation.id, name="Added")
        save(make_uow, added)
        added.update(name="Changed after commit")
        with make_uow(school.organisation.id) as uow:
            loaded = uow.campuses.get(school.campus.id)
        loaded.update(name="Changed after the transaction")
        with make_uow(school.organisation.id) as uow:
            uow.commit()
        with make_uow(school.organisation.id) as uow:
            assert uow.campuses.get(added.id).name == "Added"
            assert uow.campuses.get(school.campus.id).name == school.campus.name


# -- uniqueness -------------------------------------------------------------------------------


class UniquenessContract(_Schools):
    """The data model's unique rules, checked when the transaction commits: all or nothing."""

    @pytest.mark.parametrize("case", DUPLICATE_PARAMS)
    def test_a_duplicate_is_refused_at_commit_and_nothing_is_saved(
        self, make_uow: MakeUow, school: School, other_school: School, case: Duplicate
    ) -> None:
        target = other_school if case.other_organisation else school
        org = target.organisation.id
        duplicate = case.make(school, target)
        bystander = f.campus(org)
        with make_uow(org) as uow:
            uow.cohorts.get(target.cohort.id).update(room="Lab 9")
            uow.campuses.add(bystander)
            repository(uow, duplicate).add(duplicate)
            with pytest.raises(Conflict):
                uow.commit()
        with make_uow(org) as uow:
            assert repository(uow, duplicate).find(duplicate.id) is None
            assert uow.campuses.find(bystander.id) is None
            assert uow.cohorts.get(target.cohort.id).room == "Lab 1"

    def test_two_new_staff_with_one_email_in_one_transaction(
        self, make_uow: MakeUow, school: School
    ) -> None:
        org = school.organisation.id
        email = f"twin{f.serial()}@rocket.example"
        first, second = f.staff(org, email=email), f.staff(org, email=email.upper())
        with make_uow(org) as uow:
            uow.staff.add(first)
            uow.staff.add(second)
            with pytest.raises(Conflict):
                uow.commit()
        with make_uow(org) as uow:
            assert uow.staff.find_by_email(email) is None

    def test_a_family_email_may_be_used_in_another_organisation(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        same = f.family(
            other_school.organisation.id,
            primary_contact_email=school.family.primary_contact_email,
        )
        save(make_uow, same)
        with make_uow(other_school.organisation.id) as uow:
            found = uow.families.find_by_email(school.family.primary_contact_email)
            assert ids(found) == [same.id]

    def test_a_credit_note_number_may_be_used_in_another_organisation(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        number = school.credit_note.credit_note_number
        same = f.credit_note(other_school.invoice, credit_note_number=number)
        save(make_uow, same)
        with make_uow(other_school.organisation.id) as uow:
            found = uow.credit_notes.list_for_invoice(other_school.invoice.id)
            assert sorted(ids(found)) == sorted([same.id, other_school.credit_note.id])
            assert number in [note.credit_note_number for note in found]

    def test_refunds_without_a_stripe_refund_do_not_collide(
        self, make_uow: MakeUow, school: School
    ) -> None:
        counter = [
            f.refund(school.payment, stripe_refund_id=None, refunded_at=at(2026, 4, day))
            for day in (1, 2)
        ]
        save(make_uow, *counter)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.refunds.list_for_payment(school.payment.id)) == ids(
                [school.refund, *counter]
            )

    def test_an_invoice_number_may_be_used_in_another_organisation(
        self, make_uow: MakeUow, school: School, other_school: School
    ) -> None:
        same = f.invoice(other_school.family, invoice_number=school.invoice.invoice_number)
        save(make_uow, same)
        with make_uow(other_school.organisation.id) as uow:
            assert ids(uow.invoices.find_by_number(school.invoice.invoice_number)) == [same.id]

    def test_a_student_may_enrol_again_once_the_first_enrolment_is_dropped(
        self, make_uow: MakeUow, school: School
    ) -> None:
        org = school.organisation.id
        with make_uow(org) as uow:
            uow.enrolments.get(school.enrolment.id).drop(on=date(2026, 2, 20), reason="Sick")
            uow.commit()
        again = f.enrolment(school.student, school.cohort, enrolment_date=at(2026, 3, 1))
        save(make_uow, again)
        with make_uow(org) as uow:
            live = uow.enrolments.find_live(school.student.id, school.cohort.id)
            assert ids(live) == [again.id]
            assert ids(uow.enrolments.list_for_student(school.student.id)) == ids(
                [school.enrolment, again]
            )

    def test_payments_without_a_payment_intent_do_not_collide(
        self, make_uow: MakeUow, school: School
    ) -> None:
        cash = [
            f.payment(
                school.family,
                payment_method=m.PaymentMethod.CASH,
                stripe_payment_intent_id=None,
                payment_date=at(2026, 1, day),
            )
            for day in (1, 2)
        ]
        no_login = f.student(school.family, first_name="Nell", student_login_email=None)
        save(make_uow, *cash, no_login)
        with make_uow(school.organisation.id) as uow:
            assert ids(uow.payments.list_for_family(school.family.id)) == ids(
                [*cash, school.payment]
            )
            assert uow.students.find(no_login.id) is not None

    def test_uniqueness_is_checked_against_committed_data_not_a_stale_copy(
        self, make_uow: MakeUow, school: School
    ) -> None:
        # ``late`` loaded the staff member before ``early`` moved them to a new e-mail: the
        # copy ``late`` holds still has the old address, but the committed one is the new.
        org = school.organisation.id
        new_email = f"moved{f.serial()}@rocket.example"
        with make_uow(org) as late:
            late.staff.get(school.staff.id)
            with make_uow(org) as early:
                early.staff.get(school.staff.id).update(email=new_email)
                early.commit()
            late.staff.add(f.staff(org, email=new_email))
            with pytest.raises(Conflict):
                late.commit()
        with make_uow(org) as uow:
            assert [s.email for s in uow.staff.list()].count(new_email) == 1


# -- domain events ----------------------------------------------------------------------------


class EventsContract(_Schools):
    """collect_events hands over what the transaction's entities recorded, once."""

    @staticmethod
    def payment_requested(school: School) -> EnrolmentStatusChanged:
        return EnrolmentStatusChanged(
            organisation_id=school.organisation.id,
            enrolment_id=school.waitlisted.id,
            student_id=school.sibling.id,
            cohort_id=school.cohort.id,
            trigger="request_payment",
            from_status="enquiry",
            to_status="pending_payment",
        )

    def test_events_of_a_committed_transaction_are_collected_once(
        self, make_uow: MakeUow, school: School
    ) -> None:
        paid = attrs.evolve(
            self.payment_requested(school),
            trigger="payment_received",
            from_status="pending_payment",
            to_status="enrolled",
        )
        cancelled = SessionCancelled(
            organisation_id=school.organisation.id,
            session_id=school.session.id,
            cohort_id=school.cohort.id,
            reason="Campus flooded",
        )
        with make_uow(school.organisation.id) as uow:
            enrolment = uow.enrolments.get(school.waitlisted.id)
            enrolment.request_payment()
            enrolment.payment_received()
            uow.sessions.get(school.session.id).cancel("Campus flooded")
            uow.commit()
            events = uow.collect_events()
            assert uow.collect_events() == []
        assert len(events) == 3
        assert set(events) == {self.payment_requested(school), paid, cancelled}
        assert events.index(self.payment_requested(school)) < events.index(paid)

    def test_events_can_be_collected_after_leaving_the_committed_block(
        self, make_uow: MakeUow, school: School
    ) -> None:
        with make_uow(school.organisation.id) as uow:
            uow.enrolments.get(school.waitlisted.id).request_payment()
            uow.commit()
        assert uow.collect_events() == [self.payment_requested(school)]
        assert uow.collect_events() == []

    def test_events_of_added_entities_are_collected(
        self, make_uow: MakeUow, school: School
    ) -> None:
        kid = f.student(school.family, first_name="Trinh")
        trial = f.enrolment(kid, school.cohort)
        with make_uow(school.organisation.id) as uow:
            uow.students.add(kid)
            uow.enrolments.add(trial)
            trial.book_trial(school.session.id)
            uow.commit()
            events = uow.collect_events()
        assert events == [
            EnrolmentStatusChanged(
                organisation_id=school.organisation.id,
                enrolment_id=trial.id,
                student_id=kid.id,
                cohort_id=school.cohort.id,
                trigger="book_trial",
                from_status="enquiry",
                to_status="trial",
            )
        ]

    def test_events_of_a_rolled_back_transaction_are_dropped(
        self, make_uow: MakeUow, school: School
    ) -> None:
        with make_uow(school.organisation.id) as uow:
            uow.enrolments.get(school.waitlisted.id).request_payment()
        assert uow.collect_events() == []
        with make_uow(school.organisation.id) as uow:
            enrolment = uow.enrolments.get(school.waitlisted.id)
            assert enrolment.status is EnrolmentStatus.ENQUIRY
            assert uow.collect_events() == []

    def test_recorded_events_come_after_the_entities_and_go_with_a_rollback(
        self, make_uow: MakeUow, school: School
    ) -> None:
        cancelled = SessionCancelled(
            organisation_id=school.organisation.id,
            session_id=school.session.id,
            cohort_id=school.cohort.id,
            reason="Storm",
        )
        with make_uow(school.organisation.id) as uow:
            uow.record(cancelled)
            uow.enrolments.get(school.waitlisted.id).request_payment()
            uow.commit()
        assert uow.collect_events() == [self.payment_requested(school), cancelled]
        assert uow.collect_events() == []
        with make_uow(school.organisation.id) as uow:
            uow.record(cancelled)
        assert uow.collect_events() == []
        with uow:  # the same unit of work again: nothing of the rolled back one is left
            assert uow.collect_events() == []

    def test_events_are_not_saved_with_the_entities(
        self, make_uow: MakeUow, school: School
    ) -> None:
        with make_uow(school.organisation.id) as uow:
            uow.sessions.get(school.session.id).cancel("Storm")
            uow.commit()
        with make_uow(school.organisation.id) as uow:
            session = uow.sessions.get(school.session.id)
            assert session.is_cancelled
            assert uow.collect_events() == []


# -- threads ----------------------------------------------------------------------------------


class ConcurrencyContract:
    """Units of work in parallel threads never lose an update."""

    THREADS = 10
    CAPACITY = 5

    def test_parallel_seat_taking_never_overbooks(self, make_uow: MakeUow) -> None:
        org = f.organisation()
        campus, program = f.campus(org.id), f.program(org.id)
        cohort = f.cohort(program, campus, max_capacity=self.CAPACITY)
        home = f.family(org.id)
        kids = [f.student(home, first_name=f"Kid {i}") for i in range(self.THREADS)]
        save(make_uow, org, campus, program, cohort, home, *kids)
        start = threading.Barrier(self.THREADS)
        outcomes: dict[int, str] = {}
        errors: list[BaseException] = []

        def take_seat(i: int) -> None:
            try:
                start.wait(timeout=10)
                for _attempt in range(200):
                    with make_uow(org.id) as uow:
                        loaded = uow.cohorts.get(cohort.id)
                        try:
                            loaded.take_seat()
                        except Conflict:
                            outcomes[i] = "full"
                            return
                        uow.enrolments.add(
                            f.enrolment(kids[i], loaded, status=EnrolmentStatus.PENDING_PAYMENT)
                        )
                        try:
                            uow.commit()
                        except Conflict:
                            continue  # someone else committed first: reload and retry
                        outcomes[i] = "seat"
                        return
                outcomes[i] = "gave up"
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=take_seat, args=(i,)) for i in range(self.THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        free = self.THREADS - self.CAPACITY
        assert sorted(outcomes.values()) == ["full"] * free + ["seat"] * self.CAPACITY
        seated = {kids[i].id for i, outcome in outcomes.items() if outcome == "seat"}
        with make_uow(org.id) as uow:
            final = uow.cohorts.get(cohort.id)
            assert final.current_enrolments == self.CAPACITY
            assert final.status is m.CohortStatus.FULL
            enrolled = uow.enrolments.list_for_cohort(cohort.id)
            assert {e.student_id for e in enrolled} == seated


class LockingContract:
    """The primitives later use cases count on under concurrency: a cohort row locked while
    seats are counted, and invoice numbers allocated without duplicates or gaps."""

    THREADS = 8
    CAPACITY = 3

    def test_locked_seat_counting_never_overbooks_and_never_conflicts(
        self, make_uow: MakeUow
    ) -> None:
        org = f.organisation()
        campus, program = f.campus(org.id), f.program(org.id)
        cohort = f.cohort(program, campus, max_capacity=self.CAPACITY)
        home = f.family(org.id)
        kids = [f.student(home, first_name=f"Kid {i}") for i in range(self.THREADS)]
        save(make_uow, org, campus, program, cohort, home, *kids)
        start = threading.Barrier(self.THREADS)
        outcomes: dict[int, str] = {}
        errors: list[BaseException] = []
        seat_holding = [EnrolmentStatus.PENDING_PAYMENT, EnrolmentStatus.ENROLLED]

        def enrol(i: int) -> None:
            try:
                start.wait(timeout=10)
                with make_uow(org.id) as uow:
                    locked = uow.cohorts.get_for_update(cohort.id)
                    held = uow.enrolments.list_for_cohort(cohort.id, statuses=seat_holding)
                    if len(held) >= locked.max_capacity:
                        outcomes[i] = "full"
                        return
                    locked.take_seat()
                    uow.enrolments.add(
                        f.enrolment(kids[i], locked, status=EnrolmentStatus.PENDING_PAYMENT)
                    )
                    uow.commit()  # no retry: the lock serialised us, nothing can be stale
                    outcomes[i] = "seat"
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=enrol, args=(i,)) for i in range(self.THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert (
            sorted(outcomes.values())
            == ["full"] * (self.THREADS - self.CAPACITY) + ["seat"] * self.CAPACITY
        )
        with make_uow(org.id) as uow:
            final = uow.cohorts.get(cohort.id)
            held = uow.enrolments.list_for_cohort(cohort.id, statuses=seat_holding)
            assert final.current_enrolments == len(held) == self.CAPACITY

    def test_a_second_locker_waits_until_the_first_commits(self, make_uow: MakeUow) -> None:
        org = f.organisation()
        campus, program = f.campus(org.id), f.program(org.id)
        cohort = f.cohort(program, campus, max_capacity=5)
        save(make_uow, org, campus, program, cohort)
        first_locked, release_first = threading.Event(), threading.Event()
        committing = threading.Event()
        seen_by_second: list[tuple[bool, int]] = []
        errors: list[BaseException] = []

        def first() -> None:
            try:
                with make_uow(org.id) as uow:
                    uow.cohorts.get_for_update(cohort.id).take_seat()
                    first_locked.set()
                    release_first.wait(timeout=10)
                    # Set just before committing: the second may wake between the database's
                    # commit and this thread's next line, but never before this line.
                    committing.set()
                    uow.commit()
            except BaseException as error:
                errors.append(error)

        def second() -> None:
            try:
                first_locked.wait(timeout=10)
                with make_uow(org.id) as uow:
                    locked = uow.cohorts.get_for_update(cohort.id)
                    seen_by_second.append((committing.is_set(), locked.current_enrolments))
                    uow.commit()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        first_locked.wait(timeout=10)
        # Give the second thread every chance to get past the lock if the lock did not hold.
        threads[1].join(timeout=0.5)
        release_first.set()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        # The second got the row only once the first was committing, and saw its seat taken
        # (which it can only see after the commit).
        assert seen_by_second == [(True, 1)]

    def test_locking_an_unknown_cohort_is_not_found(self, make_uow: MakeUow) -> None:
        org = f.organisation()
        save(make_uow, org)
        with make_uow(org.id) as uow, pytest.raises(NotFound):
            uow.cohorts.get_for_update(uuid4())

    def test_locking_another_organisations_cohort_is_not_found(self, make_uow: MakeUow) -> None:
        org, other = f.organisation(), f.organisation()
        campus, program = f.campus(other.id), f.program(other.id)
        cohort = f.cohort(program, campus)
        save(make_uow, org)
        save(make_uow, other, campus, program, cohort)
        with make_uow(org.id) as uow, pytest.raises(NotFound):
            uow.cohorts.get_for_update(cohort.id)

    def test_invoice_numbers_count_up_per_organisation_and_year(self, make_uow: MakeUow) -> None:
        org, other = f.organisation(), f.organisation()
        save(make_uow, org)
        save(make_uow, other)
        with make_uow(org.id) as uow:
            numbers = [uow.invoices.next_number(2026) for _ in range(3)]
            numbers.append(uow.invoices.next_number(2027))
            uow.commit()
        with make_uow(other.id) as uow:
            numbers.append(uow.invoices.next_number(2026))
            uow.commit()
        with make_uow(org.id) as uow:
            numbers.append(uow.invoices.next_number(2026))
            uow.commit()
        assert numbers == [
            "INV-2026-000001",
            "INV-2026-000002",
            "INV-2026-000003",
            "INV-2027-000001",
            "INV-2026-000001",
            "INV-2026-000004",
        ]

    def test_a_rolled_back_number_is_handed_out_again(self, make_uow: MakeUow) -> None:
        org = f.organisation()
        save(make_uow, org)
        with make_uow(org.id) as uow:
            assert uow.invoices.next_number(2026) == "INV-2026-000001"
            uow.commit()

        def allocate_then_fail() -> None:
            with make_uow(org.id) as uow:
                assert uow.invoices.next_number(2026) == "INV-2026-000002"
                raise Boom

        with pytest.raises(Boom):
            allocate_then_fail()
        with make_uow(org.id) as uow:
            assert uow.invoices.next_number(2026) == "INV-2026-000002"
            uow.commit()

    def test_credit_note_numbers_count_up_apart_from_invoice_numbers(
        self, make_uow: MakeUow
    ) -> None:
        org, other = f.organisation(), f.organisation()
        save(make_uow, org)
        save(make_uow, other)
        with make_uow(org.id) as uow:
            numbers = [uow.credit_notes.next_number(2026) for _ in range(2)]
            numbers.append(uow.invoices.next_number(2026))
            numbers.append(uow.credit_notes.next_number(2027))
            uow.commit()
        with make_uow(other.id) as uow:
            numbers.append(uow.credit_notes.next_number(2026))
            uow.commit()
        with make_uow(org.id) as uow:
            numbers.append(uow.credit_notes.next_number(2026))
            numbers.append(uow.invoices.next_number(2026))
            uow.commit()
        assert numbers == [
            "CN-2026-000001",
            "CN-2026-000002",
            "INV-2026-000001",
            "CN-2027-000001",
            "CN-2026-000001",
            "CN-2026-000003",
            "INV-2026-000002",
        ]

    def test_a_rolled_back_credit_note_number_is_handed_out_again(self, make_uow: MakeUow) -> None:
        org = f.organisation()
        save(make_uow, org)

        def allocate_then_fail() -> None:
            with make_uow(org.id) as uow:
                assert uow.credit_notes.next_number(2026) == "CN-2026-000001"
                raise Boom

        with pytest.raises(Boom):
            allocate_then_fail()
        with make_uow(org.id) as uow:
            assert uow.credit_notes.next_number(2026) == "CN-2026-000001"
            uow.commit()
        with make_uow(org.id) as uow:
            assert uow.credit_notes.next_number(2026) == "CN-2026-000002"

    @pytest.mark.parametrize("kind", ["invoices", "credit_notes"])
    def test_concurrent_allocations_are_distinct_and_leave_no_gap(
        self, make_uow: MakeUow, kind: str
    ) -> None:
        threads_count = 20
        org = f.organisation()
        save(make_uow, org)
        start = threading.Barrier(threads_count)
        numbers: list[str] = []
        errors: list[BaseException] = []

        def allocate() -> None:
            try:
                start.wait(timeout=10)
                with make_uow(org.id) as uow:
                    number = getattr(uow, kind).next_number(2026)
                    uow.commit()
                numbers.append(number)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=allocate) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        prefix = "INV" if kind == "invoices" else "CN"
        assert sorted(numbers) == [f"{prefix}-2026-{n:06d}" for n in range(1, threads_count + 1)]


#: Every contract class, for a backend that wants them all.
ALL_CONTRACTS: Sequence[type] = (
    RepositoryContract,
    LookupContract,
    UnitOfWorkContract,
    UniquenessContract,
    EventsContract,
    ConcurrencyContract,
    LockingContract,
)
