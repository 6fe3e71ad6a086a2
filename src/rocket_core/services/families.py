"""Families and their children: accounts, contacts, deactivation, and who may read a child's
medical and dietary information.

Who may change families (``Action.MANAGE_ENROLMENTS``): families and students are
organisation-wide (one family can have children at several campuses), so there is not always a
campus to check. The rule used here:

- a super admin may change any family;
- a campus manager or front desk may *create* a family as long as they work at some campus
  (a new family belongs to no campus yet);
- they may change a family (its contacts, its children) when one of its children has a live
  enrolment at a campus they work at, or when none of its children has a live enrolment
  anywhere (a prospective or former family, which any campus may be the first to serve);
- a family whose children are enrolled only at other campuses is left to those campuses.

A family and its children are managed together: the same scope covers adding, changing and
deactivating a child.

Who may read them:

- **The family directory** (``list_families``, ``family``): families are organisation-wide, so
  office staff (super admin; a campus manager or front desk who works at some campus: those who
  may create a family) may find and read any family account of the organisation: to take a
  parent's call, to avoid opening a duplicate (``create_family`` already names the family that
  holds an e-mail) and to enrol a child at their own campus. A lead instructor or teaching
  assistant reads a family only while teaching one of its children (``student_profile``'s
  "own"), and has no directory. A family's account balance is not part of it: money is read
  through billing ("view invoices": front desk one family at a time).
- **A child's record** (``student_profile``, ``list_students``) keeps the narrower scope of
  ``student_profile``; ``list_students`` gives the children of a family the reader may read,
  each with medical and dietary information only for staff who teach or manage that child.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, ValidationError
from rocket_core.model import Cohort, Enrolment, Family, Gender, StaffRole, Student
from rocket_core.permissions import Action, Actor, Scope, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.checks import only_fields

#: Family fields staff may set (the balance, Stripe id and is_active have their own use cases).
FAMILY_FIELDS = frozenset(
    {
        "family_name",
        "primary_contact_name",
        "primary_contact_email",
        "primary_contact_phone",
        "secondary_contact_name",
        "secondary_contact_email",
        "secondary_contact_phone",
        "street_address",
        "suburb",
        "state",
        "postcode",
        "emergency_contact_name",
        "emergency_contact_phone",
    }
)

#: Student fields staff may set (a child does not move to another family here).
STUDENT_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "date_of_birth",
        "gender",
        "medical_info",
        "dietary_restrictions",
        "allow_photo",
        "photo_url",
        "preferred_name",
        "pronouns",
        "student_login_email",
    }
)

#: Student fields shown only to staff who teach or manage the child (product rules, Privacy);
#: the audit log records that they changed, never their content.
SENSITIVE_FIELDS = frozenset({"medical_info", "dietary_restrictions"})


@attrs.frozen(kw_only=True)
class StudentProfile:
    """What staff see of a child. ``medical_info`` and ``dietary_restrictions`` are None unless
    ``sensitive_shown`` (the reader teaches or manages the child); then None means none given."""

    id: UUID
    family_id: UUID
    first_name: str
    last_name: str
    preferred_name: str | None
    display_name: str
    date_of_birth: date
    gender: Gender | None
    pronouns: str | None
    allow_photo: bool
    photo_url: str | None
    student_login_email: str | None
    is_active: bool
    sensitive_shown: bool
    medical_info: str | None
    dietary_restrictions: str | None

    @classmethod
    def of(cls, student: Student, *, sensitive_shown: bool) -> StudentProfile:
        """The profile of ``student``, with or without the sensitive fields."""
        return cls(
            id=student.id,
            family_id=student.family_id,
            first_name=student.first_name,
            last_name=student.last_name,
            preferred_name=student.preferred_name,
            display_name=student.display_name,
            date_of_birth=student.date_of_birth,
            gender=student.gender,
            pronouns=student.pronouns,
            allow_photo=student.allow_photo,
            photo_url=student.photo_url,
            student_login_email=student.student_login_email,
            is_active=student.is_active,
            sensitive_shown=sensitive_shown,
            medical_info=student.medical_info if sensitive_shown else None,
            dietary_restrictions=student.dietary_restrictions if sensitive_shown else None,
        )


@attrs.frozen(kw_only=True)
class _Reach:
    """Where a child is taught now: cohorts and sessions, and their campuses."""

    cohort_ids: frozenset[UUID]
    session_ids: frozenset[UUID]
    campus_ids: frozenset[UUID]


class FamilyService(Service):
    """Use cases of family accounts and their children (all audited)."""

    # -- families -------------------------------------------------------------------------

    def create_family(
        self,
        actor: Actor,
        *,
        primary_contact_name: str,
        primary_contact_email: str,
        **details: Any,
    ) -> Family:
        """Open a family account. ``details`` are other fields of ``FAMILY_FIELDS``.

        The primary e-mail must be unused by the organisation's other families (Conflict).
        """
        only_fields(details, FAMILY_FIELDS, "Family", "cannot be set here")
        with self.transaction(actor) as uow:
            self._authorise_family(uow, actor, None, Action.MANAGE_ENROLMENTS)
            family = Family(
                organisation_id=uow.organisation_id,
                primary_contact_name=primary_contact_name,
                primary_contact_email=primary_contact_email,
                created_at=self.clock.now(),
                **details,
            )
            _email_free(uow, family.primary_contact_email, family)
            uow.families.add(family)
            set_fields = {
                name: getattr(family, name)
                for name in sorted(FAMILY_FIELDS)
                if getattr(family, name) is not None
            }
            self.audit(
                uow,
                actor,
                "family.create",
                family,
                f"Family {family.display_name} opened",
                set_fields,
            )
        return family

    def update_family(self, actor: Actor, family_id: UUID, **changes: Any) -> Family:
        """Change a family's contacts or address (fields of ``FAMILY_FIELDS``), all or nothing.

        A new primary e-mail must be unused by the organisation's other families (Conflict);
        it also clears the family's undeliverable flag (a bounce), which the audit records.
        A deactivated family can still be corrected (Privacy Act: records stay accurate).
        Changing nothing writes nothing.
        """
        only_fields(changes, FAMILY_FIELDS, "Family", "cannot be set here")
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            self._authorise_family(uow, actor, family, Action.MANAGE_ENROLMENTS)
            email = changes.get("primary_contact_email")
            if isinstance(email, str):  # checked before the change: lookups see this transaction
                _email_free(uow, email, family)
            diff = _apply(family, changes)
            if "primary_contact_email" in diff and family.is_undeliverable:
                # a corrected address: notifications may go out again
                diff["undeliverable_at"] = [family.undeliverable_at, None]
                family.clear_undeliverable()
            if diff:
                self.audit(
                    uow,
                    actor,
                    "family.update",
                    family,
                    f"Family {family.display_name} changed: {', '.join(sorted(diff))}",
                    diff,
                )
        return family

    def deactivate_family(self, actor: Actor, family_id: UUID) -> Family:
        """Close a family account and deactivate its children; records are kept.

        Refused (Conflict, naming the enrolment) while a child has a live enrolment: withdraw
        it first. Deactivating a deactivated family changes nothing.
        """
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            self._authorise_family(uow, actor, family, Action.MANAGE_ENROLMENTS)
            if not family.is_active:
                return family
            children = uow.students.list_for_family(family.id)
            for child in children:
                _refuse_live_enrolment(uow, child, f"family {family.display_name}")
            family.deactivate()
            self.audit(
                uow,
                actor,
                "family.deactivate",
                family,
                f"Family {family.display_name} deactivated",
                {"is_active": [True, False]},
            )
            for child in children:
                if child.is_active:
                    child.deactivate()
                    self.audit(
                        uow,
                        actor,
                        "student.deactivate",
                        child,
                        f"{child.display_name} deactivated with the family",
                        {"is_active": [True, False]},
                    )
        return family

    def list_families(
        self, actor: Actor, *, search: str | None = None, active: bool | None = None
    ) -> list[Family]:
        """The organisation's families ordered by display name (the directory of this module's
        docstring: office staff only), in one query.

        ``search`` keeps the families whose name, contacts' names, e-mails or phone numbers
        contain it (case-insensitive; for phones, digits only, so "0412 345" finds
        "0412345678"); ``active`` keeps only active (True) or deactivated (False) families.
        """
        needle = (search or "").strip().casefold()
        digits = "".join(ch for ch in needle if ch.isdigit())
        with self.transaction(actor) as uow:
            self._authorise_family(uow, actor, None, Action.MANAGE_ENROLMENTS)
            families = uow.families.list(active_only=active is True)
        return sorted(
            (
                family
                for family in families
                if (active is None or family.is_active is active)
                and (not needle or _matches(family, needle, digits))
            ),
            key=lambda family: (family.display_name.casefold(), str(family.id)),
        )

    def family(self, actor: Actor, family_id: UUID) -> Family:
        """One family account (the directory rule of this module's docstring; an instructor
        reads it only while teaching one of its children)."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            self._authorise_family_read(uow, actor, family)
            return family

    def list_students(self, actor: Actor, family_id: UUID) -> list[StudentProfile]:
        """The children of a family that ``actor`` may read (``student_profile``'s scope),
        oldest first, each with medical and dietary information only when the reader teaches
        or manages that child. Forbidden when the reader may not read the family at all."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            children = uow.students.list_for_family(family.id)
            reaches = self._reaches(uow, children)
            self._authorise_family_read(uow, actor, family, reaches)
            family_campuses = _family_campuses(uow, family.id)
            return [
                StudentProfile.of(child, sensitive_shown=_sensitive_for(actor, reaches[child.id]))
                for child in children
                if _readable(actor, reaches[child.id], family_campuses)
            ]

    # -- students -------------------------------------------------------------------------

    def add_student(
        self,
        actor: Actor,
        family_id: UUID,
        *,
        first_name: str,
        last_name: str,
        date_of_birth: date,
        **details: Any,
    ) -> StudentProfile:
        """Add a child to an active family. ``details`` are other fields of ``STUDENT_FIELDS``.

        The date of birth cannot be in the future. Returns the profile as the actor may see
        it (medical and dietary information only for staff who teach or manage the child).
        """
        only_fields(details, STUDENT_FIELDS, "Student", "cannot be set here")
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            self._authorise_family(uow, actor, family, Action.MANAGE_ENROLMENTS)
            if not family.is_active:
                raise Conflict(f"family {family.display_name} is deactivated: no child can join it")
            student = Student(
                organisation_id=uow.organisation_id,
                family_id=family.id,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=date_of_birth,
                created_at=self.clock.now(),
                **details,
            )
            self._check_birth(student)
            uow.students.add(student)
            set_fields = {
                name: getattr(student, name)
                for name in sorted(STUDENT_FIELDS)
                if getattr(student, name) not in (None, False)
            }
            self.audit(
                uow,
                actor,
                "student.create",
                student,
                f"{student.display_name} added to family {family.display_name}",
                _redacted(set_fields),
            )
            return StudentProfile.of(
                student, sensitive_shown=self._shows_sensitive(uow, actor, student)
            )

    def update_student(self, actor: Actor, student_id: UUID, **changes: Any) -> StudentProfile:
        """Change a child's details (fields of ``STUDENT_FIELDS``), all or nothing.

        Staff who may manage the family may record medical and dietary information even when
        they may not read it back (front desk takes the form from the parents); the audit notes
        that it changed, not what it says. Changing nothing writes nothing.
        """
        only_fields(changes, STUDENT_FIELDS, "Student", "cannot be set here")
        with self.transaction(actor) as uow:
            student = uow.students.get(student_id)
            family = uow.families.get(student.family_id)
            self._authorise_family(uow, actor, family, Action.MANAGE_ENROLMENTS)
            diff = _apply(student, changes)
            if "date_of_birth" in diff:
                self._check_birth(student)
            if diff:
                self.audit(
                    uow,
                    actor,
                    "student.update",
                    student,
                    f"{student.display_name} changed: {', '.join(sorted(diff))}",
                    _redacted(diff),
                )
            return StudentProfile.of(
                student, sensitive_shown=self._shows_sensitive(uow, actor, student)
            )

    def deactivate_student(self, actor: Actor, student_id: UUID) -> StudentProfile:
        """The child no longer studies here; records are kept.

        Refused (Conflict, naming the enrolment) while the child has a live enrolment.
        Deactivating a deactivated child changes nothing.
        """
        with self.transaction(actor) as uow:
            student = uow.students.get(student_id)
            family = uow.families.get(student.family_id)
            self._authorise_family(uow, actor, family, Action.MANAGE_ENROLMENTS)
            if student.is_active:
                _refuse_live_enrolment(uow, student, student.display_name)
                student.deactivate()
                self.audit(
                    uow,
                    actor,
                    "student.deactivate",
                    student,
                    f"{student.display_name} deactivated",
                    {"is_active": [True, False]},
                )
            return StudentProfile.of(
                student, sensitive_shown=self._shows_sensitive(uow, actor, student)
            )

    def student_profile(self, actor: Actor, student_id: UUID) -> StudentProfile:
        """A child's profile (``Action.VIEW_ROSTER``).

        Who may read it: a super admin; a campus manager or front desk within the family
        scope described in this module's docstring, or at a campus where the child is taught;
        a lead instructor or teaching assistant who teaches the child (a live enrolment, a
        booked trial or an upcoming makeup visit in their cohorts or sessions).

        Medical and dietary information is included only for staff who teach or manage the
        child: a super admin, a campus manager at a campus where the child is taught, a lead
        instructor or teaching assistant who teaches the child. Front desk never sees it.
        """
        with self.transaction(actor) as uow:
            student = uow.students.get(student_id)
            reach = self._reach(uow, student)
            grant = actor.grant(Action.VIEW_ROSTER)
            if grant.scope is Scope.OWN:
                authorise(
                    actor,
                    Action.VIEW_ROSTER,
                    cohort_id=_pick(reach.cohort_ids, actor.cohort_ids),
                    session_id=_pick(reach.session_ids, actor.session_ids),
                )
            elif grant.scope is Scope.CAMPUS and reach.campus_ids & actor.campus_ids:
                pass  # the child is taught at one of their campuses (a makeup visit too)
            else:
                family = uow.families.get(student.family_id)
                self._authorise_family(uow, actor, family, Action.VIEW_ROSTER)
            return StudentProfile.of(student, sensitive_shown=_sensitive_for(actor, reach))

    # -- rules ----------------------------------------------------------------------------

    def _authorise_family(
        self, uow: UnitOfWork, actor: Actor, family: Family | None, action: Action
    ) -> None:
        """The family scope of this module's docstring, for ``action``."""
        if actor.grant(action).scope is not Scope.CAMPUS:
            authorise(actor, action)  # all passes; none (and own: no cohort here) refuses
            return
        campuses = frozenset() if family is None else _family_campuses(uow, family.id)
        if not campuses:
            campuses = actor.campus_ids  # organisation-wide: any campus of theirs will do
        authorise(actor, action, campus_id=_pick(campuses, actor.campus_ids))

    def _authorise_family_read(
        self,
        uow: UnitOfWork,
        actor: Actor,
        family: Family,
        reaches: dict[UUID, _Reach] | None = None,
    ) -> None:
        """The directory rule of this module's docstring: office staff read any family; an
        instructor one whose child they teach (``reaches``: the children's, if known)."""
        if actor.can(Action.MANAGE_ENROLMENTS):
            self._authorise_family(uow, actor, None, Action.MANAGE_ENROLMENTS)
            return
        if reaches is None:
            reaches = self._reaches(uow, uow.students.list_for_family(family.id))
        cohort_ids = frozenset().union(*(r.cohort_ids for r in reaches.values()))
        session_ids = frozenset().union(*(r.session_ids for r in reaches.values()))
        authorise(
            actor,
            Action.VIEW_ROSTER,
            cohort_id=_pick(cohort_ids, actor.cohort_ids),
            session_id=_pick(session_ids, actor.session_ids),
        )

    def _shows_sensitive(self, uow: UnitOfWork, actor: Actor, student: Student) -> bool:
        """Whether ``actor`` teaches or manages ``student`` (Privacy: medical, dietary)."""
        if actor.role is StaffRole.SUPER_ADMIN:
            return True
        if actor.role is StaffRole.FRONT_DESK:
            return False
        return _sensitive_for(actor, self._reach(uow, student))

    def _reach(self, uow: UnitOfWork, student: Student) -> _Reach:
        """The cohorts where the child has a live enrolment (a trial too), the trial and
        upcoming makeup sessions booked for the child, and the campuses of all of them."""
        return self._reaches(uow, [student])[student.id]

    def _reaches(self, uow: UnitOfWork, students: list[Student]) -> dict[UUID, _Reach]:
        """``_reach`` of each of ``students`` (a family's children): their enrolments and
        tokens are read child by child (there is no family-wide query), the sessions, cohorts
        and campuses they name in one query each."""
        cohort_ids: dict[UUID, set[UUID]] = {}
        session_ids: dict[UUID, set[UUID]] = {}
        visits: dict[UUID, list[UUID]] = {}
        for student in students:
            cohort_ids[student.id], session_ids[student.id] = set(), set()
            for enrolment in uow.enrolments.list_for_student(student.id):
                if enrolment.is_live:
                    cohort_ids[student.id].add(enrolment.cohort_id)
                    if enrolment.trial_session_id is not None:
                        session_ids[student.id].add(enrolment.trial_session_id)
            visits[student.id] = [
                token.redeemed_session_id
                for token in uow.makeup_tokens.list_for_student(student.id)
                if token.redeemed_session_id is not None
            ]
        wanted = {session_id for ids in visits.values() for session_id in ids}
        sessions = {s.id: s for s in (uow.sessions.find_many(wanted) if wanted else [])}
        cohorts = {
            c.id: c
            for c in _cohorts(
                uow,
                {c for ids in cohort_ids.values() for c in ids}
                | {s.cohort_id for s in sessions.values()},
            )
        }
        campus_tz = {
            c.id: c.timezone
            for c in uow.campuses.find_many({c.campus_id for c in cohorts.values()})
        }
        reaches = {}
        for student in students:
            mine_cohorts, mine_sessions = cohort_ids[student.id], session_ids[student.id]
            for session_id in visits[student.id]:
                session = sessions.get(session_id)
                cohort = None if session is None else cohorts.get(session.cohort_id)
                if session is None or cohort is None:
                    continue
                today = self.clock.today(campus_tz.get(cohort.campus_id, "UTC"))
                if session.scheduled_date >= today:  # a makeup visit taught today or later
                    mine_sessions.add(session.id)
                    mine_cohorts.add(cohort.id)
            reaches[student.id] = _Reach(
                cohort_ids=frozenset(mine_cohorts),
                session_ids=frozenset(mine_sessions),
                campus_ids=frozenset(cohorts[c].campus_id for c in mine_cohorts if c in cohorts),
            )
        return reaches

    def _check_birth(self, student: Student) -> None:
        # Allow "tomorrow" in UTC: somewhere (Australia's east) it is already that day.
        if student.date_of_birth > self.clock.now().astimezone(UTC).date() + timedelta(days=1):
            raise ValidationError("Student.date_of_birth", "must not be in the future")


