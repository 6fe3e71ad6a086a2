"""OrganisationService: settings, campuses and closure dates, staff accounts, campus
assignments; every rule, every bad input and the permission walk of each use case."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, snapshot, sorted_audit_actions, walk

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.services.organisation import NO_PASSWORD, OrganisationService

SUPER_ADMIN_ONLY = {"super_admin"}
CAMPUS_SETTINGS = {"super_admin", "campus_manager"}


@pytest.fixture
def service(world: World) -> OrganisationService:
    return OrganisationService(world.make_uow, world.clock, world.bus)


def other_organisation(world: World) -> tuple[m.Organisation, m.Campus, m.Staff]:
    org = m.Organisation(name="Other School")
    campus = m.Campus(organisation_id=org.id, name="Elsewhere")
    staff = m.Staff(
        organisation_id=org.id,
        email="someone@other.example",
        password_hash=NO_PASSWORD,
        first_name="Some",
        last_name="One",
        role=m.StaffRole.FRONT_DESK,
    )
    with world.store.unit_of_work(org.id) as uow:
        uow.organisations.add(org)
        uow.campuses.add(campus)
        uow.staff.add(staff)
        uow.commit()
    return org, campus, staff


def load_campus(world: World, campus_id: Any) -> m.Campus:
    with world.uow() as uow:
        return uow.campuses.get(campus_id)


def load_staff(world: World, staff_id: Any) -> m.Staff:
    with world.uow() as uow:
        return uow.staff.get(staff_id)


# -- the organisation ------------------------------------------------------------------------


def test_super_admin_updates_the_organisation_with_an_audit(
    world: World, service: OrganisationService
) -> None:
    org = service.update_organisation(
        world.actor("super_admin"),
        name="Rocket Coding Academy",
        billing_email="Fees@Rocket.Example",
    )
    assert (org.name, org.billing_email) == ("Rocket Coding Academy", "Fees@Rocket.Example")
    with world.uow() as uow:
        assert uow.organisations.current().name == "Rocket Coding Academy"
        [entry] = uow.audit.list_for_entity(world.org_id)
    assert entry.action == "organisation.update"
    assert entry.actor_staff_id == world.staff["super_admin"].id
    assert entry.changes["name"] == ["Rocket Academy", "Rocket Coding Academy"]


def test_an_unchanged_organisation_writes_no_audit(
    world: World, service: OrganisationService
) -> None:
    service.update_organisation(world.actor("super_admin"), name="Rocket Academy")
    assert sorted_audit_actions(world, world.org_id) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"abn": "12345678901"}, "Organisation.abn"),
        ({"primary_color": "red"}, "Organisation.primary_color"),
        ({"name": " "}, "Organisation.name"),
        ({"settings": m.OrganisationSettings()}, "Organisation.settings"),
        ({"id": uuid4()}, "Organisation.id"),
    ],
)
def test_bad_organisation_details_are_refused_and_nothing_is_written(
    world: World, service: OrganisationService, changes: dict[str, Any], field: str
) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        service.update_organisation(world.actor("super_admin"), **changes)
    assert info.value.field == field
    assert snapshot(world) == before


def test_super_admin_changes_settings(world: World, service: OrganisationService) -> None:
    settings = service.update_settings(
        world.actor("super_admin"), gst_rate=Decimal("0.15"), invoice_due_days=30
    )
    assert (settings.gst_rate, settings.invoice_due_days) == (Decimal("0.15"), 30)
    assert settings.waitlist_offer_hours == 48
    with world.uow() as uow:
        assert uow.organisations.current().settings == settings
        [entry] = uow.audit.list_for_entity(world.org_id)
    assert entry.action == "organisation.settings_update"
    assert entry.changes == {"gst_rate": ["0.10", "0.15"], "invoice_due_days": [14, 30]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"gst_rate": Decimal("1.5")}, "OrganisationSettings.gst_rate"),
        ({"invoice_due_days": -1}, "OrganisationSettings.invoice_due_days"),
        ({"record_retention_years": 3}, "OrganisationSettings.record_retention_years"),
        ({"favourite_colour": "blue"}, "OrganisationSettings.favourite_colour"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(
    world: World, service: OrganisationService, changes: dict[str, Any], field: str
) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        service.update_settings(world.actor("super_admin"), **changes)
    assert info.value.field == field
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_change_organisation_details(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.update_organisation(a, name="X"))


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_change_settings(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.update_settings(a, invoice_due_days=21))


# -- campuses --------------------------------------------------------------------------------


def test_super_admin_creates_a_campus_in_its_time_zone(
    world: World, service: OrganisationService
) -> None:
    campus = service.create_campus(
        world.actor("super_admin"),
        name="Fremantle",
        timezone="Australia/Perth",
        address="1 High St",
        suburb="Fremantle",
        state="WA",
        postcode="6160",
        contact_email="freo@rocket.example",
        contact_phone="08 9999 0000",
    )
    stored = load_campus(world, campus.id)
    assert (stored.name, stored.timezone, stored.state, stored.is_active) == (
        "Fremantle",
        "Australia/Perth",
        "WA",
        True,
    )
    assert stored.contact_email == "freo@rocket.example"
    assert stored.created_at == world.clock.now()
    assert sorted_audit_actions(world, campus.id) == ["campus.create"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Campus.timezone"),
        ({"timezone": "AEST"}, "Campus.timezone"),
        ({"postcode": "123"}, "Campus.postcode"),
        ({"state": "XYZ"}, "Campus.state"),
        ({"name": ""}, "Campus.name"),
        ({"contact_email": "not-an-address"}, "Campus.contact_email"),
    ],
)
def test_bad_campus_details_are_refused_and_nothing_is_written(
    world: World, service: OrganisationService, changes: dict[str, Any], field: str
) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        service.create_campus(world.actor("super_admin"), **{"name": "Fremantle", **changes})
    assert info.value.field == field
    assert snapshot(world) == before


def test_campus_names_are_unique_ignoring_case(world: World, service: OrganisationService) -> None:
    before = snapshot(world)
    with pytest.raises(Conflict, match="already a campus named 'Werribee'"):
        service.create_campus(world.actor("super_admin"), name=" werribee ")
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_create_campuses(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.create_campus(a, name="Fremantle"))


def test_campus_manager_updates_their_campus(world: World, service: OrganisationService) -> None:
    campus = service.update_campus(
        world.actor("campus_manager"),
        world.campus.id,
        contact_phone="03 9000 1111",
        timezone="Australia/Sydney",
    )
    assert (campus.contact_phone, campus.timezone) == ("03 9000 1111", "Australia/Sydney")
    assert load_campus(world, world.campus.id).timezone == "Australia/Sydney"
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(world.campus.id)
    assert entry.action == "campus.update"
    assert entry.changes["timezone"] == ["Australia/Melbourne", "Australia/Sydney"]


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"timezone": "Nowhere/Special"}, ValidationError, "Campus.timezone"),
        ({"is_active": False}, ValidationError, "Campus.is_active"),
        ({"closure_dates": ()}, ValidationError, "Campus.closure_dates"),
        ({"name": "GEELONG"}, Conflict, None),
    ],
)
def test_bad_campus_updates_are_refused_and_nothing_is_written(
    world: World,
    service: OrganisationService,
    changes: dict[str, Any],
    error: type[Exception],
    field: str | None,
) -> None:
    before = snapshot(world)
    with pytest.raises(error) as info:
        service.update_campus(world.actor("super_admin"), world.campus.id, **changes)
    if field is not None:
        assert isinstance(info.value, ValidationError)
        assert info.value.field == field
    assert snapshot(world) == before


def test_campuses_of_other_organisations_and_unknown_ids_are_not_found(
    world: World, service: OrganisationService
) -> None:
    _, foreign, _ = other_organisation(world)
    for campus_id in (foreign.id, uuid4()):
        with pytest.raises(NotFound):
            service.update_campus(world.actor("super_admin"), campus_id, name="Mine now")
        with pytest.raises(NotFound):
            service.add_closure_date(
                world.actor("super_admin"), campus_id, day=date(2026, 4, 3), reason="Good Friday"
            )
    with world.store.unit_of_work(foreign.organisation_id) as uow:
        assert uow.campuses.get(foreign.id).name == "Elsewhere"


@pytest.mark.parametrize("who", ROLES)
def test_campus_details_need_settings_at_that_campus(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(
        world,
        who,
        CAMPUS_SETTINGS,
        lambda a: service.update_campus(a, world.campus.id, contact_phone="03 9000 2222"),
    )


def test_a_closure_date_is_added_and_reports_the_sessions_on_that_day(
    world: World, service: OrganisationService
) -> None:
    day = world.sessions[1].scheduled_date  # 9 February, session 2
    added = service.add_closure_date(
        world.actor("campus_manager"), world.campus.id, day=day, reason="Staff training day"
    )
    assert added.campus.closure_dates == (m.ClosureDate(day=day, reason="Staff training day"),)
    assert [s.id for s in added.sessions_on_day] == [world.sessions[1].id]
    stored = load_campus(world, world.campus.id)
    assert stored.is_closed_on(day)
    with world.uow() as uow:  # the session itself is untouched: staff decide
        assert uow.sessions.get(world.sessions[1].id).status is m.SessionStatus.SCHEDULED
    assert sorted_audit_actions(world, world.campus.id) == ["campus.closure_add"]


def test_closure_dates_stay_in_date_order(world: World, service: OrganisationService) -> None:
    admin = world.actor("super_admin")
    service.add_closure_date(admin, world.campus.id, day=date(2026, 4, 6), reason="Easter Monday")
    added = service.add_closure_date(
        admin, world.campus.id, day=date(2026, 1, 26), reason="Australia Day"
    )
    assert [x.day for x in added.campus.closure_dates] == [date(2026, 1, 26), date(2026, 4, 6)]
    assert added.sessions_on_day == ()


def test_a_day_closed_twice_is_a_conflict(world: World, service: OrganisationService) -> None:
    admin = world.actor("super_admin")
    service.add_closure_date(admin, world.campus.id, day=date(2026, 4, 6), reason="Easter Monday")
    before = snapshot(world)
    with pytest.raises(Conflict, match="already closed on 2026-04-06"):
        service.add_closure_date(admin, world.campus.id, day=date(2026, 4, 6), reason="Again")
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("day", "reason", "field"),
    [
        (date(2026, 4, 6), "  ", "ClosureDate.reason"),
        ("2026-04-06", "Easter Monday", "ClosureDate.day"),
    ],
)
def test_bad_closure_dates_are_refused(
    world: World, service: OrganisationService, day: Any, reason: str, field: str
) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        service.add_closure_date(
            world.actor("super_admin"), world.campus.id, day=day, reason=reason
        )
    assert info.value.field == field
    assert snapshot(world) == before


def test_a_closure_date_is_removed(world: World, service: OrganisationService) -> None:
    manager = world.actor("campus_manager")
    service.add_closure_date(manager, world.campus.id, day=date(2026, 4, 6), reason="Easter")
    campus = service.remove_closure_date(manager, world.campus.id, day=date(2026, 4, 6))
    assert campus.closure_dates == ()
    assert not load_campus(world, world.campus.id).is_closed_on(date(2026, 4, 6))
    assert sorted_audit_actions(world, world.campus.id) == [
        "campus.closure_add",
        "campus.closure_remove",
    ]
    with pytest.raises(NotFound, match="ClosureDate 2026-04-06"):
        service.remove_closure_date(manager, world.campus.id, day=date(2026, 4, 6))


@pytest.mark.parametrize("who", ROLES)
def test_closure_dates_need_settings_at_that_campus(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(
        world,
        who,
        CAMPUS_SETTINGS,
        lambda a: service.add_closure_date(
            a, world.campus.id, day=date(2026, 4, 6), reason="Easter Monday"
        ),
    )


@pytest.mark.parametrize("who", ROLES)
def test_removing_closure_dates_needs_settings_at_that_campus(
    world: World, service: OrganisationService, who: str
) -> None:
    service.add_closure_date(
        world.actor("super_admin"), world.campus.id, day=date(2026, 4, 6), reason="Easter"
    )
    walk(
        world,
        who,
        CAMPUS_SETTINGS,
        lambda a: service.remove_closure_date(a, world.campus.id, day=date(2026, 4, 6)),
    )


def test_a_deactivated_campus_keeps_its_history(world: World, service: OrganisationService) -> None:
    campus = service.deactivate_campus(world.actor("super_admin"), world.campus.id)
    assert not campus.is_active
    with world.uow() as uow:
        assert not uow.campuses.get(world.campus.id).is_active
        assert uow.cohorts.get(world.cohort.id).status is m.CohortStatus.OPEN
        assert len(uow.sessions.list_for_cohort(world.cohort.id)) == 4
        assert len(uow.campus_staff.list_for_campus(world.campus.id)) == 4
        assert [c.name for c in uow.campuses.list(active_only=True)] == ["Geelong"]
    assert world.actor("campus_manager").campus_ids == {world.campus.id}
    with pytest.raises(Conflict, match="already inactive"):
        service.deactivate_campus(world.actor("super_admin"), world.campus.id)
    again = service.reactivate_campus(world.actor("super_admin"), world.campus.id)
    assert again.is_active
    assert sorted_audit_actions(world, world.campus.id) == [
        "campus.deactivate",
        "campus.reactivate",
    ]
    with pytest.raises(Conflict, match="already active"):
        service.reactivate_campus(world.actor("super_admin"), world.campus.id)


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_deactivate_a_campus(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.deactivate_campus(a, world.campus.id))


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_reactivate_a_campus(
    world: World, service: OrganisationService, who: str
) -> None:
    service.deactivate_campus(world.actor("super_admin"), world.campus.id)
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.reactivate_campus(a, world.campus.id))


# -- staff -----------------------------------------------------------------------------------


def test_super_admin_creates_a_staff_account_that_cannot_log_in_yet(
    world: World, service: OrganisationService
) -> None:
    staff = service.create_staff(
        world.actor("super_admin"),
        email="Hedy@Rocket.Example",
        first_name="Hedy",
        last_name="Lamarr",
        role=m.StaffRole.LEAD_INSTRUCTOR,
        phone="0400 000 000",
        hired_date=date(2026, 1, 5),
        qualifications=[m.Qualification(name="Working With Children Check", reference="WWC1")],
    )
    stored = load_staff(world, staff.id)
    assert stored.email == "hedy@rocket.example"
    assert stored.password_hash == NO_PASSWORD == "!no-password-set"
    assert (stored.role, stored.is_active, stored.hired_date) == (
        m.StaffRole.LEAD_INSTRUCTOR,
        True,
        date(2026, 1, 5),
    )
    assert stored.qualifications[0].reference == "WWC1"
    assert sorted_audit_actions(world, staff.id) == ["staff.create"]
    assert world.actor("super_admin").role is m.StaffRole.SUPER_ADMIN
    new = world.store.tables[m.Staff][staff.id]
    assert new.created_at == world.clock.now()


def test_a_password_hash_can_be_given(world: World, service: OrganisationService) -> None:
    staff = service.create_staff(
        world.actor("super_admin"),
        email="joan@rocket.example",
        first_name="Joan",
        last_name="Clarke",
        role=m.StaffRole.FRONT_DESK,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$abc$def",
    )
    assert load_staff(world, staff.id).password_hash.startswith("$argon2id$")


def test_a_second_account_with_the_same_email_is_refused(
    world: World, service: OrganisationService
) -> None:
    before = snapshot(world)
    with pytest.raises(Conflict, match="already a staff member with this e-mail"):
        service.create_staff(
            world.actor("super_admin"),
            email=" LINUS@rocket.example ",
            first_name="Another",
            last_name="Linus",
            role=m.StaffRole.TEACHING_ASSISTANT,
        )
    assert snapshot(world) == before


def test_staff_emails_are_unique_across_organisations(
    world: World, service: OrganisationService
) -> None:
    other_organisation(world)
    before = snapshot(world)
    with pytest.raises(Conflict, match="already a staff member with this e-mail"):
        service.create_staff(
            world.actor("super_admin"),
            email="someone@other.example",
            first_name="Some",
            last_name="Body",
            role=m.StaffRole.FRONT_DESK,
        )
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "nope"}, "Staff.email"),
        ({"first_name": ""}, "Staff.first_name"),
        ({"role": "wizard"}, "Staff.role"),
        ({"phone": "call me"}, "Staff.phone"),
    ],
)
def test_bad_staff_details_are_refused(
    world: World, service: OrganisationService, changes: dict[str, Any], field: str
) -> None:
    details: dict[str, Any] = {
        "email": "hedy@rocket.example",
        "first_name": "Hedy",
        "last_name": "Lamarr",
        "role": m.StaffRole.LEAD_INSTRUCTOR,
    }
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        service.create_staff(world.actor("super_admin"), **{**details, **changes})
    assert info.value.field == field
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_create_staff(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(
        world,
        who,
        SUPER_ADMIN_ONLY,
        lambda a: service.create_staff(
            a,
            email="hedy@rocket.example",
            first_name="Hedy",
            last_name="Lamarr",
            role=m.StaffRole.TEACHING_ASSISTANT,
        ),
    )


def test_staff_details_are_updated(world: World, service: OrganisationService) -> None:
    tim = world.staff["teaching_assistant"]
    staff = service.update_staff(
        world.actor("super_admin"), tim.id, last_name="Berners-Lee", email="TIM.BL@rocket.example"
    )
    assert (staff.full_name, staff.email) == ("Tim Berners-Lee", "tim.bl@rocket.example")
    assert load_staff(world, tim.id).email == "tim.bl@rocket.example"
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(tim.id)
    assert entry.action == "staff.update"
    assert entry.changes["last_name"] == ["Staff", "Berners-Lee"]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"email": "linus@rocket.example"}, Conflict),
        ({"role": m.StaffRole.SUPER_ADMIN}, ValidationError),
        ({"is_active": False}, ValidationError),
        ({"password_hash": "x"}, ValidationError),
        ({"email": "broken"}, ValidationError),
    ],
)
def test_bad_staff_updates_are_refused_and_nothing_is_written(
    world: World, service: OrganisationService, changes: dict[str, Any], error: type[Exception]
) -> None:
    before = snapshot(world)
    with pytest.raises(error):
        service.update_staff(world.actor("super_admin"), world.staff["front_desk"].id, **changes)
    assert snapshot(world) == before


def test_unknown_or_foreign_staff_are_not_found(world: World, service: OrganisationService) -> None:
    _, _, foreign = other_organisation(world)
    admin = world.actor("super_admin")
    for staff_id in (foreign.id, uuid4()):
        with pytest.raises(NotFound):
            service.update_staff(admin, staff_id, first_name="Taken")
        with pytest.raises(NotFound):
            service.deactivate_staff(admin, staff_id)
        with pytest.raises(NotFound):
            service.assign_to_campus(admin, staff_id, world.campus.id)


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_update_staff(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(
        world,
        who,
        SUPER_ADMIN_ONLY,
        lambda a: service.update_staff(a, world.staff["front_desk"].id, phone="0400 111 222"),
    )


def test_a_role_is_changed(world: World, service: OrganisationService) -> None:
    tim = world.staff["teaching_assistant"]
    staff = service.change_role(world.actor("super_admin"), tim.id, m.StaffRole.LEAD_INSTRUCTOR)
    assert staff.role is m.StaffRole.LEAD_INSTRUCTOR
    assert world.actor("teaching_assistant").role is m.StaffRole.LEAD_INSTRUCTOR
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(tim.id)
        assert uow.cohort_staff.find_assignment(world.cohort.id, tim.id) is not None
    assert entry.changes == {"role": ["teaching_assistant", "lead_instructor"]}


def test_nobody_changes_their_own_role(world: World, service: OrganisationService) -> None:
    ada = world.staff["super_admin"]
    before = snapshot(world)
    with pytest.raises(Forbidden, match="your own role"):
        service.change_role(world.actor("super_admin"), ada.id, m.StaffRole.FRONT_DESK)
    assert snapshot(world) == before


def test_the_same_role_again_is_a_conflict(world: World, service: OrganisationService) -> None:
    with pytest.raises(Conflict, match="already a front_desk"):
        service.change_role(
            world.actor("super_admin"), world.staff["front_desk"].id, m.StaffRole.FRONT_DESK
        )
    with pytest.raises(ValidationError, match=r"Staff\.role"):
        service.change_role(
            world.actor("super_admin"),
            world.staff["front_desk"].id,
            "janitor",  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_change_roles(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(
        world,
        who,
        SUPER_ADMIN_ONLY,
        lambda a: service.change_role(
            a, world.staff["front_desk"].id, m.StaffRole.TEACHING_ASSISTANT
        ),
    )


def test_a_deactivated_instructor_cannot_act_and_their_sessions_are_listed(
    world: World, service: OrganisationService
) -> None:
    linus = world.staff["lead_instructor"]
    result = service.deactivate_staff(world.actor("super_admin"), linus.id)
    assert not result.staff.is_active
    assert [s.id for s in result.upcoming_sessions] == [s.id for s in world.sessions]
    assert not load_staff(world, linus.id).is_active
    with pytest.raises(Forbidden, match="deactivated"):
        world.actor("lead_instructor")
    with world.uow() as uow:  # history and assignments stay
        assert uow.cohort_staff.find_assignment(world.cohort.id, linus.id) is not None
        assert uow.campus_staff.find_assignment(world.campus.id, linus.id) is not None
    assert sorted_audit_actions(world, linus.id) == ["staff.deactivate"]


def test_sessions_already_held_or_cancelled_are_not_listed_on_deactivation(
    world: World, service: OrganisationService
) -> None:
    with world.uow() as uow:
        uow.sessions.get(world.sessions[0].id).cancel("Heatwave")
        uow.commit()
    # 16:30 Melbourne on 9 February: session 2 has started.
    world.clock.set(world.clock.now().replace(month=2, day=9, hour=5, minute=30))
    result = service.deactivate_staff(world.actor("super_admin"), world.staff["lead_instructor"].id)
    assert [s.session_number for s in result.upcoming_sessions] == [3, 4]


def test_nobody_deactivates_themselves_and_twice_is_a_conflict(
    world: World, service: OrganisationService
) -> None:
    admin = world.actor("super_admin")
    with pytest.raises(Forbidden, match="your own account"):
        service.deactivate_staff(admin, admin.staff_id)
    service.deactivate_staff(admin, world.staff["front_desk"].id)
    with pytest.raises(Conflict, match="already deactivated"):
        service.deactivate_staff(admin, world.staff["front_desk"].id)
    staff = service.reactivate_staff(admin, world.staff["front_desk"].id)
    assert staff.is_active
    assert world.actor("front_desk").name == "Fran Staff"
    with pytest.raises(Conflict, match="already active"):
        service.reactivate_staff(admin, world.staff["front_desk"].id)


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_deactivate_staff(
    world: World, service: OrganisationService, who: str
) -> None:
    target = world.staff["other_instructor"].id
    if who == "other_instructor":
        target = world.staff["front_desk"].id
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.deactivate_staff(a, target))


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_reactivate_staff(
    world: World, service: OrganisationService, who: str
) -> None:
    target = m.Staff(
        organisation_id=world.org_id,
        email="gone@rocket.example",
        password_hash=NO_PASSWORD,
        first_name="Gone",
        last_name="Away",
        role=m.StaffRole.FRONT_DESK,
        is_active=False,
    )
    world.add(target)
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.reactivate_staff(a, target.id))


# -- campus assignments ----------------------------------------------------------------------


def test_staff_are_assigned_to_another_campus(world: World, service: OrganisationService) -> None:
    grace = world.staff["other_instructor"]
    assignment = service.assign_to_campus(world.actor("super_admin"), grace.id, world.campus.id)
    assert (assignment.staff_id, assignment.campus_id) == (grace.id, world.campus.id)
    assert assignment.assigned_at == world.clock.now()
    assert world.actor("other_instructor").campus_ids == {world.campus.id, world.other_campus.id}
    assert sorted_audit_actions(world, assignment.id) == ["campus_staff.assign"]


def test_a_duplicate_assignment_is_a_conflict(world: World, service: OrganisationService) -> None:
    before = snapshot(world)
    with pytest.raises(Conflict, match="already assigned to Werribee"):
        service.assign_to_campus(
            world.actor("super_admin"), world.staff["lead_instructor"].id, world.campus.id
        )
    assert snapshot(world) == before


def test_inactive_staff_and_campuses_take_no_assignment(
    world: World, service: OrganisationService
) -> None:
    admin = world.actor("super_admin")
    grace = world.staff["other_instructor"].id
    service.deactivate_campus(admin, world.campus.id)
    with pytest.raises(Conflict, match="inactive"):
        service.assign_to_campus(admin, grace, world.campus.id)
    service.deactivate_staff(admin, grace)
    with pytest.raises(Conflict, match="deactivated"):
        service.assign_to_campus(admin, grace, world.other_campus.id)
    with pytest.raises(NotFound):
        service.assign_to_campus(admin, grace, uuid4())


def test_staff_are_unassigned_from_a_campus(world: World, service: OrganisationService) -> None:
    fran = world.staff["front_desk"]
    removed = service.unassign_from_campus(world.actor("super_admin"), fran.id, world.campus.id)
    assert world.actor("front_desk").campus_ids == frozenset()
    assert sorted_audit_actions(world, removed.id) == ["campus_staff.unassign"]
    with pytest.raises(NotFound, match="CampusStaff"):
        service.unassign_from_campus(world.actor("super_admin"), fran.id, world.campus.id)


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_assign_staff_to_campuses(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(
        world,
        who,
        SUPER_ADMIN_ONLY,
        lambda a: service.assign_to_campus(a, world.staff["other_instructor"].id, world.campus.id),
    )


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_unassign_staff_from_campuses(
    world: World, service: OrganisationService, who: str
) -> None:
    walk(
        world,
        who,
        SUPER_ADMIN_ONLY,
        lambda a: service.unassign_from_campus(a, world.staff["front_desk"].id, world.campus.id),
    )


def test_the_services_use_the_clock_not_the_system(
    world: World, service: OrganisationService
) -> None:
    campus = service.create_campus(world.actor("super_admin"), name="Ballarat")
    assert campus.created_at == world.clock.now()
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(campus.id)
    assert entry.occurred_at == world.clock.now()
    assert time(9, 0) == entry.occurred_at.timetz().replace(tzinfo=None)


# -- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_every_staff_member_reads_the_organisation_and_its_campuses(
    world: World, service: OrganisationService, who: str
) -> None:
    actor = world.actor(who)
    assert service.get_organisation(actor).id == world.org_id
    assert service.get_organisation(actor).settings.gst_rate == Decimal("0.10")
    assert [c.name for c in service.list_campuses(actor)] == ["Geelong", "Werribee"]
    assert service.get_campus(actor, world.campus.id).name == "Werribee"


def test_campuses_are_listed_by_activity(world: World, service: OrganisationService) -> None:
    admin = world.actor("super_admin")
    service.deactivate_campus(admin, world.other_campus.id)
    assert [c.name for c in service.list_campuses(admin, active=True)] == ["Werribee"]
    assert [c.name for c in service.list_campuses(admin, active=False)] == ["Geelong"]
    assert len(service.list_campuses(admin)) == 2


def test_another_organisations_campus_is_not_found(
    world: World, service: OrganisationService
) -> None:
    _, foreign, _ = other_organisation(world)
    with pytest.raises(NotFound):
        service.get_campus(world.actor("super_admin"), foreign.id)
    assert foreign.id not in {c.id for c in service.list_campuses(world.actor("super_admin"))}


def test_super_admins_list_every_staff_member_with_filters(
    world: World, service: OrganisationService
) -> None:
    admin = world.actor("super_admin")
    other_organisation(world)
    everyone = service.list_staff(admin)
    assert {s.id for s in everyone} == {s.id for s in world.staff.values()}
    assert [s.last_name for s in everyone] == ["Staff"] * 7
    assert [s.first_name for s in everyone] == sorted(s.first_name for s in everyone)
    leads = service.list_staff(admin, role=m.StaffRole.LEAD_INSTRUCTOR)
    assert {s.first_name for s in leads} == {"Linus", "Grace"}
    service.deactivate_staff(admin, world.staff["front_desk"].id)
    assert [s.first_name for s in service.list_staff(admin, active=False)] == ["Fran"]
    assert "Fran" not in {s.first_name for s in service.list_staff(admin, active=True)}
    at_geelong = service.list_staff(admin, campus_id=world.other_campus.id)
    assert {s.first_name for s in at_geelong} == {"Omar", "Grace"}


def test_campus_managers_list_the_staff_of_their_campuses(
    world: World, service: OrganisationService
) -> None:
    carmen = world.actor("campus_manager")
    mine = {s.first_name for s in service.list_staff(carmen)}
    assert mine == {"Carmen", "Linus", "Tim", "Fran"}
    assert {s.first_name for s in service.list_staff(carmen, campus_id=world.campus.id)} == mine
    tas = service.list_staff(carmen, role=m.StaffRole.TEACHING_ASSISTANT)
    assert [s.first_name for s in tas] == ["Tim"]
    with pytest.raises(Forbidden):
        service.list_staff(carmen, campus_id=world.other_campus.id)
    with pytest.raises(NotFound):
        service.list_staff(carmen, campus_id=uuid4())


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_and_campus_managers_list_staff(
    world: World, service: OrganisationService, who: str
) -> None:
    allowed = {"super_admin", "campus_manager", "other_manager"}
    walk(world, who, allowed, lambda a: service.list_staff(a))


@pytest.mark.parametrize("who", ROLES)
def test_a_staff_account_is_read_by_itself_super_admins_and_its_campus_managers(
    world: World, service: OrganisationService, who: str
) -> None:
    linus = world.staff["lead_instructor"]
    allowed = {"super_admin", "campus_manager", "lead_instructor"}
    walk(world, who, allowed, lambda a: service.get_staff(a, linus.id))


def test_a_staff_profile_lists_its_campuses(world: World, service: OrganisationService) -> None:
    admin = world.actor("super_admin")
    grace = world.staff["other_instructor"]
    service.assign_to_campus(admin, grace.id, world.campus.id)
    profile = service.get_staff(admin, grace.id)
    assert profile.staff.id == grace.id
    assert profile.campus_ids == tuple(sorted([world.campus.id, world.other_campus.id]))
    assert service.get_staff(
        world.actor("front_desk"), world.staff["front_desk"].id
    ).campus_ids == (world.campus.id,)
    _, _, foreign = other_organisation(world)
    with pytest.raises(NotFound):
        service.get_staff(admin, foreign.id)


def test_reading_writes_nothing(world: World, service: OrganisationService) -> None:
    before = snapshot(world)
    admin = world.actor("super_admin")
    service.get_organisation(admin)
    service.list_campuses(admin)
    service.list_staff(admin)
    service.get_staff(admin, world.staff["front_desk"].id)
    assert snapshot(world) == before
