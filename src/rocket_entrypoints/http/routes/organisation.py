"""The organisation: its details and settings, campuses and closure dates, staff accounts,
their roles, passwords and the campuses they work at.

PATCH bodies name only the fields to change: a field left out is not touched, and ``null``
clears an optional one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import attrs
from litestar import delete, get, patch, post
from msgspec import UNSET, UnsetType

from rocket_core.model import (
    Campus,
    CampusStaff,
    Organisation,
    OrganisationSettings,
    Qualification,
    Staff,
    StaffRole,
)
from rocket_core.permissions import Actor
from rocket_core.services.auth import AuthService
from rocket_core.services.organisation import OrganisationService
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page
from rocket_entrypoints.http.routes.scheduling import SessionOut, changes_of, fill, session_out

STAFF = {"access": "staff"}
TAGS = ["organisation"]


# -- the organisation --------------------------------------------------------------------------


@attrs.frozen
class OrganisationOut:
    """The organisation's details."""

    id: UUID
    name: str
    logo_url: str | None
    primary_color: str | None
    billing_email: str | None
    abn: str | None
    created_at: datetime


@attrs.frozen
class OrganisationPatch:
    """Details to change."""

    name: str | UnsetType = UNSET
    logo_url: str | UnsetType | None = UNSET
    primary_color: str | UnsetType | None = UNSET
    billing_email: str | UnsetType | None = UNSET
    abn: str | UnsetType | None = UNSET


@attrs.frozen
class SettingsOut:
    """The numbers of the business rules (rates are fractions, money in dollars; both as
    decimal strings)."""

    gst_rate: Decimal
    prices_include_gst: bool
    invoice_due_days: int
    overdue_after_days: int
    sibling_discount_second: Decimal
    sibling_discount_third_plus: Decimal
    waitlist_offer_hours: int
    makeup_token_expiry_days: int
    attendance_edit_window_hours: int
    absence_alert_delay_minutes: int
    campus_manager_refund_limit: Decimal
    withdrawal_admin_fee: Decimal
    record_retention_years: int


@attrs.frozen
class SettingsPatch:
    """Settings to change."""

    gst_rate: Decimal | UnsetType = UNSET
    prices_include_gst: bool | UnsetType = UNSET
    invoice_due_days: int | UnsetType = UNSET
    overdue_after_days: int | UnsetType = UNSET
    sibling_discount_second: Decimal | UnsetType = UNSET
    sibling_discount_third_plus: Decimal | UnsetType = UNSET
    waitlist_offer_hours: int | UnsetType = UNSET
    makeup_token_expiry_days: int | UnsetType = UNSET
    attendance_edit_window_hours: int | UnsetType = UNSET
    absence_alert_delay_minutes: int | UnsetType = UNSET
    campus_manager_refund_limit: Decimal | UnsetType = UNSET
    withdrawal_admin_fee: Decimal | UnsetType = UNSET
    record_retention_years: int | UnsetType = UNSET


def _organisation(organisation: Organisation) -> OrganisationOut:
    return fill(OrganisationOut, organisation)


def _settings(settings: OrganisationSettings) -> SettingsOut:
    return fill(SettingsOut, settings)


