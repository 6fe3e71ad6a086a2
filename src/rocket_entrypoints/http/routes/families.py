"""Families and their children: the family directory, accounts and students.

Who may read and change what is the families use cases' business (FamilyService): office
staff find any family; changes follow the family scope; a child's medical and dietary
information is only in the answer for staff who teach or manage the child (``sensitive_shown``).
PATCH bodies carry only the fields to change: a field left out is kept, ``null`` clears it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import attrs
from litestar import get, patch, post
from litestar.params import Parameter
from msgspec import UNSET, UnsetType

from rocket_core.model import Family, Gender
from rocket_core.permissions import Actor
from rocket_core.services.families import FamilyService, StudentProfile
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page

STAFF = {"access": "staff"}
TAGS = ["families"]

#: ``?search=``: part of a family's name, a contact's name, an e-mail or a phone number.
Search = Annotated[
    str | None,
    Parameter(max_length=200, description="part of a name, an e-mail or a phone number"),
]
#: ``?active=``: only active (true) or deactivated (false) families; both when left out.
Active = Annotated[bool | None, Parameter(description="active (true) or deactivated (false)")]


@attrs.frozen
class FamilyOut:
    """A family account (its balance is billing's: see the family ledger)."""

    id: UUID
    family_name: str | None
    display_name: str
    primary_contact_name: str
    primary_contact_email: str
    primary_contact_phone: str | None
    secondary_contact_name: str | None
    secondary_contact_email: str | None
    secondary_contact_phone: str | None
    street_address: str | None
    suburb: str | None
    state: str | None
    postcode: str | None
    emergency_contact_name: str | None
    emergency_contact_phone: str | None
    is_active: bool
    undeliverable_at: datetime | None
    undeliverable_reason: str | None
    created_at: datetime
    version: int


@attrs.frozen
class FamilyIn:
    """A new family account."""

    primary_contact_name: str
    primary_contact_email: str
    family_name: str | None = None
    primary_contact_phone: str | None = None
    secondary_contact_name: str | None = None
    secondary_contact_email: str | None = None
    secondary_contact_phone: str | None = None
    street_address: str | None = None
    suburb: str | None = None
    state: str | None = None
    postcode: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_phone: str | None = None


@attrs.frozen
class FamilyPatch:
    """Changes to a family: only the fields given (``null`` clears an optional one). A new
    primary e-mail also clears the family's undeliverable flag."""

    primary_contact_name: str | UnsetType = UNSET
    primary_contact_email: str | UnsetType = UNSET
    family_name: str | UnsetType | None = UNSET
    primary_contact_phone: str | UnsetType | None = UNSET
    secondary_contact_name: str | UnsetType | None = UNSET
    secondary_contact_email: str | UnsetType | None = UNSET
    secondary_contact_phone: str | UnsetType | None = UNSET
    street_address: str | UnsetType | None = UNSET
    suburb: str | UnsetType | None = UNSET
    state: str | UnsetType | None = UNSET
    postcode: str | UnsetType | None = UNSET
    emergency_contact_name: str | UnsetType | None = UNSET
    emergency_contact_phone: str | UnsetType | None = UNSET


@attrs.frozen
class StudentOut:
    """A child as the reader may see it: ``medical_info`` and ``dietary_restrictions`` are
    null unless ``sensitive_shown`` (the reader teaches or manages the child)."""

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


@attrs.frozen
class StudentIn:
    """A new child of the family. Staff who may manage the family may record medical and
    dietary information even when they may not read it back."""

    first_name: str
    last_name: str
    date_of_birth: date
    preferred_name: str | None = None
    gender: Gender | None = None
    pronouns: str | None = None
    medical_info: str | None = None
    dietary_restrictions: str | None = None
    allow_photo: bool = False
    photo_url: str | None = None
    student_login_email: str | None = None


@attrs.frozen
class StudentPatch:
    """Changes to a child: only the fields given (``null`` clears an optional one)."""

    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    date_of_birth: date | UnsetType = UNSET
    preferred_name: str | UnsetType | None = UNSET
    gender: Gender | UnsetType | None = UNSET
    pronouns: str | UnsetType | None = UNSET
    medical_info: str | UnsetType | None = UNSET
    dietary_restrictions: str | UnsetType | None = UNSET
    allow_photo: bool | UnsetType = UNSET
    photo_url: str | UnsetType | None = UNSET
    student_login_email: str | UnsetType | None = UNSET


def given(body: Any) -> dict[str, Any]:
    """The fields of a PATCH body that were sent."""
    return {
        field.name: getattr(body, field.name)
        for field in attrs.fields(type(body))
        if getattr(body, field.name) is not UNSET
    }


def _family(family: Family) -> FamilyOut:
    return FamilyOut(
        **{field.name: getattr(family, field.name) for field in attrs.fields(FamilyOut)}
    )


def _student(profile: StudentProfile) -> StudentOut:
    return StudentOut(
        **{field.name: getattr(profile, field.name) for field in attrs.fields(StudentOut)}
    )


# -- families -----------------------------------------------------------------------------


@get("/families", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_families(
    actor: Actor,
    families: FamilyService,
    search: Search = None,
    active: Active = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[FamilyOut]:
    """The organisation's families by name (office staff: super admin, campus managers and
    front desk), optionally searched and filtered by active."""
    found = families.list_families(actor, search=search, active=active)
    return page([_family(family) for family in found], limit, offset)


@post("/families", opt=STAFF, sync_to_thread=True, tags=TAGS)
def create_family(data: FamilyIn, actor: Actor, families: FamilyService) -> FamilyOut:
    """Open a family account (its primary e-mail must be unused in the organisation)."""
    details = attrs.asdict(data)
    name, email = details.pop("primary_contact_name"), details.pop("primary_contact_email")
    return _family(
        families.create_family(
            actor, primary_contact_name=name, primary_contact_email=email, **details
        )
    )


@get("/families/{family_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_family(family_id: UUID, actor: Actor, families: FamilyService) -> FamilyOut:
    """One family account."""
    return _family(families.family(actor, family_id))


@patch("/families/{family_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_family(
    family_id: UUID, data: FamilyPatch, actor: Actor, families: FamilyService
) -> FamilyOut:
    """Change a family's contacts or address, all or nothing."""
    return _family(families.update_family(actor, family_id, **given(data)))


@post(
    "/families/{family_id:uuid}/deactivate",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def deactivate_family(family_id: UUID, actor: Actor, families: FamilyService) -> FamilyOut:
    """Close a family account and deactivate its children (refused while a child has a live
    enrolment); records are kept."""
    return _family(families.deactivate_family(actor, family_id))


# -- students -----------------------------------------------------------------------------


@get("/families/{family_id:uuid}/students", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_students(
    family_id: UUID,
    actor: Actor,
    families: FamilyService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[StudentOut]:
    """The family's children the reader may see, oldest first."""
    return page(
        [_student(profile) for profile in families.list_students(actor, family_id)],
        limit,
        offset,
    )


@post("/families/{family_id:uuid}/students", opt=STAFF, sync_to_thread=True, tags=TAGS)
def add_student(
    family_id: UUID, data: StudentIn, actor: Actor, families: FamilyService
) -> StudentOut:
    """Add a child to an active family."""
    details = attrs.asdict(data)
    first, last = details.pop("first_name"), details.pop("last_name")
    born = details.pop("date_of_birth")
    return _student(
        families.add_student(
            actor, family_id, first_name=first, last_name=last, date_of_birth=born, **details
        )
    )


@get("/students/{student_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_student(student_id: UUID, actor: Actor, families: FamilyService) -> StudentOut:
    """A child's profile."""
    return _student(families.student_profile(actor, student_id))


@patch("/students/{student_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_student(
    student_id: UUID, data: StudentPatch, actor: Actor, families: FamilyService
) -> StudentOut:
    """Change a child's details, all or nothing."""
    return _student(families.update_student(actor, student_id, **given(data)))


@post(
    "/students/{student_id:uuid}/deactivate",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def deactivate_student(student_id: UUID, actor: Actor, families: FamilyService) -> StudentOut:
    """The child no longer studies here (refused while enrolled); records are kept."""
    return _student(families.deactivate_student(actor, student_id))


ROUTES = [
    list_families,
    create_family,
    get_family,
    update_family,
    deactivate_family,
    list_students,
    add_student,
    get_student,
    update_student,
    deactivate_student,
]
