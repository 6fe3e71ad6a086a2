"""Organisation use cases: the school's settings, its campuses and closure dates, staff
accounts and which campuses staff work at.

Who may do what (product-rules.md, "Staff permissions"):

- organisation details and settings, new campuses, deactivating a campus: super admins
  (``settings``, scope all);
- a campus's details and closure dates: super admins, and campus managers at the campuses they
  are assigned to (``settings``, "campus settings only");
- staff accounts, roles and campus assignments: super admins (``manage staff accounts``).

Decisions where the rules are silent:

- Campus names are unique in an organisation (case-insensitive), so staff never pick the
  wrong one from a list.
- Adding a closure date does not touch sessions already scheduled on that day: the result
  lists them, and staff cancel (makeup tokens, families told) or reschedule each one.
- A deactivated campus keeps its cohorts, sessions and staff assignments; cohorts already
  running there carry on; only new cohorts are refused (SchedulingService). It can be
  reactivated.
- Nobody can change their own role or deactivate themselves, so an organisation always keeps
  an active super admin. Deactivating a staff member keeps their assignments (history); the
  result lists the sessions they were due to teach, for staff to reassign.
- Staff passwords arrive with the HTTP issue: an account created without a password hash gets
  the unusable ``!no-password-set``.
- Campus assignments go to active staff at active campuses only.

Reading (the matrix has no row for it):

- The organisation's details and settings, and its campuses, are read by every staff
  member: they hold no personal data, and the settings are the rules everyone works under
  (GST, the attendance edit window, the refund limit).
- Staff accounts (contact details, qualifications) are read by those who manage them
  (``manage staff accounts``: super admins, every account) and by those who assign them to
  cohorts (``create cohorts, assign instructors``: campus managers, the staff who work at
  their campuses); anyone may read their own account.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, Forbidden, NotFound
from rocket_core.model import (
    Campus,
    CampusStaff,
    ClosureDate,
    Organisation,
    OrganisationSettings,
    Qualification,
    Session,
    Staff,
    StaffRole,
)
from rocket_core.permissions import Action, Actor, Scope, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.checks import changed_fields, only_fields

#: The password hash of an account that cannot log in yet (passwords: the HTTP issue).
NO_PASSWORD = "!no-password-set"

_ORGANISATION_FIELDS = frozenset({"name", "logo_url", "primary_color", "billing_email", "abn"})
_CAMPUS_FIELDS = frozenset(
    {
        "name",
        "address",
        "suburb",
        "state",
        "postcode",
        "timezone",
        "contact_email",
        "contact_phone",
    }
)
_STAFF_FIELDS = frozenset(
    {"email", "first_name", "last_name", "phone", "hired_date", "qualifications"}
)


@attrs.frozen(kw_only=True)
class ClosureAdded:
    """A campus with a new closure date, and the sessions already scheduled on that day
    (not changed: staff cancel or reschedule each one)."""

    campus: Campus
    sessions_on_day: tuple[Session, ...]


@attrs.frozen(kw_only=True)
class StaffProfile:
    """A staff account and the campuses it works at (ids, sorted)."""

    staff: Staff
    campus_ids: tuple[UUID, ...]


@attrs.frozen(kw_only=True)
class StaffDeactivated:
    """A deactivated staff member, and the upcoming sessions they were due to teach (still
    assigned to them: staff reassign each cohort or session)."""

    staff: Staff
    upcoming_sessions: tuple[Session, ...]


class OrganisationService(Service):
    """Use cases of the organisation context: settings, campuses, closures, staff."""

    # -- the organisation ---------------------------------------------------------------------

    def get_organisation(self, actor: Actor) -> Organisation:
        """The actor's organisation: its details and settings. Every staff member."""
        with self.transaction(actor) as uow:
            return uow.organisations.current()

    def update_organisation(self, actor: Actor, **changes: Any) -> Organisation:
        """Change the organisation's details (name, logo_url, primary_color, billing_email,
        abn). Super admins only."""
        only_fields(changes, _ORGANISATION_FIELDS, "Organisation")
        with self.transaction(actor) as uow:
            authorise(actor, Action.SETTINGS)
            organisation = uow.organisations.current()
            diff = changed_fields(organisation, changes)
            if diff:
                organisation.update(**changes)
                self.audit(
                    uow,
                    actor,
                    "organisation.update",
                    organisation,
                    f"Organisation details changed: {', '.join(diff)}",
                    diff,
                )
            return organisation

    def update_settings(self, actor: Actor, **changes: Any) -> OrganisationSettings:
        """Change organisation-wide settings (the numbers of the business rules: GST rate,
        invoice terms, offer hours, token expiry...). Super admins only."""
        known = {a.name for a in attrs.fields(OrganisationSettings)}
        only_fields(changes, known, "OrganisationSettings")
        with self.transaction(actor) as uow:
            authorise(actor, Action.SETTINGS)
            organisation = uow.organisations.current()
            before = organisation.settings
            settings = attrs.evolve(before, **changes)
            diff = {
                name: [getattr(before, name), value]
                for name, value in changes.items()
                if getattr(before, name) != value
            }
            if diff:
                organisation.update(settings=settings)
                self.audit(
                    uow,
                    actor,
                    "organisation.settings_update",
                    organisation,
                    f"Settings changed: {', '.join(diff)}",
                    diff,
                )
            return organisation.settings

    # -- campuses ------------------------------------------------------------------------------

    def list_campuses(self, actor: Actor, *, active: bool | None = None) -> list[Campus]:
        """The organisation's campuses by name; only the active (``active=True``) or the
        inactive (``False``) ones when asked. Every staff member."""
        with self.transaction(actor) as uow:
            campuses = uow.campuses.list(active_only=active is True)
        return [c for c in campuses if active is None or c.is_active is active]

    def get_campus(self, actor: Actor, campus_id: UUID) -> Campus:
        """One campus, with its closure dates. Every staff member."""
        with self.transaction(actor) as uow:
            return uow.campuses.get(campus_id)

    def create_campus(
        self,
        actor: Actor,
        *,
        name: str,
        timezone: str = "Australia/Melbourne",
        address: str | None = None,
        suburb: str | None = None,
        state: str | None = None,
        postcode: str | None = None,
        contact_email: str | None = None,
        contact_phone: str | None = None,
    ) -> Campus:
        """Open a new campus (its time zone an IANA name such as Australia/Melbourne).
        Super admins only; the name must not be another campus's."""
        with self.transaction(actor) as uow:
            authorise(actor, Action.SETTINGS)
            campus = Campus(
                organisation_id=uow.organisation_id,
                name=name,
                timezone=timezone,
                address=address,
                suburb=suburb,
                state=state,
                postcode=postcode,
                contact_email=contact_email,
                contact_phone=contact_phone,
                created_at=self.clock.now(),
            )
            _refuse_duplicate_name(uow, campus.name, campus.id)
            uow.campuses.add(campus)
            self.audit(
                uow,
                actor,
                "campus.create",
                campus,
                f"Campus {campus.name} created ({campus.timezone})",
                {"name": campus.name, "timezone": campus.timezone},
            )
            return campus

    def update_campus(self, actor: Actor, campus_id: UUID, **changes: Any) -> Campus:
        """Change a campus's details (name, address, suburb, state, postcode, timezone,
        contact_email, contact_phone). Super admins, or its campus managers.

        Sessions keep their local wall-clock times if the time zone is corrected."""
        only_fields(changes, _CAMPUS_FIELDS, "Campus")
        with self.transaction(actor) as uow:
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.SETTINGS, campus_id=campus.id)
            diff = changed_fields(campus, changes)
            if diff:
                campus.update(**changes)
                if "name" in diff:
                    _refuse_duplicate_name(uow, campus.name, campus.id)
                self.audit(
                    uow,
                    actor,
                    "campus.update",
                    campus,
                    f"Campus {campus.name} changed: {', '.join(diff)}",
                    diff,
                )
            return campus

    def add_closure_date(
        self, actor: Actor, campus_id: UUID, *, day: date, reason: str
    ) -> ClosureAdded:
        """Close a campus on ``day`` (public holiday, blackout day): session generation skips
        it and sessions cannot be moved onto it. Super admins, or its campus managers.
        A day already closed is a Conflict."""
        with self.transaction(actor) as uow:
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.SETTINGS, campus_id=campus.id)
            closure = ClosureDate(day=day, reason=reason)
            if campus.is_closed_on(day):
                raise Conflict(f"Campus {campus.name} is already closed on {day.isoformat()}")
            campus.update(
                closure_dates=sorted([*campus.closure_dates, closure], key=lambda x: x.day)
            )
            self.audit(
                uow,
                actor,
                "campus.closure_add",
                campus,
                f"Campus {campus.name} closed on {day.isoformat()}: {reason}",
                {"day": day, "reason": reason},
            )
            affected = _sessions_at_campus_on(uow, campus, day)
            return ClosureAdded(campus=campus, sessions_on_day=tuple(affected))

    def remove_closure_date(self, actor: Actor, campus_id: UUID, *, day: date) -> Campus:
        """Open a campus again on a day it was closed. Super admins, or its campus managers.
        NotFound when the campus was not closed that day."""
        with self.transaction(actor) as uow:
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.SETTINGS, campus_id=campus.id)
            removed = [closure for closure in campus.closure_dates if closure.day == day]
            if not removed:
                raise NotFound("ClosureDate", day.isoformat())
            campus.update(closure_dates=[x for x in campus.closure_dates if x.day != day])
            self.audit(
                uow,
                actor,
                "campus.closure_remove",
                campus,
                f"Campus {campus.name} open again on {day.isoformat()}",
                {"day": day, "reason": removed[0].reason},
            )
            return campus

    def deactivate_campus(self, actor: Actor, campus_id: UUID) -> Campus:
        """Stop a campus from taking new cohorts; its history, running cohorts and staff
        assignments stay. Super admins only."""
        with self.transaction(actor) as uow:
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.SETTINGS)
            if not campus.is_active:
                raise Conflict(f"Campus {campus.name} is already inactive")
            campus.deactivate()
            self.audit(
                uow,
                actor,
                "campus.deactivate",
                campus,
                f"Campus {campus.name} deactivated",
                {"is_active": [True, False]},
            )
            return campus

    def reactivate_campus(self, actor: Actor, campus_id: UUID) -> Campus:
        """Let an inactive campus take new cohorts again. Super admins only."""
        with self.transaction(actor) as uow:
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.SETTINGS)
            if campus.is_active:
                raise Conflict(f"Campus {campus.name} is already active")
            campus.update(is_active=True)
            self.audit(
                uow,
                actor,
                "campus.reactivate",
                campus,
                f"Campus {campus.name} reactivated",
                {"is_active": [False, True]},
            )
            return campus

    # -- staff ---------------------------------------------------------------------------------

    def list_staff(
        self,
        actor: Actor,
        *,
        role: StaffRole | None = None,
        active: bool | None = None,
        campus_id: UUID | None = None,
    ) -> list[Staff]:
        """Staff accounts by last then first name, optionally of one role, only active
        (``active=True``) or deactivated (``False``) ones, or those working at ``campus_id``.
        Super admins see every account; campus managers the staff of their campuses (a
        ``campus_id`` must be one of theirs); nobody else lists staff."""
        with self.transaction(actor) as uow:
            campus_ids: set[UUID] | None = None
            if campus_id is not None:
                campus = uow.campuses.get(campus_id)
                authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
                campus_ids = {campus.id}
            elif actor.grant(Action.MANAGE_STAFF).scope is not Scope.ALL:
                if actor.grant(Action.MANAGE_COHORTS).scope is not Scope.CAMPUS:
                    raise Forbidden(
                        f"{actor.role.value} may not list staff: only super admins and"
                        " campus managers (the staff of their campuses) may"
                    )
                campus_ids = set(actor.campus_ids)
            if campus_ids is None:
                found = uow.staff.list(role=role, active_only=active is True)
            else:
                ids = {
                    a.staff_id
                    for c in sorted(campus_ids)
                    for a in uow.campus_staff.list_for_campus(c)
                }
                found = sorted(
                    uow.staff.find_many(ids), key=lambda s: (s.last_name, s.first_name, s.id)
                )
        return [
            s
            for s in found
            if (role is None or s.role is role) and (active is None or s.is_active is active)
        ]

    def get_staff(self, actor: Actor, staff_id: UUID) -> StaffProfile:
        """One staff account and the campuses it works at: one's own, any for super
        admins, and for campus managers those who work at one of their campuses."""
        with self.transaction(actor) as uow:
            staff = uow.staff.get(staff_id)
            campus_ids = {a.campus_id for a in uow.campus_staff.list_for_staff(staff.id)}
            if staff.id != actor.staff_id and not _may_view_staff(actor, campus_ids):
                raise Forbidden(
                    f"{actor.role.value} may read only their own account and those of the"
                    " staff at the campuses they manage"
                )
            return StaffProfile(staff=staff, campus_ids=tuple(sorted(campus_ids)))

    def create_staff(
        self,
        actor: Actor,
        *,
        email: str,
        first_name: str,
        last_name: str,
        role: StaffRole,
        phone: str | None = None,
        hired_date: date | None = None,
        qualifications: Iterable[Qualification] = (),
        password_hash: str | None = None,
    ) -> Staff:
        """Open a staff account. Super admins only. The e-mail is the login: a second account
        with it is a Conflict. Without ``password_hash`` the account cannot log in yet."""
        with self.transaction(actor) as uow:
            authorise(actor, Action.MANAGE_STAFF)
            staff = Staff(
                organisation_id=uow.organisation_id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                role=role,
                phone=phone,
                hired_date=hired_date,
                qualifications=tuple(qualifications),
                password_hash=NO_PASSWORD if password_hash is None else password_hash,
                created_at=self.clock.now(),
            )
            _refuse_duplicate_email(uow, staff.email, staff.id)
            uow.staff.add(staff)
            self.audit(
                uow,
                actor,
                "staff.create",
                staff,
                f"Staff account for {staff.full_name} ({staff.role.value}) created",
                {"email": staff.email, "role": staff.role},
            )
            return staff

    def update_staff(self, actor: Actor, staff_id: UUID, **changes: Any) -> Staff:
        """Change a staff member's details (email, first_name, last_name, phone, hired_date,
        qualifications). Super admins only; the e-mail stays unique."""
        only_fields(changes, _STAFF_FIELDS, "Staff")
        if "qualifications" in changes:
            changes["qualifications"] = tuple(changes["qualifications"])
        with self.transaction(actor) as uow:
            staff = uow.staff.get(staff_id)
            authorise(actor, Action.MANAGE_STAFF)
            diff = changed_fields(staff, changes)
            if diff:
                staff.update(**changes)
                if "email" in diff:
                    _refuse_duplicate_email(uow, staff.email, staff.id)
                self.audit(
                    uow,
                    actor,
                    "staff.update",
                    staff,
                    f"Staff account of {staff.full_name} changed: {', '.join(diff)}",
                    diff,
                )
            return staff

    def change_role(self, actor: Actor, staff_id: UUID, role: StaffRole) -> Staff:
        """Give a staff member another role. Super admins only, never their own (so there
        is always an active super admin). Their assignments stay."""
        with self.transaction(actor) as uow:
            staff = uow.staff.get(staff_id)
            authorise(actor, Action.MANAGE_STAFF)
            if staff.id == actor.staff_id:
                raise Forbidden("you cannot change your own role: ask another super admin")
            before = staff.role
            if before == role:
                raise Conflict(f"{staff.full_name} is already a {before.value}")
            staff.update(role=role)
            self.audit(
                uow,
                actor,
                "staff.role_change",
                staff,
                f"{staff.full_name}: {before.value} -> {staff.role.value}",
                {"role": [before, staff.role]},
            )
            return staff

    def deactivate_staff(self, actor: Actor, staff_id: UUID) -> StaffDeactivated:
        """Close a staff account: they can no longer act or be assigned; their history and
        assignments stay. Super admins only, never themselves."""
        with self.transaction(actor) as uow:
            staff = uow.staff.get(staff_id)
            authorise(actor, Action.MANAGE_STAFF)
            if staff.id == actor.staff_id:
                raise Forbidden("you cannot deactivate your own account")
            if not staff.is_active:
                raise Conflict(f"{staff.full_name} is already deactivated")
            staff.deactivate()
            self.audit(
                uow,
                actor,
                "staff.deactivate",
                staff,
                f"Staff account of {staff.full_name} deactivated",
                {"is_active": [True, False]},
            )
            return StaffDeactivated(staff=staff, upcoming_sessions=self._upcoming(uow, staff))

    def reactivate_staff(self, actor: Actor, staff_id: UUID) -> Staff:
        """Open a deactivated staff account again. Super admins only."""
        with self.transaction(actor) as uow:
            staff = uow.staff.get(staff_id)
            authorise(actor, Action.MANAGE_STAFF)
            if staff.is_active:
                raise Conflict(f"{staff.full_name} is already active")
            staff.update(is_active=True)
            self.audit(
                uow,
                actor,
                "staff.reactivate",
                staff,
                f"Staff account of {staff.full_name} reactivated",
                {"is_active": [False, True]},
            )
            return staff

    def assign_to_campus(self, actor: Actor, staff_id: UUID, campus_id: UUID) -> CampusStaff:
        """Let a staff member work at a campus (their "campus" scope grows). Super admins
        only; an existing assignment is a Conflict."""
        with self.transaction(actor) as uow:
            staff = uow.staff.get(staff_id)
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.MANAGE_STAFF)
            if not staff.is_active:
                raise Conflict(f"{staff.full_name} is deactivated and cannot be assigned")
            if not campus.is_active:
                raise Conflict(f"Campus {campus.name} is inactive")
            if uow.campus_staff.find_assignment(campus.id, staff.id) is not None:
                raise Conflict(f"{staff.full_name} is already assigned to {campus.name}")
            assignment = CampusStaff(
                organisation_id=uow.organisation_id,
                campus_id=campus.id,
                staff_id=staff.id,
                assigned_at=self.clock.now(),
            )
            uow.campus_staff.add(assignment)
            self.audit(
                uow,
                actor,
                "campus_staff.assign",
                assignment,
                f"{staff.full_name} assigned to {campus.name}",
                {"campus_id": campus.id, "staff_id": staff.id},
            )
            return assignment

    def unassign_from_campus(self, actor: Actor, staff_id: UUID, campus_id: UUID) -> CampusStaff:
        """End a staff member's assignment to a campus (the audit keeps it). Super admins
        only; NotFound when there is no such assignment."""
        with self.transaction(actor) as uow:
            staff = uow.staff.get(staff_id)
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.MANAGE_STAFF)
            assignment = uow.campus_staff.find_assignment(campus.id, staff.id)
            if assignment is None:
                raise NotFound("CampusStaff", f"{campus.id}/{staff.id}")
            uow.campus_staff.remove(assignment)
            self.audit(
                uow,
                actor,
                "campus_staff.unassign",
                assignment,
                f"{staff.full_name} no longer assigned to {campus.name}",
                {"campus_id": campus.id, "staff_id": staff.id},
            )
            return assignment

    # -- helpers -------------------------------------------------------------------------------

    def _upcoming(self, uow: UnitOfWork, staff: Staff) -> tuple[Session, ...]:
        """The non-cancelled sessions ``staff`` teaches that have not started yet."""
        now = self.clock.now()
        found = [
            s
            for s in uow.sessions.list_for_staff(staff.id, now.date() - timedelta(days=1), date.max)
            if not s.is_cancelled
        ]
        timezones = _timezones(uow, found)
        return tuple(s for s in found if s.starts_at(timezones[s.cohort_id]) >= now)