def _sensitive_for(actor: Actor, reach: _Reach) -> bool:
    """Whether ``actor`` teaches or manages a child with this reach (Privacy: medical and
    dietary information): a super admin; a campus manager at a campus where the child is
    taught; a lead instructor or assistant who teaches the child; never the front desk."""
    if actor.role is StaffRole.SUPER_ADMIN:
        return True
    if actor.role is StaffRole.FRONT_DESK:
        return False
    if actor.role is StaffRole.CAMPUS_MANAGER:
        return bool(reach.campus_ids & actor.campus_ids)
    return bool(reach.cohort_ids & actor.cohort_ids or reach.session_ids & actor.session_ids)


def _readable(actor: Actor, reach: _Reach, family_campuses: frozenset[UUID]) -> bool:
    """Whether ``student_profile`` lets ``actor`` read a child with this reach, whose family
    has live enrolments at ``family_campuses``."""
    scope = actor.grant(Action.VIEW_ROSTER).scope
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN:
        return bool(reach.cohort_ids & actor.cohort_ids or reach.session_ids & actor.session_ids)
    if scope is Scope.CAMPUS:
        return bool(reach.campus_ids & actor.campus_ids) or bool(
            (family_campuses or actor.campus_ids) & actor.campus_ids
        )
    return False


