"""Build the demo school the way staff would: 2 campuses, 12 staff, 4 programs, 8 cohorts
with their sessions, 40 families, about 60 students, enrolments in every status, a waitlist,
attendance with an excused absence and a makeup visit, a cancelled session, a transfer, and
the money: an invoice for every seat taken (sibling discounts, a late start), payments at the
front desk (some in two parts, one overpaid into credit), overdue and part-paid invoices, a
materials invoice with a credit note, voided invoices and a refund (see ``billing``); and
the learning: a skill tree and a rubric per program, progress reviewed every third class, mid-term
projects graded (one regraded), and messages between staff and families with an
announcement, each queuing its notification (see ``learning`` and ``messages``).

Only the organisation and its first super admin are written directly (no use case creates
an organisation: that is the platform's job). Everything else is done by staff through the
application services, at moments of a simulated history with a clock that moves forward
(see ``builder.Story``). The same seed and day give the same school: the same people, dates,
statuses, marks, invoices and payments. Entity ids come from the domain (random), except
the organisation's, which depends on the seed alone so that ``demo_school_loaded`` can find
it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core import model as m
from rocket_core.ports import UnitOfWork
from rocket_core.services.organisation import NO_PASSWORD
from rocket_entrypoints.demo.builder import MANAGERS, MELBOURNE, Story, instant
from rocket_entrypoints.demo.households import plan_households
from rocket_entrypoints.demo.journeys import plan_journeys
from rocket_entrypoints.demo.learning import plan_learning
from rocket_entrypoints.demo.messages import plan_messages
from rocket_entrypoints.demo.timetable import plan_catalogue

SCHOOL_NAME = "Rocket Academy"
#: The organisation's name while the demo builds it: the build is many transactions, and
#: the super admin gives the school its name as the very last step.
BUILDING_NAME = "Rocket Academy (demo being built)"


@attrs.frozen
class DemoSchool:
    """What was built: the organisation to open and the super admin's e-mail."""

    organisation_id: UUID
    super_admin_email: str
    today: date


@attrs.frozen
class StaffSpec:
    """A staff member of the demo and the campuses (by index) they work at."""

    key: str
    first_name: str
    last_name: str
    role: m.StaffRole
    campuses: tuple[int, ...]

    @property
    def email(self) -> str:
        """Their login."""
        return f"{self.first_name}.{self.last_name}@rocketacademy.example".lower()


#: The password of every demo staff member (printed by ``make run``; a demo, not a secret).
DEMO_PASSWORD = "rocket-demo-school"

SUPER_ADMIN = StaffSpec("admin", "Alex", "Morgan", m.StaffRole.SUPER_ADMIN, (0, 1))
STAFF = (
    StaffSpec("priya", "Priya", "Raman", m.StaffRole.CAMPUS_MANAGER, (0,)),
    StaffSpec("ben", "Ben", "Kowalski", m.StaffRole.CAMPUS_MANAGER, (1,)),
    StaffSpec("jordan", "Jordan", "Lee", m.StaffRole.LEAD_INSTRUCTOR, (0,)),
    StaffSpec("sam", "Sam", "Okafor", m.StaffRole.LEAD_INSTRUCTOR, (0,)),
    StaffSpec("taylor", "Taylor", "Nguyen", m.StaffRole.LEAD_INSTRUCTOR, (1,)),
    StaffSpec("casey", "Casey", "Brennan", m.StaffRole.LEAD_INSTRUCTOR, (1, 0)),
    StaffSpec("riley", "Riley", "Chen", m.StaffRole.TEACHING_ASSISTANT, (0,)),
    StaffSpec("jamie", "Jamie", "Fraser", m.StaffRole.TEACHING_ASSISTANT, (1,)),
    StaffSpec("ari", "Ari", "Patel", m.StaffRole.TEACHING_ASSISTANT, (0, 1)),
    StaffSpec("morgan", "Morgan", "Hughes", m.StaffRole.FRONT_DESK, (0,)),
    StaffSpec("dana", "Dana", "Kaur", m.StaffRole.FRONT_DESK, (1,)),
)

CAMPUSES = (
    ("Werribee Campus", "12 Watton Street", "Werribee", "3030",
     "werribee@rocketacademy.example", "03 9741 0000"),
    ("Box Hill Campus", "880 Whitehorse Road", "Box Hill", "3128",
     "boxhill@rocketacademy.example", "03 9890 0000"),
)  # fmt: skip


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
    make_uow: Callable[[UUID], UnitOfWork],
    *,
    seed: int = 1,
    today: date | None = None,
    password_hash: str = NO_PASSWORD,
) -> DemoSchool:
    """Build the demo school of ``seed`` as it stands on ``today`` (default: today in
    Melbourne) in a new organisation, through the services over ``make_uow``.

    A second school cannot share the database: staff logins (e-mails) are unique, so the
    first step, the organisation and its super admin, is refused whole (Conflict).

    ``password_hash``: every staff member's password hash (``rocket demo`` gives the hash of
    DEMO_PASSWORD so that the demo staff can log in); by default nobody can log in."""
    day = today or datetime.now(ZoneInfo(MELBOURNE)).date()
    rng = random.Random(seed)
    story = Story(
        make_uow,
        _organisation_id(rng),
        rng,
        day,
        money=random.Random(f"money:{seed}"),
        learning=random.Random(f"learning:{seed}"),
        password_hash=password_hash,
    )
    _bootstrap(story)
    story.at(story.calendar.founded, time(9, 0), lambda: _set_up(story))
    plans = plan_catalogue(story)
    households = plan_households(story)
    plan_journeys(story, plans, households)
    plan_messages(story, plans, plan_learning(story, plans))
    story.run()
    story.night(day)  # this morning's run: the school as it stands today
    # The last step: the name that says the school is complete (see demo_school_loaded).
    story.organisation.update_organisation(story.actor("admin"), name=SCHOOL_NAME)
    return DemoSchool(
        organisation_id=story.organisation_id, super_admin_email=SUPER_ADMIN.email, today=day
    )