@get("/organisation", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_organisation(actor: Actor, organisation: OrganisationService) -> OrganisationOut:
    """The organisation's details."""
    return _organisation(organisation.get_organisation(actor))


@patch("/organisation", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_organisation(
    data: OrganisationPatch, actor: Actor, organisation: OrganisationService
) -> OrganisationOut:
    """Change the organisation's details (super admins)."""
    return _organisation(organisation.update_organisation(actor, **changes_of(data)))


@get("/organisation/settings", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_settings(actor: Actor, organisation: OrganisationService) -> SettingsOut:
    """The organisation's settings."""
    return _settings(organisation.get_organisation(actor).settings)


@patch("/organisation/settings", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_settings(
    data: SettingsPatch, actor: Actor, organisation: OrganisationService
) -> SettingsOut:
    """Change organisation-wide settings (super admins)."""
    return _settings(organisation.update_settings(actor, **changes_of(data)))


# -- campuses ----------------------------------------------------------------------------------


@attrs.frozen
class ClosureOut:
    """A day a campus is closed."""

    day: date
    reason: str


@attrs.frozen
class CampusOut:
    """A campus (its time zone an IANA name) and its closure dates."""

    id: UUID
    name: str
    address: str | None
    suburb: str | None
    state: str | None
    postcode: str | None
    timezone: str
    contact_email: str | None
    contact_phone: str | None
    is_active: bool
    closure_dates: list[ClosureOut]
    created_at: datetime


@attrs.frozen
class CampusIn:
    """A new campus."""

    name: str
    timezone: str = "Australia/Melbourne"
    address: str | None = None
    suburb: str | None = None
    state: str | None = None
    postcode: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


@attrs.frozen
class CampusPatch:
    """Campus details to change."""

    name: str | UnsetType = UNSET
    address: str | UnsetType | None = UNSET
    suburb: str | UnsetType | None = UNSET
    state: str | UnsetType | None = UNSET
    postcode: str | UnsetType | None = UNSET
    timezone: str | UnsetType = UNSET
    contact_email: str | UnsetType | None = UNSET
    contact_phone: str | UnsetType | None = UNSET


@attrs.frozen
class ClosureIn:
    """A day to close the campus, and why (public holiday, blackout day)."""

    day: date
    reason: str


@attrs.frozen
class ClosureAddedOut:
    """The campus with its new closure date, and the sessions already scheduled that day
    (not changed: cancel or reschedule each one)."""

    campus: CampusOut
    sessions_on_day: list[SessionOut]


def campus_out(campus: Campus) -> CampusOut:
    """A campus as JSON."""
    closures = [ClosureOut(day=x.day, reason=x.reason) for x in campus.closure_dates]
    return fill(CampusOut, campus, closure_dates=closures)


@get("/campuses", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_campuses(
    actor: Actor,
    organisation: OrganisationService,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CampusOut]:
    """The campuses by name (``active``: only active or only inactive ones)."""
    found = organisation.list_campuses(actor, active=active)
    return page([campus_out(c) for c in found], limit, offset)


@post("/campuses", opt=STAFF, sync_to_thread=True, tags=TAGS)
def create_campus(data: CampusIn, actor: Actor, organisation: OrganisationService) -> CampusOut:
    """Open a new campus (super admins)."""
    return campus_out(organisation.create_campus(actor, **attrs.asdict(data)))


@get("/campuses/{campus_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_campus(campus_id: UUID, actor: Actor, organisation: OrganisationService) -> CampusOut:
    """One campus."""
    return campus_out(organisation.get_campus(actor, campus_id))


@patch("/campuses/{campus_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_campus(
    campus_id: UUID, data: CampusPatch, actor: Actor, organisation: OrganisationService
) -> CampusOut:
    """Change a campus's details (super admins, its campus managers)."""
    return campus_out(organisation.update_campus(actor, campus_id, **changes_of(data)))


@post(
    "/campuses/{campus_id:uuid}/deactivate",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def deactivate_campus(
    campus_id: UUID, actor: Actor, organisation: OrganisationService
) -> CampusOut:
    """Stop a campus from taking new cohorts (super admins)."""
    return campus_out(organisation.deactivate_campus(actor, campus_id))


@post(
    "/campuses/{campus_id:uuid}/reactivate",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def reactivate_campus(
    campus_id: UUID, actor: Actor, organisation: OrganisationService
) -> CampusOut:
    """Let an inactive campus take new cohorts again (super admins)."""
    return campus_out(organisation.reactivate_campus(actor, campus_id))


@post("/campuses/{campus_id:uuid}/closures", opt=STAFF, sync_to_thread=True, tags=TAGS)
def add_closure_date(
    campus_id: UUID, data: ClosureIn, actor: Actor, organisation: OrganisationService
) -> ClosureAddedOut:
    """Close a campus on a day (super admins, its campus managers); lists the sessions
    already scheduled that day."""
    added = organisation.add_closure_date(actor, campus_id, day=data.day, reason=data.reason)
    return ClosureAddedOut(
        campus=campus_out(added.campus),
        sessions_on_day=[session_out(s) for s in added.sessions_on_day],
    )


@delete("/campuses/{campus_id:uuid}/closures/{day:date}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def remove_closure_date(
    campus_id: UUID, day: date, actor: Actor, organisation: OrganisationService
) -> None:
    """Open a campus again on a day it was closed (super admins, its campus managers)."""
    organisation.remove_closure_date(actor, campus_id, day=day)


# -- staff -------------------------------------------------------------------------------------


@attrs.frozen
class QualificationModel:
    """A certification or check a staff member holds (e.g. a Working With Children Check)."""

    name: str
    reference: str | None = None
    expires_on: date | None = None


@attrs.frozen
class StaffOut:
    """A staff account (never its password)."""

    id: UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    role: StaffRole
    is_active: bool
    hired_date: date | None
    qualifications: list[QualificationModel]
    created_at: datetime


@attrs.frozen
class StaffDetailsOut:
    """A staff account and the campuses it works at."""

    staff: StaffOut
    campus_ids: list[UUID]


@attrs.frozen
class StaffIn:
    """A new staff account: it cannot log in until a password is set
    (``POST /staff/{staff_id}/password``)."""

    email: str
    first_name: str
    last_name: str
    role: StaffRole
    phone: str | None = None
    hired_date: date | None = None
    qualifications: list[QualificationModel] = attrs.field(factory=list)


@attrs.frozen
class StaffPatch:
    """Staff details to change (the role has its own route)."""

    email: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    phone: str | UnsetType | None = UNSET
    hired_date: date | UnsetType | None = UNSET
    qualifications: list[QualificationModel] | UnsetType = UNSET


@attrs.frozen
class RoleIn:
    """The staff member's new role."""

    role: StaffRole


@attrs.frozen
class PasswordIn:
    """A new password."""

    password: str


@attrs.frozen
class StaffDeactivatedOut:
    """The deactivated account, and the upcoming sessions still assigned to it (reassign
    them)."""

    staff: StaffOut
    upcoming_sessions: list[SessionOut]


@attrs.frozen
class CampusAssignmentIn:
    """The campus a staff member is to work at."""

    campus_id: UUID


@attrs.frozen
class CampusAssignmentOut:
    """A staff member's assignment to a campus."""

    id: UUID
    campus_id: UUID
    staff_id: UUID
    assigned_at: datetime


def staff_out(staff: Staff) -> StaffOut:
    """A staff account as JSON."""
    qualifications = [
        QualificationModel(name=q.name, reference=q.reference, expires_on=q.expires_on)
        for q in staff.qualifications
    ]
    return fill(StaffOut, staff, qualifications=qualifications)


def _qualifications(items: list[QualificationModel]) -> list[Qualification]:
    return [
        Qualification(name=q.name, reference=q.reference, expires_on=q.expires_on) for q in items
    ]


def _assignment(assignment: CampusStaff) -> CampusAssignmentOut:
    return fill(CampusAssignmentOut, assignment)


@get("/staff", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_staff(
    actor: Actor,
    organisation: OrganisationService,
    role: StaffRole | None = None,
    active: bool | None = None,
    campus_id: UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[StaffOut]:
    """Staff by name, filterable by role, activity and campus (super admins: everyone;
    campus managers: the staff of their campuses)."""
    found = organisation.list_staff(actor, role=role, active=active, campus_id=campus_id)
    return page([staff_out(s) for s in found], limit, offset)


@post("/staff", opt=STAFF, sync_to_thread=True, tags=TAGS)
def create_staff(data: StaffIn, actor: Actor, organisation: OrganisationService) -> StaffOut:
    """Open a staff account (super admins)."""
    fields = attrs.asdict(data, recurse=False)
    fields["qualifications"] = _qualifications(data.qualifications)
    return staff_out(organisation.create_staff(actor, **fields))


@get("/staff/{staff_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_staff(staff_id: UUID, actor: Actor, organisation: OrganisationService) -> StaffDetailsOut:
    """One staff account and its campuses (one's own; super admins; campus managers for the
    staff of their campuses)."""
    profile = organisation.get_staff(actor, staff_id)
    return StaffDetailsOut(staff=staff_out(profile.staff), campus_ids=list(profile.campus_ids))


@patch("/staff/{staff_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_staff(
    staff_id: UUID, data: StaffPatch, actor: Actor, organisation: OrganisationService
) -> StaffOut:
    """Change a staff member's details (super admins)."""
    changes = changes_of(data)
    if "qualifications" in changes:
        changes["qualifications"] = _qualifications(changes["qualifications"])
    return staff_out(organisation.update_staff(actor, staff_id, **changes))


@post("/staff/{staff_id:uuid}/role", opt=STAFF, sync_to_thread=True, tags=TAGS, status_code=200)
def change_role(
    staff_id: UUID, data: RoleIn, actor: Actor, organisation: OrganisationService
) -> StaffOut:
    """Give a staff member another role (super admins, never their own)."""
    return staff_out(organisation.change_role(actor, staff_id, data.role))


@post(
    "/staff/{staff_id:uuid}/deactivate",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def deactivate_staff(
    staff_id: UUID, actor: Actor, organisation: OrganisationService
) -> StaffDeactivatedOut:
    """Close a staff account (super admins, never their own); lists the upcoming sessions
    still assigned to them."""
    result = organisation.deactivate_staff(actor, staff_id)
    return StaffDeactivatedOut(
        staff=staff_out(result.staff),
        upcoming_sessions=[session_out(s) for s in result.upcoming_sessions],
    )


@post(
    "/staff/{staff_id:uuid}/reactivate",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def reactivate_staff(staff_id: UUID, actor: Actor, organisation: OrganisationService) -> StaffOut:
    """Open a deactivated staff account again (super admins)."""
    return staff_out(organisation.reactivate_staff(actor, staff_id))


@post(
    "/staff/{staff_id:uuid}/password",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=204,
)
def set_password(staff_id: UUID, data: PasswordIn, actor: Actor, auth: AuthService) -> None:
    """Set a staff member's password: one's own, or anyone's for super admins. Their
    sessions end."""
    auth.set_password(actor, staff_id, data.password)


@post("/staff/{staff_id:uuid}/campuses", opt=STAFF, sync_to_thread=True, tags=TAGS)
def assign_to_campus(
    staff_id: UUID, data: CampusAssignmentIn, actor: Actor, organisation: OrganisationService
) -> CampusAssignmentOut:
    """Let a staff member work at a campus (super admins)."""
    return _assignment(organisation.assign_to_campus(actor, staff_id, data.campus_id))


@delete(
    "/staff/{staff_id:uuid}/campuses/{campus_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS
)
def unassign_from_campus(
    staff_id: UUID, campus_id: UUID, actor: Actor, organisation: OrganisationService
) -> None:
    """End a staff member's assignment to a campus (super admins)."""
    organisation.unassign_from_campus(actor, staff_id, campus_id)


ROUTES = [
    get_organisation,
    update_organisation,
    get_settings,
    update_settings,
    list_campuses,
    create_campus,
    get_campus,
    update_campus,
    deactivate_campus,
    reactivate_campus,
    add_closure_date,
    remove_closure_date,
    list_staff,
    create_staff,
    get_staff,
    update_staff,
    change_role,
    deactivate_staff,
    reactivate_staff,
    set_password,
    assign_to_campus,
    unassign_from_campus,
]
