"""A family's data export: everything Rocket holds about one family, for a privacy request
(product-rules.md, "Privacy": a family can get an export of all its data, as JSON).

``ExportService.export_family(actor, family_id)`` gathers, in one transaction (one consistent
snapshot): the family, its students, their enrolments, attendance marks, skill progress,
project submissions and makeup tokens, the family's invoices, payments (with their
allocations to invoices), refunds and credit notes, the messages to and from the family and
the notifications sent (or queued) to it. ``FamilyExport.as_json()`` turns it into plain JSON
values: every field of every record, ids, dates, times and money as strings (money keeps its
two decimal places), enums by their value, sets as sorted lists.

Decisions:

- **Who may export.** ``Action.DATA_EXPORT``: a super admin any family; a campus manager a
  family with an enrolment (now or before) at a campus they are assigned to; a family that
  never enrolled belongs to no campus, so only a super admin exports it. Nobody else.
  ``export_family_as_operator`` is the command line's (``rocket export family``): whoever
  runs it already holds the database, so no staff member is named.
- **Audited.** An export hands personal data (medical notes included) out of Rocket: each one
  writes a ``family.export`` audit entry (its actor, or none for the operator) with what it
  contained, in the transaction that read the data.
- **Nothing is left out or masked.** It is the family's own data, asked for by the family;
  staff-only fields (a message's staff sender, who recorded a mark) are included as ids.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import attrs

from rocket_core.errors import NotFound
from rocket_core.model import (
    Attendance,
    CreditNote,
    Enrolment,
    Entity,
    Family,
    Invoice,
    MakeupToken,
    Message,
    Notification,
    Payment,
    PaymentAllocation,
    ProjectSubmission,
    Refund,
    SkillProgress,
    Student,
)
from rocket_core.permissions import Action, Actor, Scope, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service

_E = TypeVar("_E", bound=Entity)

#: Names the layout of ``FamilyExport.as_json()``; a change of layout changes it.
EXPORT_FORMAT = "rocket.family-export/1"

#: The record lists of an export, in the order ``as_json`` writes them.
SECTIONS = (
    "students",
    "enrolments",
    "attendance",
    "skill_progress",
    "projects",
    "makeup_tokens",
    "invoices",
    "payments",
    "payment_allocations",
    "refunds",
    "credit_notes",
    "messages",
    "notifications",
)


@attrs.frozen(kw_only=True)
class FamilyExport:
    """Everything held about one family, read in one transaction."""

    organisation_id: UUID
    exported_at: datetime
    family: Family
    students: tuple[Student, ...]
    enrolments: tuple[Enrolment, ...]
    attendance: tuple[Attendance, ...]
    skill_progress: tuple[SkillProgress, ...]
    projects: tuple[ProjectSubmission, ...]
    makeup_tokens: tuple[MakeupToken, ...]
    invoices: tuple[Invoice, ...]
    payments: tuple[Payment, ...]
    payment_allocations: tuple[PaymentAllocation, ...]
    refunds: tuple[Refund, ...]
    credit_notes: tuple[CreditNote, ...]
    messages: tuple[Message, ...]
    notifications: tuple[Notification, ...]

    def counts(self) -> dict[str, int]:
        """How many records of each kind the export holds."""
        return {name: len(getattr(self, name)) for name in SECTIONS}

    def as_json(self) -> dict[str, Any]:
        """The export as JSON values (``json.dumps`` writes it as it is): a header, the
        family and one list per kind of record, each record with every field."""
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "organisation_id": str(self.organisation_id),
            "family_id": str(self.family.id),
            "exported_at": self.exported_at.isoformat(),
            "family": jsonable(self.family),
        }
        for name in SECTIONS:
            document[name] = [jsonable(record) for record in getattr(self, name)]
        return document


def jsonable(value: object) -> Any:
    """``value`` as JSON values: records (attrs classes) as objects of every field, ids,
    dates, times and Decimals as strings (ISO 8601 for dates and times), enums by value,
    sets as sorted lists, tuples as lists."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    cls = type(value)
    if attrs.has(cls):
        return {
            field.name: jsonable(getattr(value, field.name))
            for field in attrs.fields(cls)
            if not field.name.startswith("_")
        }
    raise TypeError(f"cannot export a {type(value).__name__}")