def demo_organisation_id(seed: int) -> UUID:
    """The id of the demo school's organisation for ``seed``: the same on every run and day."""
    return _organisation_id(random.Random(seed))


def demo_school_loaded(make_uow: Callable[[UUID], UnitOfWork], seed: int) -> bool:
    """True when the demo school of ``seed`` is stored behind ``make_uow``, complete (a
    build that was interrupted leaves the organisation under its temporary name)."""
    with make_uow(demo_organisation_id(seed)) as uow:
        organisation = uow.organisations.find(uow.organisation_id)
        return organisation is not None and organisation.name == SCHOOL_NAME


def _organisation_id(rng: random.Random) -> UUID:
    # the first draw of the seeded random source, so that everything else follows from it
    return UUID(int=rng.getrandbits(128), version=4)


def _bootstrap(story: Story) -> None:
    """The organisation and its first super admin, written directly in one unit of work.

    No use case creates an organisation (signing up a school is the platform's job, not a
    staff action), and every use case needs an acting staff member: this is the only step
    of the demo that bypasses the services. Everything else is done by this super admin
    and the staff they create."""
    founded = instant(story.calendar.founded, time(8, 0))
    with story.make_uow(story.organisation_id) as uow:
        uow.organisations.add(
            m.Organisation(
                id=story.organisation_id,
                name=BUILDING_NAME,
                billing_email="accounts@rocketacademy.example",
                abn="51 824 753 556",
                primary_color="#FF5A1F",
                created_at=founded,
            )
        )
        admin = _staff_entity(story, SUPER_ADMIN)
        uow.staff.add(admin)
        uow.commit()
    story.staff[SUPER_ADMIN.key] = admin.id


def _staff_entity(story: Story, spec: StaffSpec) -> m.Staff:
    return m.Staff(
        organisation_id=story.organisation_id,
        email=spec.email,
        password_hash=story.password_hash,
        first_name=spec.first_name,
        last_name=spec.last_name,
        phone=f"04{story.rng.randrange(10**8):08d}",
        role=spec.role,
        hired_date=story.calendar.founded,
        qualifications=_wwc(story),
        created_at=story.clock.now(),
    )


def _wwc(story: Story) -> tuple[m.Qualification, ...]:
    return (
        m.Qualification(
            name="Working With Children Check",
            reference=f"WWC{story.rng.randrange(10**7):07d}",
            expires_on=date(story.today.year + 3, 6, 30),
        ),
    )


def _set_up(story: Story) -> None:
    """The super admin opens the campuses and the staff accounts and assigns staff to
    campuses; each campus manager then enters their campus's closure dates."""
    admin = story.actor("admin")
    for name, address, suburb, postcode, email, phone in CAMPUSES:
        campus = story.organisation.create_campus(
            admin,
            name=name,
            timezone=MELBOURNE,
            address=address,
            suburb=suburb,
            state="VIC",
            postcode=postcode,
            contact_email=email,
            contact_phone=phone,
        )
        story.campus_ids.append(campus.id)
    for index in SUPER_ADMIN.campuses:
        story.organisation.assign_to_campus(admin, story.staff["admin"], story.campus_ids[index])
    for spec in STAFF:
        staff = story.organisation.create_staff(
            admin,
            email=spec.email,
            first_name=spec.first_name,
            last_name=spec.last_name,
            role=spec.role,
            phone=f"04{story.rng.randrange(10**8):08d}",
            hired_date=story.calendar.founded + timedelta(days=story.rng.randrange(0, 30)),
            qualifications=_wwc(story),
            password_hash=story.password_hash,
        )
        story.staff[spec.key] = staff.id
        for index in spec.campuses:
            story.organisation.assign_to_campus(admin, staff.id, story.campus_ids[index])
    story.assignments_changed()
    first, last = story.calendar.founded, story.calendar.term(1)[1]
    holidays = [
        closure
        for year in range(first.year, last.year + 1)
        for closure in melbourne_holidays(year)
        if first <= closure.day <= last
    ]
    for index, campus_id in enumerate(story.campus_ids):
        manager = story.actor(MANAGERS[index])
        for closure in holidays:
            story.organisation.add_closure_date(
                manager, campus_id, day=closure.day, reason=closure.reason
            )
    # Box Hill's own blackout day: a Friday of the current term (not a public holiday).
    pd_day = story.calendar.term(0)[0] + timedelta(weeks=4, days=4)
    while pd_day in {closure.day for closure in holidays}:
        pd_day += timedelta(weeks=1)
    story.organisation.add_closure_date(
        story.actor(MANAGERS[1]),
        story.campus_ids[1],
        day=pd_day,
        reason="Staff professional development day",
    )