def _may_view_staff(actor: Actor, campus_ids: set[UUID]) -> bool:
    """Whether ``actor`` may read the account of a staff member who works at ``campus_ids``:
    they manage staff accounts, or assign staff to cohorts at one of those campuses."""
    if actor.grant(Action.MANAGE_STAFF).scope is Scope.ALL:
        return True
    scope = actor.grant(Action.MANAGE_COHORTS).scope
    return scope is Scope.ALL or (scope is Scope.CAMPUS and bool(campus_ids & actor.campus_ids))


def _refuse_duplicate_name(uow: UnitOfWork, name: str, campus_id: UUID) -> None:
    wanted = name.strip().casefold()
    for other in uow.campuses.list():
        if other.id != campus_id and other.name.strip().casefold() == wanted:
            raise Conflict(f"Campus: there is already a campus named {other.name!r}")


def _refuse_duplicate_email(uow: UnitOfWork, email: str, staff_id: UUID) -> None:
    other = uow.staff.find_by_email(email)
    if other is not None and other.id != staff_id:
        raise Conflict("Staff: there is already a staff member with this e-mail")


def _timezones(uow: UnitOfWork, sessions: Iterable[Session]) -> dict[UUID, str]:
    """Each session's cohort id -> its campus's time zone."""
    cohorts = uow.cohorts.find_many({s.cohort_id for s in sessions})
    campuses = {c.id: c for c in uow.campuses.find_many({c.campus_id for c in cohorts})}
    return {c.id: campuses[c.campus_id].timezone for c in cohorts}


def _sessions_at_campus_on(uow: UnitOfWork, campus: Campus, day: date) -> list[Session]:
    """The non-cancelled sessions of the campus's cohorts scheduled on ``day``."""
    on_day = [s for s in uow.sessions.list_between(day, day) if not s.is_cancelled]
    cohorts = {c.id: c for c in uow.cohorts.find_many({s.cohort_id for s in on_day})}
    return [s for s in on_day if cohorts[s.cohort_id].campus_id == campus.id]