class ExportService(Service):
    """A family's data export (see the module docstring)."""

    def export_family(self, actor: Actor, family_id: UUID) -> FamilyExport:
        """Everything held about the family (``Action.DATA_EXPORT``: a super admin, or a
        campus manager of one of the family's campuses); NotFound for an unknown family.
        Audited as ``family.export``."""
        with self.transaction(actor) as uow:
            if not actor.can(Action.DATA_EXPORT):
                authorise(actor, Action.DATA_EXPORT)  # Forbidden, whether or not it exists
            family = _family(uow, family_id)
            campus_id = None
            if actor.grant(Action.DATA_EXPORT).scope is Scope.CAMPUS:
                campus_id = _pick(_family_campuses(uow, family.id), actor.campus_ids)
            authorise(actor, Action.DATA_EXPORT, campus_id=campus_id, family_id=family.id)
            return self._export(uow, actor, family)

    def export_family_as_operator(self, organisation_id: UUID, family_id: UUID) -> FamilyExport:
        """The same export for the command line's operator (no staff member: whoever runs
        it holds the database); NotFound for an unknown organisation or family. Audited
        without an actor."""
        with self.system_transaction(organisation_id) as uow:
            uow.organisations.current()
            return self._export(uow, None, _family(uow, family_id))

    def _export(self, uow: UnitOfWork, actor: Actor | None, family: Family) -> FamilyExport:
        students = uow.students.list_for_family(family.id)
        payments = uow.payments.list_for_family(family.id)
        export = FamilyExport(
            organisation_id=uow.organisation_id,
            exported_at=self.clock.now(),
            family=family,
            students=tuple(students),
            enrolments=_each(students, uow.enrolments.list_for_student),
            attendance=_each(students, uow.attendance.list_for_student),
            skill_progress=_each(students, uow.skill_progress.list_for_student),
            projects=_each(students, uow.projects.list_for_student),
            makeup_tokens=_each(students, uow.makeup_tokens.list_for_student),
            invoices=tuple(uow.invoices.list_for_family(family.id)),
            payments=tuple(payments),
            payment_allocations=_each(payments, uow.allocations.list_for_payment),
            refunds=tuple(uow.refunds.list_for_family(family.id)),
            credit_notes=tuple(uow.credit_notes.list_for_family(family.id)),
            messages=tuple(uow.messages.list_for_family(family.id)),
            notifications=tuple(uow.notifications.list_for_family(family.id)),
        )
        counts = export.counts()
        listed = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
        self.audit(
            uow,
            actor,
            "family.export",
            family,
            f"Data export of family {family.display_name}: {listed}",
            {"format": EXPORT_FORMAT, "records": counts},
        )
        return export


def _family(uow: UnitOfWork, family_id: UUID) -> Family:
    family = uow.families.find(family_id)
    if family is None:
        raise NotFound("Family", family_id)
    return family


def _each(owners: Sequence[Entity], lister: Callable[[UUID], Sequence[_E]]) -> tuple[_E, ...]:
    """The records ``lister(owner.id)`` gives for each owner, in the owners' order, each once."""
    seen: dict[UUID, _E] = {}
    for owner in owners:
        for record in lister(owner.id):
            seen.setdefault(record.id, record)
    return tuple(seen.values())


def _pick(targets: frozenset[UUID], mine: frozenset[UUID]) -> UUID | None:
    """A campus the actor covers if there is one, else any (for authorise to refuse), else
    None (a family that never enrolled: only ``all`` covers it)."""
    covered = sorted(targets & mine, key=str)
    if covered:
        return covered[0]
    return min(targets, key=str, default=None)


def _family_campuses(uow: UnitOfWork, family_id: UUID) -> frozenset[UUID]:
    """The campuses of the cohorts the family's children have (or had) an enrolment in."""
    cohort_ids = {
        enrolment.cohort_id
        for child in uow.students.list_for_family(family_id)
        for enrolment in uow.enrolments.list_for_student(child.id)
    }
    cohorts = uow.cohorts.find_many(cohort_ids) if cohort_ids else []
    return frozenset(cohort.campus_id for cohort in cohorts)