def _matches(family: Family, needle: str, digits: str) -> bool:
    """Whether a family's names, e-mails (``needle``, case-folded) or phone numbers
    (``digits``, when the search has at least three) contain the search."""
    texts = (
        family.family_name,
        family.primary_contact_name,
        family.primary_contact_email,
        family.secondary_contact_name,
        family.secondary_contact_email,
    )
    if any(needle in text.casefold() for text in texts if text):
        return True
    phones = (family.primary_contact_phone, family.secondary_contact_phone)
    return len(digits) >= 3 and any(
        digits in "".join(ch for ch in phone if ch.isdigit()) for phone in phones if phone
    )


def _apply(entity: Family | Student, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Update ``entity`` all or nothing; what actually changed, as {field: [before, after]}."""
    before = {name: getattr(entity, name) for name in changes}
    entity.update(**changes)
    return {
        name: [before[name], getattr(entity, name)]
        for name in sorted(changes)
        if getattr(entity, name) != before[name]
    }


def _redacted(changes: dict[str, Any]) -> dict[str, Any]:
    """Audit changes with sensitive values replaced by a note that they were recorded."""
    return {
        name: "(changed, not logged)" if name in SENSITIVE_FIELDS else value
        for name, value in changes.items()
    }


def _email_free(uow: UnitOfWork, email: str, family: Family) -> None:
    """Conflict when a family of the organisation other than ``family`` has this primary
    e-mail (compared case-insensitively)."""
    holder = uow.families.find_by_email(email)
    if holder is not None and holder.id != family.id:
        raise Conflict(
            f"Family.primary_contact_email: {email.strip().lower()} is already the"
            f" primary e-mail of family {holder.display_name}"
        )


def _live_enrolments(uow: UnitOfWork, student: Student) -> list[Enrolment]:
    return [e for e in uow.enrolments.list_for_student(student.id) if e.is_live]


def _refuse_live_enrolment(uow: UnitOfWork, student: Student, what: str) -> None:
    """Conflict naming the child's first live enrolment, if there is one."""
    live = _live_enrolments(uow, student)
    if live:
        enrolment = live[0]
        cohort = uow.cohorts.find(enrolment.cohort_id)
        where = cohort.name if cohort is not None else str(enrolment.cohort_id)
        raise Conflict(
            f"cannot deactivate {what}: {student.display_name} has a live enrolment in"
            f" {where} ({enrolment.status.value}, enrolment {enrolment.id}); withdraw it first"
        )


def _cohorts(uow: UnitOfWork, cohort_ids: set[UUID]) -> list[Cohort]:
    return uow.cohorts.find_many(cohort_ids) if cohort_ids else []


def _family_campuses(uow: UnitOfWork, family_id: UUID) -> frozenset[UUID]:
    """Campuses where a child of the family has a live enrolment."""
    cohort_ids = {
        enrolment.cohort_id
        for child in uow.students.list_for_family(family_id)
        for enrolment in _live_enrolments(uow, child)
    }
    return frozenset(cohort.campus_id for cohort in _cohorts(uow, cohort_ids))


def _pick(targets: frozenset[UUID], mine: frozenset[UUID]) -> UUID | None:
    """A target the actor covers if there is one, else any target (for authorise to refuse),
    else None."""
    covered = sorted(targets & mine)
    if covered:
        return covered[0]
    others = sorted(targets)
    return others[0] if others else None


__all__ = [
    "FAMILY_FIELDS",
    "SENSITIVE_FIELDS",
    "STUDENT_FIELDS",
    "FamilyService",
    "StudentProfile",
]
