"""Build the demo school: 2 campuses, 4 programs, 8 cohorts with their sessions, 40 families,
about 60 students, enrolments in every status, attendance and skill progress.

Everything goes through the domain's constructors and methods (the enrolment rulebook, the
cohort's seat counting, skill progress history), in one unit of work. The same seed and day
give the same school, ids included.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core import model as m
from rocket_core.ports import UnitOfWork
from rocket_entrypoints.demo.builder import MELBOURNE, Builder
from rocket_entrypoints.demo.households import add_families
from rocket_entrypoints.demo.journeys import enrol_everyone
from rocket_entrypoints.demo.timetable import build_catalogue

#: Demo accounts cannot log in until a password is set (`rocket staff` arrives with the API).
NO_LOGIN = "!no-password-set"


@attrs.frozen
class DemoSchool:
    """What was built: the organisation to open and the super admin's e-mail."""

    organisation_id: UUID
    super_admin_email: str
    today: date


def melbourne_holidays(year: int) -> list[m.ClosureDate]:
    """Victorian public holidays with fixed rules (Easter-based ones are left to staff)."""

    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    return [
        m.ClosureDate(day=date(year, 1, 26), reason="Australia Day"),
        m.ClosureDate(day=nth_weekday(3, 0, 2), reason="Labour Day"),
        m.ClosureDate(day=date(year, 4, 25), reason="Anzac Day"),
        m.ClosureDate(day=nth_weekday(6, 0, 2), reason="King's Birthday"),
        m.ClosureDate(day=nth_weekday(11, 1, 1), reason="Melbourne Cup Day"),
        m.ClosureDate(day=date(year, 12, 25), reason="Christmas Day"),
        m.ClosureDate(day=date(year, 12, 26), reason="Boxing Day"),
    ]


def build_demo_school(
    make_uow: Callable[[UUID], UnitOfWork], *, seed: int = 1, today: date | None = None
) -> DemoSchool:
    """Build the demo school in a new organisation, in one transaction, and return it."""
    day = today or datetime.now(ZoneInfo(MELBOURNE)).date()
    rng = random.Random(seed)
    organisation_id = _organisation_id(rng)
    with make_uow(organisation_id) as uow:
        b = Builder(uow, rng, day)
        admin = _organisation_and_staff(b)
        build_catalogue(b)
        enrol_everyone(b, add_families(b))
        uow.commit()
    return DemoSchool(organisation_id=organisation_id, super_admin_email=admin, today=day)


def demo_organisation_id(seed: int) -> UUID:
    """The id of the demo school's organisation for ``seed``: the same on every run and day."""
    return _organisation_id(random.Random(seed))


def demo_school_loaded(make_uow: Callable[[UUID], UnitOfWork], seed: int) -> bool:
    """True when the demo school of ``seed`` is already stored behind ``make_uow``."""
    with make_uow(demo_organisation_id(seed)) as uow:
        return uow.organisations.find(uow.organisation_id) is not None


def _organisation_id(rng: random.Random) -> UUID:
    # the first draw of the seeded random source, so that every other id follows from it
    return UUID(int=rng.getrandbits(128), version=4)


def _organisation_and_staff(b: Builder) -> str:
    uow = b.uow
    founded = b.terms[-1][0] - timedelta(days=400)
    uow.organisations.add(
        m.Organisation(
            id=b.org_id,
            name="Rocket Academy",
            billing_email="accounts@rocketacademy.example",
            abn="51 824 753 556",
            primary_color="#FF5A1F",
            created_at=b.created(founded),
        )
    )
    holidays = melbourne_holidays(b.today.year - 1) + melbourne_holidays(b.today.year)
    holidays += melbourne_holidays(b.today.year + 1)
    b.campuses = [
        m.Campus(
            id=b.uuid(),
            organisation_id=b.org_id,
            name=name,
            address=address,
            suburb=suburb,
            state="VIC",
            postcode=postcode,
            timezone=MELBOURNE,
            contact_email=email,
            contact_phone=phone,
            closure_dates=holidays,
            created_at=b.created(founded),
        )
        for name, address, suburb, postcode, email, phone in (
            ("Werribee Campus", "12 Watton Street", "Werribee", "3030",
             "werribee@rocketacademy.example", "03 9741 0000"),
            ("Box Hill Campus", "880 Whitehorse Road", "Box Hill", "3128",
             "boxhill@rocketacademy.example", "03 9890 0000"),
        )
    ]  # fmt: skip
    for campus in b.campuses:
        uow.campuses.add(campus)

    def staff(first: str, last: str, role: m.StaffRole, campuses: list[int]) -> m.Staff:
        member = m.Staff(
            id=b.uuid(),
            organisation_id=b.org_id,
            email=f"{first}.{last}@rocketacademy.example".lower(),
            password_hash=NO_LOGIN,
            first_name=first,
            last_name=last,
            phone=f"04{b.rng.randrange(10**8):08d}",
            role=role,
            hired_date=founded + timedelta(days=b.rng.randrange(300)),
            qualifications=(
                m.Qualification(
                    name="Working With Children Check",
                    reference=f"WWC{b.rng.randrange(10**7):07d}",
                    expires_on=date(b.today.year + 3, 6, 30),
                ),
            ),
            created_at=b.created(founded),
        )
        uow.staff.add(member)
        for index in campuses:
            uow.campus_staff.add(
                m.CampusStaff(
                    id=b.uuid(),
                    organisation_id=b.org_id,
                    campus_id=b.campuses[index].id,
                    staff_id=member.id,
                    assigned_at=b.created(founded),
                )
            )
        return member

    admin = staff("Alex", "Morgan", m.StaffRole.SUPER_ADMIN, [0, 1])
    staff("Priya", "Raman", m.StaffRole.CAMPUS_MANAGER, [0])
    staff("Ben", "Kowalski", m.StaffRole.CAMPUS_MANAGER, [1])
    b.leads = [
        staff("Jordan", "Lee", m.StaffRole.LEAD_INSTRUCTOR, [0]),
        staff("Sam", "Okafor", m.StaffRole.LEAD_INSTRUCTOR, [0]),
        staff("Taylor", "Nguyen", m.StaffRole.LEAD_INSTRUCTOR, [1]),
        staff("Casey", "Brennan", m.StaffRole.LEAD_INSTRUCTOR, [1, 0]),
    ]
    b.assistants = [
        staff("Riley", "Chen", m.StaffRole.TEACHING_ASSISTANT, [0]),
        staff("Jamie", "Fraser", m.StaffRole.TEACHING_ASSISTANT, [1]),
        staff("Ari", "Patel", m.StaffRole.TEACHING_ASSISTANT, [0, 1]),
    ]
    staff("Morgan", "Hughes", m.StaffRole.FRONT_DESK, [0])
    staff("Dana", "Kaur", m.StaffRole.FRONT_DESK, [1])
    return admin.email
