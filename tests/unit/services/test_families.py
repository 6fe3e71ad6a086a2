"""Family and student use cases: accounts, unique e-mail, deactivation while enrolled, the
family scope of campus roles, and who may read a child's medical and dietary information."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, elsewhere, snapshot

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.model import EnrolmentStatus as S
from rocket_core.services.families import FamilyService, StudentProfile

#: Roles that manage families (MANAGE_ENROLMENTS): super admin, campus manager, front desk.
MANAGERS = {"super_admin", "campus_manager", "other_manager", "front_desk"}


@pytest.fixture
def service(world: World) -> FamilyService:
    return FamilyService(world.make_uow, world.clock, world.bus)


def enrol(world: World, student: m.Student, *, status: S = S.ACTIVE, **fields: Any) -> m.Enrolment:
    if status is S.ACTIVE:
        fields.setdefault("start_date", world.cohort.start_date)
    enrolment = m.Enrolment(
        organisation_id=world.org_id,
        student_id=student.id,
        cohort_id=world.cohort.id,
        status=status,
        enrolment_date=world.clock.now(),
        **fields,
    )
    world.add(enrolment)
    return enrolment


def drop(world: World, enrolment: m.Enrolment) -> None:
    with world.uow() as uow:
        uow.enrolments.get(enrolment.id).drop(on=date(2026, 1, 20), reason="moved interstate")
        uow.commit()


def stored_family(world: World, family_id: UUID) -> m.Family:
    with world.uow() as uow:
        return uow.families.get(family_id)


def stored_student(world: World, student_id: UUID) -> m.Student:
    with world.uow() as uow:
        return uow.students.get(student_id)


def audit_of(world: World, entity_id: UUID) -> list[m.AuditEntry]:
    with world.uow() as uow:
        return uow.audit.list_for_entity(entity_id)


def with_medical(world: World, student: m.Student) -> None:
    with world.uow() as uow:
        uow.students.get(student.id).update(
            medical_info="Peanut allergy: EpiPen in bag", dietary_restrictions="No nuts"
        )
        uow.commit()


# -- families ---------------------------------------------------------------------------------


def test_create_family_opens_an_account_and_audits_it(world: World, service: FamilyService) -> None:
    desk = world.actor("front_desk")
    family = service.create_family(
        desk,
        primary_contact_name="Priya Patel",
        primary_contact_email="Priya@Family.Example",
        family_name="Patel",
        postcode="3030",
        state="VIC",
    )
    stored = stored_family(world, family.id)
    assert stored.primary_contact_email == "priya@family.example"
    assert (stored.family_name, stored.postcode, stored.is_active) == ("Patel", "3030", True)
    assert stored.created_at == world.clock.now()
    [entry] = audit_of(world, family.id)
    assert (entry.action, entry.actor_staff_id) == ("family.create", desk.staff_id)
    assert entry.changes["primary_contact_email"] == "priya@family.example"


def test_a_primary_email_is_unique_in_the_organisation(
    world: World, service: FamilyService
) -> None:
    before = snapshot(world)
    with pytest.raises(Conflict, match="Nguyen"):
        service.create_family(
            world.actor("super_admin"),
            primary_contact_name="Someone Else",
            primary_contact_email="MAI@family.example",
        )
    assert snapshot(world) == before


def test_another_organisation_may_share_a_parent(world: World, service: FamilyService) -> None:
    other = m.Organisation(name="Other School")
    with world.store.unit_of_work(other.id) as uow:
        uow.organisations.add(other)
        uow.families.add(
            m.Family(
                organisation_id=other.id,
                primary_contact_name="Pat Lee",
                primary_contact_email="pat@family.example",
            )
        )
        uow.commit()
    family = service.create_family(
        world.actor("super_admin"),
        primary_contact_name="Pat Lee",
        primary_contact_email="pat@family.example",
    )
    assert stored_family(world, family.id).organisation_id == world.org_id


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"postcode": "30300"}, "Family.postcode"),
        ({"state": "XYZ"}, "Family.state"),
        ({"account_balance": 5}, "Family.account_balance"),
        ({"is_active": False}, "Family.is_active"),
        ({"colour": "blue"}, "Family.colour"),
    ],
)
def test_create_family_refuses_bad_input(
    world: World, service: FamilyService, details: dict[str, Any], field: str
) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError) as error:
        service.create_family(
            world.actor("super_admin"),
            primary_contact_name="Priya Patel",
            primary_contact_email="priya@family.example",
            **details,
        )
    assert error.value.field == field
    assert snapshot(world) == before


def test_a_bad_email_is_a_validation_error(world: World, service: FamilyService) -> None:
    with pytest.raises(ValidationError) as error:
        service.create_family(
            world.actor("super_admin"), primary_contact_name="X", primary_contact_email="nope"
        )
    assert error.value.field == "Family.primary_contact_email"


@pytest.mark.parametrize("who", ROLES)
def test_who_may_create_a_family(world: World, service: FamilyService, who: str) -> None:
    call = lambda: service.create_family(  # noqa: E731
        world.actor(who), primary_contact_name="Priya Patel", primary_contact_email="p@x.example"
    )
    if who in MANAGERS:  # any campus will do: a new family belongs to none yet
        assert call().is_active
    else:
        with pytest.raises(Forbidden):
            call()
        assert world.store.count(m.Family) == 2


def test_a_campus_role_without_a_campus_cannot_create_families(
    world: World, service: FamilyService
) -> None:
    loner = m.Staff(
        organisation_id=world.org_id,
        email="lone@rocket.example",
        password_hash="!no-password-set",
        first_name="Lone",
        last_name="Desk",
        role=m.StaffRole.FRONT_DESK,
    )
    world.add(loner)
    world.staff["loner"] = loner
    with pytest.raises(Forbidden):
        service.create_family(
            world.actor("loner"), primary_contact_name="P", primary_contact_email="p@x.example"
        )


def test_update_family_changes_contacts_and_audits_the_difference(
    world: World, service: FamilyService
) -> None:
    manager = world.actor("campus_manager")
    family = service.update_family(
        manager,
        world.family.id,
        primary_contact_phone="0412 345 678",
        primary_contact_email="Mai.Nguyen@Family.Example",
        family_name="Nguyen",  # unchanged
    )
    assert family.primary_contact_email == "mai.nguyen@family.example"
    stored = stored_family(world, world.family.id)
    assert stored.primary_contact_phone == "0412 345 678"
    assert stored.version == 2
    [entry] = audit_of(world, world.family.id)
    assert entry.action == "family.update"
    assert entry.changes == {
        "primary_contact_email": ["mai@family.example", "mai.nguyen@family.example"],
        "primary_contact_phone": [None, "0412 345 678"],
    }


def test_update_family_to_an_email_in_use_is_a_conflict(
    world: World, service: FamilyService
) -> None:
    before = snapshot(world)
    with pytest.raises(Conflict, match="Smith"):
        service.update_family(
            world.actor("super_admin"), world.family.id, primary_contact_email="JO@family.example"
        )
    assert stored_family(world, world.family.id).primary_contact_email == "mai@family.example"
    assert snapshot(world) == before


def test_keeping_ones_own_email_is_fine(world: World, service: FamilyService) -> None:
    service.update_family(
        world.actor("super_admin"), world.family.id, primary_contact_email="MAI@family.example"
    )
    assert audit_of(world, world.family.id) == []  # nothing changed, nothing written


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postcode": "abc"}, "Family.postcode"),
        ({"stripe_customer_id": "cus_1"}, "Family.stripe_customer_id"),
        ({"organisation_id": uuid4()}, "Family.organisation_id"),
    ],
)
def test_update_family_refuses_bad_input_and_changes_nothing(
    world: World, service: FamilyService, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        service.update_family(
            world.actor("super_admin"), world.family.id, suburb="Werribee", **changes
        )
    assert error.value.field == field
    assert stored_family(world, world.family.id).suburb is None


def test_unknown_and_foreign_families_are_not_found(world: World, service: FamilyService) -> None:
    other = m.Organisation(name="Other School")
    foreign = m.Family(
        organisation_id=other.id, primary_contact_name="Pat", primary_contact_email="p@x.example"
    )
    with world.store.unit_of_work(other.id) as uow:
        uow.organisations.add(other)
        uow.families.add(foreign)
        uow.commit()
    admin = world.actor("super_admin")
    for family_id in (uuid4(), foreign.id):
        with pytest.raises(NotFound):
            service.update_family(admin, family_id, suburb="Geelong")
        with pytest.raises(NotFound):
            service.deactivate_family(admin, family_id)
        with pytest.raises(NotFound):
            service.add_student(
                admin, family_id, first_name="A", last_name="B", date_of_birth=date(2017, 1, 1)
            )


@pytest.mark.parametrize(
    ("who", "enrolled_family", "free_family"),
    [
        ("super_admin", True, True),
        ("campus_manager", True, True),
        ("other_manager", False, True),  # the Nguyens study at Werribee only
        ("lead_instructor", False, False),
        ("other_instructor", False, False),
        ("teaching_assistant", False, False),
        ("front_desk", True, True),
    ],
)
def test_campus_roles_change_families_of_their_campus_or_of_none(
    world: World, service: FamilyService, who: str, enrolled_family: bool, free_family: bool
) -> None:
    enrol(world, world.child)  # the Nguyens: Werribee. The Smiths: no live enrolment.
    actor = world.actor(who)
    for family, allowed in ((world.family, enrolled_family), (world.other_family, free_family)):
        if allowed:
            assert service.update_family(actor, family.id, suburb="Werribee").suburb == "Werribee"
        else:
            with pytest.raises(Forbidden):
                service.update_family(actor, family.id, suburb="Werribee")
            assert stored_family(world, family.id).suburb is None


def test_a_dropped_enrolment_no_longer_ties_the_family_to_its_campus(
    world: World, service: FamilyService
) -> None:
    enrolment = enrol(world, world.child, status=S.ENQUIRY)
    with pytest.raises(Forbidden):
        service.update_family(world.actor("other_manager"), world.family.id, suburb="Geelong")
    drop(world, enrolment)
    service.update_family(world.actor("other_manager"), world.family.id, suburb="Geelong")


def test_deactivating_a_family_with_a_live_enrolment_is_refused(
    world: World, service: FamilyService
) -> None:
    enrol(world, world.sibling, status=S.PENDING_PAYMENT)
    before = snapshot(world)
    with pytest.raises(Conflict, match="An Nguyen has a live enrolment in Scratch Basics"):
        service.deactivate_family(world.actor("campus_manager"), world.family.id)
    assert stored_family(world, world.family.id).is_active
    assert snapshot(world) == before


def test_deactivating_a_family_deactivates_its_children(
    world: World, service: FamilyService
) -> None:
    enrolment = enrol(world, world.child)
    drop(world, enrolment)
    manager = world.actor("campus_manager")
    family = service.deactivate_family(manager, world.family.id)
    assert not family.is_active
    assert not stored_student(world, world.child.id).is_active
    assert not stored_student(world, world.sibling.id).is_active
    assert stored_student(world, world.other_child.id).is_active
    assert [e.action for e in audit_of(world, world.family.id)] == ["family.deactivate"]
    assert [e.action for e in audit_of(world, world.child.id)] == ["student.deactivate"]
    before = snapshot(world)
    service.deactivate_family(manager, world.family.id)  # again: nothing to do
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_who_may_deactivate_a_family(world: World, service: FamilyService, who: str) -> None:
    call = lambda: service.deactivate_family(world.actor(who), world.other_family.id)  # noqa: E731
    if who in MANAGERS:
        assert not call().is_active
    else:
        with pytest.raises(Forbidden):
            call()
        assert stored_family(world, world.other_family.id).is_active


# -- students ---------------------------------------------------------------------------------


def test_add_student_to_a_family(world: World, service: FamilyService) -> None:
    desk = world.actor("front_desk")
    profile = service.add_student(
        desk,
        world.family.id,
        first_name="Bao",
        last_name="Nguyen",
        date_of_birth=date(2019, 6, 1),
        pronouns="he/him",
        medical_info="Asthma: puffer in bag",
    )
    stored = stored_student(world, profile.id)
    assert (stored.family_id, stored.first_name, stored.pronouns) == (
        world.family.id,
        "Bao",
        "he/him",
    )
    assert stored.medical_info == "Asthma: puffer in bag"
    assert stored.created_at == world.clock.now()
    assert profile.display_name == "Bao Nguyen"
    assert not profile.sensitive_shown  # front desk records it, but never reads it back
    assert profile.medical_info is None
    [entry] = audit_of(world, profile.id)
    assert entry.action == "student.create"
    assert entry.changes["medical_info"] == "(changed, not logged)"
    assert "Asthma" not in str(entry.changes)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date_of_birth": date(2026, 3, 1)}, "Student.date_of_birth"),
        ({"first_name": ""}, "Student.first_name"),
        ({"created_at": date(2020, 1, 1)}, "Student.created_at"),
        ({"is_active": False}, "Student.is_active"),
        ({"photo_url": "ftp://x"}, "Student.photo_url"),
    ],
)
def test_add_student_refuses_bad_input(
    world: World, service: FamilyService, fields: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {
        "first_name": "Bao",
        "last_name": "Nguyen",
        "date_of_birth": date(2019, 6, 1),
        **fields,
    }
    before = snapshot(world)
    with pytest.raises(ValidationError) as error:
        service.add_student(world.actor("super_admin"), world.family.id, **arguments)
    assert error.value.field == field
    assert snapshot(world) == before


def test_a_child_cannot_join_a_deactivated_family(world: World, service: FamilyService) -> None:
    service.deactivate_family(world.actor("super_admin"), world.other_family.id)
    before = snapshot(world)
    with pytest.raises(Conflict, match="deactivated"):
        service.add_student(
            world.actor("super_admin"),
            world.other_family.id,
            first_name="Sam",
            last_name="Smith",
            date_of_birth=date(2018, 1, 1),
        )
    assert snapshot(world) == before


def test_a_student_login_email_is_unique(world: World, service: FamilyService) -> None:
    admin = world.actor("super_admin")
    service.update_student(admin, world.child.id, student_login_email="kim@student.example")
    before = snapshot(world)
    with pytest.raises(Conflict):
        service.update_student(admin, world.sibling.id, student_login_email="KIM@student.example")
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_who_may_add_a_student(world: World, service: FamilyService, who: str) -> None:
    enrol(world, world.child)  # the Nguyens are a Werribee family
    call = lambda: service.add_student(  # noqa: E731
        world.actor(who),
        world.family.id,
        first_name="Bao",
        last_name="Nguyen",
        date_of_birth=date(2019, 6, 1),
    )
    if who in MANAGERS - {"other_manager"}:
        assert call().family_id == world.family.id
    else:
        with pytest.raises(Forbidden):
            call()
        assert world.store.count(m.Student) == 3


def test_update_student_changes_details_and_audits_without_medical_text(
    world: World, service: FamilyService
) -> None:
    enrol(world, world.child)
    manager = world.actor("campus_manager")
    profile = service.update_student(
        manager, world.child.id, preferred_name="Kimmy", dietary_restrictions="Vegetarian"
    )
    assert profile.display_name == "Kimmy Nguyen"
    assert profile.sensitive_shown  # the campus manager manages Kim
    assert profile.dietary_restrictions == "Vegetarian"
    [entry] = audit_of(world, world.child.id)
    assert entry.changes == {
        "dietary_restrictions": "(changed, not logged)",
        "preferred_name": [None, "Kimmy"],
    }


def test_update_student_refuses_bad_input_and_changes_nothing(
    world: World, service: FamilyService
) -> None:
    with pytest.raises(ValidationError) as error:
        service.update_student(
            world.actor("super_admin"),
            world.child.id,
            pronouns="she/her",
            date_of_birth=date(2030, 1, 1),
        )
    assert error.value.field == "Student.date_of_birth"
    assert stored_student(world, world.child.id).pronouns is None
    with pytest.raises(NotFound):
        service.update_student(world.actor("super_admin"), uuid4(), pronouns="they/them")


def test_deactivating_a_student_with_a_live_enrolment_is_refused(
    world: World, service: FamilyService
) -> None:
    enrolment = enrol(world, world.child, status=S.TRIAL, trial_session_id=world.sessions[0].id)
    before = snapshot(world)
    with pytest.raises(Conflict, match=r"Kim Nguyen has a live enrolment in .*\(trial"):
        service.deactivate_student(world.actor("super_admin"), world.child.id)
    assert snapshot(world) == before
    drop(world, enrolment)
    profile = service.deactivate_student(world.actor("super_admin"), world.child.id)
    assert not profile.is_active
    assert not stored_student(world, world.child.id).is_active
    assert stored_family(world, world.family.id).is_active  # the sibling still studies here
    assert [e.action for e in audit_of(world, world.child.id)] == ["student.deactivate"]


@pytest.mark.parametrize("who", ROLES)
def test_who_may_change_and_deactivate_a_student(
    world: World, service: FamilyService, who: str
) -> None:
    enrol(world, world.sibling)  # the Nguyens are a Werribee family
    actor = world.actor(who)
    if who in MANAGERS - {"other_manager"}:
        assert service.update_student(actor, world.child.id, pronouns="she/her").pronouns == (
            "she/her"
        )
        assert stored_student(world, world.child.id).pronouns == "she/her"
        assert not service.deactivate_student(actor, world.child.id).is_active
    else:
        with pytest.raises(Forbidden):
            service.update_student(actor, world.child.id, pronouns="she/her")
        with pytest.raises(Forbidden):
            service.deactivate_student(actor, world.child.id)
        assert stored_student(world, world.child.id).is_active


# -- privacy: the student profile -------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("super_admin", "shown"),
        ("campus_manager", "shown"),  # manages the campus where Kim is enrolled
        ("other_manager", "forbidden"),  # another campus's family
        ("lead_instructor", "shown"),  # teaches Kim
        ("other_instructor", "forbidden"),
        ("teaching_assistant", "shown"),  # assists in Kim's cohort
        ("front_desk", "hidden"),  # may look the child up, not at medical details
    ],
)
def test_medical_and_dietary_information_only_for_who_teaches_or_manages(
    world: World, service: FamilyService, who: str, outcome: str
) -> None:
    enrol(world, world.child)
    with_medical(world, world.child)
    actor = world.actor(who)
    if outcome == "forbidden":
        with pytest.raises(Forbidden):
            service.student_profile(actor, world.child.id)
        return
    profile = service.student_profile(actor, world.child.id)
    assert profile.display_name == "Kim Nguyen"
    assert profile.date_of_birth == world.child.date_of_birth
    if outcome == "shown":
        assert profile.sensitive_shown
        assert profile.medical_info == "Peanut allergy: EpiPen in bag"
        assert profile.dietary_restrictions == "No nuts"
    else:
        assert not profile.sensitive_shown
        assert (profile.medical_info, profile.dietary_restrictions) == (None, None)


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("super_admin", "shown"),
        ("campus_manager", "hidden"),  # enrolled nowhere: no campus manages Alex yet
        ("other_manager", "hidden"),
        ("lead_instructor", "forbidden"),
        ("other_instructor", "forbidden"),
        ("teaching_assistant", "forbidden"),
        ("front_desk", "hidden"),
    ],
)
def test_a_child_enrolled_nowhere(
    world: World, service: FamilyService, who: str, outcome: str
) -> None:
    with_medical(world, world.other_child)
    actor = world.actor(who)
    if outcome == "forbidden":
        with pytest.raises(Forbidden):
            service.student_profile(actor, world.other_child.id)
        return
    profile = service.student_profile(actor, world.other_child.id)
    assert profile.sensitive_shown is (outcome == "shown")
    assert (profile.medical_info is not None) is (outcome == "shown")


def test_a_finished_enrolment_no_longer_shows_medical_information(
    world: World, service: FamilyService
) -> None:
    enrolment = enrol(world, world.child)
    with_medical(world, world.child)
    assert service.student_profile(world.actor("campus_manager"), world.child.id).sensitive_shown
    drop(world, enrolment)
    profile = service.student_profile(world.actor("campus_manager"), world.child.id)
    assert not profile.sensitive_shown
    with pytest.raises(Forbidden):
        service.student_profile(world.actor("lead_instructor"), world.child.id)


def test_the_teacher_of_an_upcoming_makeup_visit_sees_medical_information(
    world: World, service: FamilyService
) -> None:
    """Grace teaches a Geelong cohort; Alex comes to one of its sessions as a makeup."""
    _, visit = elsewhere(
        world,
        "other_instructor",
        date(2026, 2, 3),
        time(16, 0),
        time(17, 0),
        name="Scratch Basics - Geelong",
    )
    home = enrol(world, world.other_child)  # Alex studies at Werribee
    token = m.MakeupToken(
        organisation_id=world.org_id,
        student_id=world.other_child.id,
        enrolment_id=home.id,
        program_id=world.program.id,
        reason="excused absence",
        issued_on=date(2026, 1, 19),
        expires_on=date(2026, 4, 19),
        status=m.MakeupTokenStatus.REDEEMED,
        redeemed_session_id=visit.id,
        redeemed_at=world.clock.now(),
    )
    world.add(token)
    with_medical(world, world.other_child)

    profile = service.student_profile(world.actor("other_instructor"), world.other_child.id)
    assert profile.medical_info == "Peanut allergy: EpiPen in bag"
    assert service.student_profile(
        world.actor("other_manager"), world.other_child.id
    ).sensitive_shown

    world.clock.set(world.clock.now() + timedelta(days=30))  # the visit is over
    with pytest.raises(Forbidden):
        service.student_profile(world.actor("other_instructor"), world.other_child.id)


def test_a_trial_students_teacher_sees_medical_information(
    world: World, service: FamilyService
) -> None:
    enrol(world, world.other_child, status=S.TRIAL, trial_session_id=world.sessions[0].id)
    with_medical(world, world.other_child)
    profile = service.student_profile(world.actor("teaching_assistant"), world.other_child.id)
    assert isinstance(profile, StudentProfile)
    assert profile.dietary_restrictions == "No nuts"


def test_reading_a_profile_writes_nothing(world: World, service: FamilyService) -> None:
    before = snapshot(world)
    service.student_profile(world.actor("super_admin"), world.child.id)
    assert snapshot(world) == before
    with pytest.raises(NotFound):
        service.student_profile(world.actor("super_admin"), uuid4())


# -- reading: the directory and a family's children ----------------------------------------


def add_family(world: World, name: str, email: str, **details: Any) -> m.Family:
    family = m.Family(
        organisation_id=world.org_id,
        family_name=name,
        primary_contact_name=f"{name} Parent",
        primary_contact_email=email,
        **details,
    )
    world.add(family)
    return family


def test_the_directory_lists_families_by_name(world: World, service: FamilyService) -> None:
    lee = add_family(world, "Lee", "lee@family.example", primary_contact_phone="0412 345 678")
    families = service.list_families(world.actor("front_desk"))
    assert [f.display_name for f in families] == ["Lee", "Nguyen", "Smith"]
    assert families[0].id == lee.id


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("nguy", ["Nguyen"]),
        ("JO@FAMILY", ["Smith"]),  # an e-mail, case-insensitively
        ("mai", ["Nguyen"]),  # the primary contact's name
        ("0412345", ["Lee"]),  # phone digits, whatever the spacing
        ("  lee ", ["Lee"]),
        ("family.example", ["Lee", "Nguyen", "Smith"]),
        ("nobody", []),
        ("", ["Lee", "Nguyen", "Smith"]),
    ],
)
def test_the_directory_searches_names_emails_and_phones(
    world: World, service: FamilyService, search: str, names: list[str]
) -> None:
    add_family(world, "Lee", "lee@family.example", primary_contact_phone="0412 345 678")
    found = service.list_families(world.actor("super_admin"), search=search)
    assert [f.display_name for f in found] == names


def test_the_directory_filters_active_families(world: World, service: FamilyService) -> None:
    service.deactivate_family(world.actor("super_admin"), world.other_family.id)
    admin = world.actor("super_admin")
    assert [f.display_name for f in service.list_families(admin, active=True)] == ["Nguyen"]
    assert [f.display_name for f in service.list_families(admin, active=False)] == ["Smith"]
    assert len(service.list_families(admin)) == 2


@pytest.mark.parametrize("who", ROLES)
def test_who_may_use_the_directory(world: World, service: FamilyService, who: str) -> None:
    enrol(world, world.child)  # the Nguyens study at Werribee only: still in the directory
    before = snapshot(world)
    if who in MANAGERS:
        assert len(service.list_families(world.actor(who))) == 2
    else:
        with pytest.raises(Forbidden):
            service.list_families(world.actor(who))
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("super_admin", True),
        ("campus_manager", True),
        ("other_manager", True),  # the directory is organisation-wide for office staff
        ("lead_instructor", True),  # teaches Kim
        ("other_instructor", False),
        ("teaching_assistant", True),  # assists in Kim's cohort
        ("front_desk", True),
    ],
)
def test_who_may_read_a_family(
    world: World, service: FamilyService, who: str, allowed: bool
) -> None:
    enrol(world, world.child)
    actor = world.actor(who)
    if allowed:
        assert service.family(actor, world.family.id).id == world.family.id
    else:
        with pytest.raises(Forbidden):
            service.family(actor, world.family.id)


def test_instructors_read_only_the_families_they_teach(
    world: World, service: FamilyService
) -> None:
    with pytest.raises(Forbidden):
        service.family(world.actor("lead_instructor"), world.family.id)  # nobody enrolled yet
    enrol(world, world.other_child, status=S.TRIAL, trial_session_id=world.sessions[0].id)
    assert service.family(world.actor("teaching_assistant"), world.other_family.id)
    with pytest.raises(Forbidden):
        service.family(world.actor("teaching_assistant"), world.family.id)


def test_reading_unknown_or_foreign_families_is_not_found(
    world: World, service: FamilyService
) -> None:
    other = m.Organisation(name="Other School")
    foreign = m.Family(
        organisation_id=other.id, primary_contact_name="Pat", primary_contact_email="p@x.example"
    )
    with world.store.unit_of_work(other.id) as uow:
        uow.organisations.add(other)
        uow.families.add(foreign)
        uow.commit()
    admin = world.actor("super_admin")
    assert [f.id for f in service.list_families(admin, search="p@x")] == []
    for family_id in (uuid4(), foreign.id):
        with pytest.raises(NotFound):
            service.family(admin, family_id)
        with pytest.raises(NotFound):
            service.list_students(admin, family_id)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        # (child, medical shown) in the family's order (oldest first: Kim, then An)
        ("super_admin", [("Kim", True), ("An", True)]),
        ("campus_manager", [("Kim", True), ("An", False)]),  # manages where Kim is taught
        ("other_manager", []),  # reads the family, but its children are Werribee's
        ("lead_instructor", [("Kim", True)]),  # teaches Kim, not An
        ("other_instructor", None),  # may not read the family at all
        ("teaching_assistant", [("Kim", True)]),
        ("front_desk", [("Kim", False), ("An", False)]),  # never medical information
    ],
)
def test_a_familys_children_as_each_reader_may_see_them(
    world: World, service: FamilyService, who: str, expected: list[tuple[str, bool]] | None
) -> None:
    enrol(world, world.child)
    with_medical(world, world.child)
    with_medical(world, world.sibling)
    actor = world.actor(who)
    before = snapshot(world)
    if expected is None:
        with pytest.raises(Forbidden):
            service.list_students(actor, world.family.id)
        return
    profiles = service.list_students(actor, world.family.id)
    assert [(p.first_name, p.sensitive_shown) for p in profiles] == expected
    for profile in profiles:  # the same as reading each child's profile
        assert profile == service.student_profile(actor, profile.id)
        assert (profile.medical_info is not None) is profile.sensitive_shown
    assert snapshot(world) == before


def test_a_family_without_children_lists_none(world: World, service: FamilyService) -> None:
    family = add_family(world, "Lee", "lee@family.example")
    assert service.list_students(world.actor("front_desk"), family.id) == []
