"""The large demo school (``rocket demo --size large``): the data the benchmarks run on.

20 campuses, 2,000 cohorts and 40,000 students in about 28,600 families, in the fifth week of
a ten-week term (``LargeSize`` scales all of it). The small demo school is played through
the use cases; a school of this size cannot be, in reasonable time, so this one is *planned*
in memory (``plan_large_school``: ids, people, timetable, enrolments, invoices and payments,
all from the seed) and *written* set-based in one transaction (``write_large_school``: COPY
on Postgres when the login role bypasses row-level security, else SQLAlchemy Core multi-row
INSERTs, as on SQLite). Every row but the attendance marks is first built as the domain's
entity, so the model's own rules (amounts, dates, e-mails, capacities) check it.

What it holds, and the rules the use cases keep that it keeps too:

- **Staff** per campus: a campus manager, lead instructors (one per ten cohorts), teaching
  assistants (half as many) and two front desk staff, each assigned to their campus; one
  super admin assigned to every campus. All share one password hash (``rocket demo`` gives
  DEMO_PASSWORD's). Every cohort has a lead instructor; every other cohort a teaching
  assistant.
- **Cohorts** meet once a week, every day of the week, for ``sessions`` weeks from the
  term's first Monday + their weekday. The term began ``weeks_held`` weeks before this week:
  every cohort has begun (``in_progress``); sessions before today are ``completed`` (what the
  nightly job does), today's and later ones ``scheduled``. Every ``full_every``-th cohort of a
  campus is full; ``current_enrolments`` is the number of seat-holding enrolments.
- **Families** of one to three children (1.4 on average) belong to a campus; every child
  has an enrolment there, some (``second_classes``) two.
- **Enrolments**: most enrolled before the term (``enrolment_date`` up to 8 weeks before its
  start); ``late_joiners`` joined a cohort that is not full in the last weeks (their own
  ``start_date``). Each was invoiced when it awaited payment (issue day = enrolment day,
  due ``invoice_due_days`` later; tuition of the cohort or its program, prorated for late
  joiners, sibling discounts by the order the children were first charged,
  ``discount_applied`` recorded, GST; numbers INV-<year>-<n> in the order they were
  issued, with the counters). Paid in full: the enrolment is ``active`` (confirmed, then
  started on the cohort's start date or its own); part-paid or unpaid: ``pending_payment``
  (it holds its seat). Invoices are ``paid``, ``partial`` or ``sent``, or ``overdue`` once
  ``overdue_after_days`` past due (the nightly job's rule); each payment is allocated to its
  invoice in full; ``account_balance`` is what the family's invoices still owe.
- **Attendance**: every student on the roll of every session held so far is marked (present,
  late or absent), by the cohort's lead instructor, at the session; nobody is on a roll
  before their first day. Today's sessions are not marked yet.
- **Versions** count the transactions that would have changed each row (an invoice paid:
  2; an enrolment confirmed and started: 4 or 5 with a discount; a family: 1 + its invoices
  and payments).

Left out (the use cases would have written them as well): one audit entry per change (one
entry records the generation instead), the notifications those changes queue (sent or not),
excused absences and makeup tokens, trials, waitlists, drops and transfers. The same seed and
day give the same school, ids included.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import sqlalchemy as sa

from rocket_adapters.sql import tables as t
from rocket_adapters.sql.types import Structured
from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.ports import LifecycleRepository
from rocket_core.pricing import PricedLines, price_tuition
from rocket_core.services.organisation import NO_PASSWORD
from rocket_entrypoints.demo.people import FAMILY_NAMES, FIRST_NAMES, PARENT_NAMES, STREETS

MELBOURNE = "Australia/Melbourne"
#: The organisation's name (the whole school is written in one transaction: if it is there,
#: it is complete).
LARGE_SCHOOL_NAME = "Rocket Academy Group"
DOMAIN = "large.rocketacademy.example"
#: The super admin's login (the password is the demo's).
SUPER_ADMIN_EMAIL = f"admin@{DOMAIN}"
ZERO = Decimal("0.00")

PLACES = (
    ("Werribee", "3030"), ("Box Hill", "3128"), ("Footscray", "3011"), ("Dandenong", "3175"),
    ("Frankston", "3199"), ("Ringwood", "3134"), ("Sunshine", "3020"),
    ("Glen Waverley", "3150"), ("Epping", "3076"), ("Craigieburn", "3064"),
    ("Point Cook", "3030"), ("Doncaster", "3108"), ("Cranbourne", "3977"),
    ("Caroline Springs", "3023"), ("Brunswick", "3056"), ("Camberwell", "3124"),
    ("Moonee Ponds", "3039"), ("Berwick", "3806"), ("Mentone", "3194"), ("Sunbury", "3429"),
)  # fmt: skip
#: (name, youngest, oldest, level, price a term)
PROGRAMS = (
    ("Scratch Explorers", 6, 8, m.SkillLevel.BEGINNER, "240.00"),
    ("Minecraft Coders", 7, 10, m.SkillLevel.BEGINNER, "260.00"),
    ("Python Foundations", 9, 12, m.SkillLevel.INTERMEDIATE, "290.00"),
    ("Web Makers", 10, 14, m.SkillLevel.INTERMEDIATE, "290.00"),
    ("Game Design with Godot", 10, 13, m.SkillLevel.INTERMEDIATE, "310.00"),
    ("Robotics Lab", 8, 12, m.SkillLevel.BEGINNER, "320.00"),
    ("Python Advanced", 12, 16, m.SkillLevel.ADVANCED, "330.00"),
    ("AI Explorers", 11, 16, m.SkillLevel.ADVANCED, "340.00"),
)
#: Class times on a weekday (after school) and at the weekend.
WEEKDAY_SLOTS = ((time(16, 0), time(17, 30)), (time(17, 45), time(19, 15)))
WEEKEND_SLOTS = (
    (time(9, 0), time(10, 30)),
    (time(10, 45), time(12, 15)),
    (time(13, 0), time(14, 30)),
    (time(14, 45), time(16, 15)),
)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Children per family, in turn: 1.4 on average.
FAMILY_SIZES = (1, 1, 2, 1, 2, 1, 1, 3, 1, 1)
#: Marks of the sessions held, per 100.
MARKS = ((m.AttendanceStatus.PRESENT, 86), (m.AttendanceStatus.LATE, 6))
METHODS = (
    (m.PaymentMethod.CREDIT_CARD, 50),
    (m.PaymentMethod.BANK_TRANSFER, 30),
    (m.PaymentMethod.CASH, 15),
    (m.PaymentMethod.CHEQUE, 5),
)
#: What became of an enrolment's invoice, per 100: on time / late joiners.
FATES = {False: (("paid", 88), ("partial", 4)), True: (("paid", 50), ("partial", 20))}


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"LargeSize.{attribute.name} must be a whole number of at least 1")


def _share(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not isinstance(value, Decimal) or not ZERO <= value < 1:
        raise ValueError(f"LargeSize.{attribute.name} must be a Decimal fraction below 1")


@attrs.frozen(kw_only=True)
class LargeSize:
    """How large the school is (the defaults: the benchmarks' school)."""

    campuses: int = attrs.field(default=20, validator=_positive)
    cohorts: int = attrs.field(default=2_000, validator=_positive)
    students: int = attrs.field(default=40_000, validator=_positive)
    #: Seats of every cohort.
    capacity: int = attrs.field(default=30, validator=_positive)
    #: Weekly sessions of the term.
    sessions: int = attrs.field(default=10, validator=_positive)
    #: Whole weeks of the term before this one.
    weeks_held: int = attrs.field(default=4, validator=_positive)
    #: Every n-th cohort of a campus is full.
    full_every: int = attrs.field(default=4, validator=_positive)
    #: Children in a second class, per child.
    second_classes: Decimal = attrs.field(default=Decimal("0.12"), validator=_share)
    #: Enrolments that joined a cohort (not a full one) after the term began.
    late_joiners: Decimal = attrs.field(default=Decimal("0.06"), validator=_share)

    def __attrs_post_init__(self) -> None:
        if self.cohorts < self.campuses:
            raise ValueError("LargeSize.cohorts: at least one cohort per campus")
        if self.weeks_held >= self.sessions:
            raise ValueError("LargeSize.weeks_held must be fewer than the sessions of the term")
        seats = self.cohorts // self.campuses * self.capacity
        if seats < math.ceil(self.students / self.campuses) + 2 * max(FAMILY_SIZES):
            raise ValueError(
                f"LargeSize: {self.cohorts} cohorts of {self.capacity} seats are too few"
                f" for {self.students} students at {self.campuses} campuses"
            )


# -- the plan ----------------------------------------------------------------------------------


@attrs.frozen
class _Person:
    id: UUID
    first_name: str
    last_name: str


@attrs.frozen
class _Staff:
    person: _Person
    role: m.StaffRole
    email: str
    campuses: tuple[int, ...]


@attrs.frozen
class _Cohort:
    id: UUID
    campus: int
    program: int
    name: str
    weekday: int
    slot: tuple[time, time]
    price: Decimal | None
    full: bool
    lead: UUID
    assistant: UUID | None
    #: (session id, date) by session number
    sessions: tuple[tuple[UUID, date], ...]

    @property
    def start(self) -> date:
        return self.sessions[0][1]

    @property
    def end(self) -> date:
        return self.sessions[-1][1]


@attrs.frozen
class _Student:
    id: UUID
    family: int
    first_name: str
    birthday: date


@attrs.frozen
class _Family:
    id: UUID
    campus: int
    name: str
    parent: str
    email: str
    phone: str
    street: str


@attrs.define
class _Enrolment:
    id: UUID
    student: int
    cohort: int
    enrolled_at: datetime
    late: bool
    fate: str
    rank: int = 1
    start_date: date | None = None
    # the bill, once priced
    invoice_id: UUID | None = None
    number: str = ""
    priced: PricedLines | None = None
    paid: Decimal = ZERO
    payment_id: UUID | None = None
    paid_at: datetime | None = None
    method: m.PaymentMethod = m.PaymentMethod.CASH
    desk: UUID | None = None

    @property
    def status(self) -> EnrolmentStatus:
        return EnrolmentStatus.ACTIVE if self.fate == "paid" else EnrolmentStatus.PENDING_PAYMENT

    @property
    def total(self) -> Decimal:
        assert self.priced is not None
        return self.priced.total


@attrs.frozen
class LargeSchool:
    """A planned large school: everything ``write_large_school`` writes, from ``seed``."""

    size: LargeSize
    seed: int
    today: date
    #: The moment the school is as of: 07:00 on ``today`` in Melbourne.
    now: datetime
    term_start: date
    organisation_id: UUID
    password_hash: str
    settings: m.OrganisationSettings
    campuses: tuple[UUID, ...]
    programs: tuple[UUID, ...]
    staff: tuple[_Staff, ...]
    cohorts: tuple[_Cohort, ...]
    families: tuple[_Family, ...]
    students: tuple[_Student, ...]
    enrolments: tuple[_Enrolment, ...]
    #: Rows each table gets.
    counts: Mapping[str, int]

    @property
    def rows(self) -> int:
        """Rows written in all."""
        return sum(self.counts.values())

    def first_day(self, enrolment: _Enrolment) -> date:
        """The first day the enrolment puts its student on rolls (as the roll computes it)."""
        if enrolment.start_date is not None:
            return enrolment.start_date
        return enrolment.enrolled_at.astimezone(ZoneInfo(MELBOURNE)).date()

    def marked(self, enrolment: _Enrolment) -> list[tuple[UUID, date]]:
        """The sessions held so far that the enrolment's student is marked at."""
        first = self.first_day(enrolment)
        return [
            (session_id, day)
            for session_id, day in self.cohorts[enrolment.cohort].sessions
            if first <= day < self.today
        ]


def large_organisation_id(seed: int) -> UUID:
    """The large school's organisation id for ``seed`` (the same on every run)."""
    return UUID(int=random.Random(f"large:{seed}").getrandbits(128), version=4)


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZoneInfo(MELBOURNE))


def _pick(rng: random.Random, weighted: Iterable[tuple[Any, int]], default: Any) -> Any:
    """The first choice whose share (per 100) a draw falls in, else ``default``."""
    draw = rng.randrange(100)
    for choice, share in weighted:
        if draw < share:
            return choice
        draw -= share
    return default


class _Planner:
    def __init__(self, size: LargeSize, seed: int, today: date, password_hash: str) -> None:
        self.size = size
        self.rng = random.Random(f"large-plan:{seed}")
        self.today = today
        self.now = _at(today, time(7, 0))
        monday = today - timedelta(days=today.weekday())
        self.term_start = monday - timedelta(weeks=size.weeks_held)
        self.settings = m.OrganisationSettings()
        #: Invoices numbered per year.
        self.counters: dict[int, int] = {}

    def new_id(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def phone(self) -> str:
        return f"04{self.rng.randrange(10**8):08d}"

    def person(self) -> _Person:
        rng = self.rng
        return _Person(self.new_id(), rng.choice(PARENT_NAMES), rng.choice(FAMILY_NAMES))

    def staff(self) -> list[_Staff]:
        size = self.size
        per_campus = size.cohorts // size.campuses + 1
        leads = max(1, math.ceil(per_campus / 10))
        roles = (
            (m.StaffRole.CAMPUS_MANAGER, "manager", 1),
            (m.StaffRole.LEAD_INSTRUCTOR, "lead", leads),
            (m.StaffRole.TEACHING_ASSISTANT, "assistant", max(1, leads // 2)),
            (m.StaffRole.FRONT_DESK, "desk", 2),
        )
        admin = _Person(self.new_id(), "Alex", "Morgan")
        staff = [
            _Staff(admin, m.StaffRole.SUPER_ADMIN, SUPER_ADMIN_EMAIL, tuple(range(size.campuses)))
        ]
        for campus in range(size.campuses):
            for role, word, count in roles:
                for n in range(count):
                    number = "" if count == 1 else f".{n + 1}"
                    email = f"{word}.c{campus + 1:02d}{number}@{DOMAIN}"
                    staff.append(_Staff(self.person(), role, email, (campus,)))
        return staff

    def cohorts(self, staff: list[_Staff], programs: int) -> list[_Cohort]:
        size = self.size
        by_role: dict[tuple[int, m.StaffRole], list[UUID]] = {}
        for member in staff:
            for campus in member.campuses:
                by_role.setdefault((campus, member.role), []).append(member.person.id)
        cohorts = []
        for index in range(size.cohorts):
            campus, k = index % size.campuses, index // size.campuses
            weekday = k % 7
            slots = WEEKDAY_SLOTS if weekday < 5 else WEEKEND_SLOTS
            slot = slots[(k // 7) % len(slots)]
            program = index % programs
            leads = by_role[(campus, m.StaffRole.LEAD_INSTRUCTOR)]
            assistants = by_role[(campus, m.StaffRole.TEACHING_ASSISTANT)]
            first = self.term_start + timedelta(days=weekday)
            sessions = tuple(
                (self.new_id(), first + timedelta(weeks=n)) for n in range(size.sessions)
            )
            place = PLACES[campus % len(PLACES)][0]
            cohorts.append(
                _Cohort(
                    id=self.new_id(),
                    campus=campus,
                    program=program,
                    name=(
                        f"{PROGRAMS[program % len(PROGRAMS)][0]} {DAYS[weekday]}"
                        f" {slot[0]:%H:%M} {place} #{k + 1}"
                    ),
                    weekday=weekday,
                    slot=slot,
                    price=(
                        None
                        if index % 7
                        else Decimal(PROGRAMS[program % len(PROGRAMS)][4]) + Decimal("20.00")
                    ),
                    # a week of cohorts (one a day) in every ``full_every`` is full
                    full=k // 7 % size.full_every == 0,
                    lead=leads[k % len(leads)],
                    assistant=assistants[k % len(assistants)] if k % 2 == 0 else None,
                    sessions=sessions,
                )
            )
        return cohorts

    def families(self) -> tuple[list[_Family], list[_Student]]:
        rng, size = self.rng, self.size
        families: list[_Family] = []
        students: list[_Student] = []
        while len(students) < size.students:
            index = len(families)
            name, parent = rng.choice(FAMILY_NAMES), rng.choice(PARENT_NAMES)
            slug = "".join(ch for ch in f"{parent}.{name}".lower() if ch.isalnum() or ch == ".")
            families.append(
                _Family(
                    id=self.new_id(),
                    campus=index % size.campuses,
                    name=name,
                    parent=f"{parent} {name}",
                    email=f"{slug}.{index + 1}@families.example",
                    phone=self.phone(),
                    street=f"{rng.randrange(1, 300)} {rng.choice(STREETS)}",
                )
            )
            # every campus gets families of every size
            for _ in range(FAMILY_SIZES[index // size.campuses % len(FAMILY_SIZES)]):
                if len(students) == size.students:
                    break
                age = rng.randrange(6, 16)
                birthday = date(self.today.year - age, rng.randrange(1, 13), rng.randrange(1, 29))
                students.append(_Student(self.new_id(), index, rng.choice(FIRST_NAMES), birthday))
        return families, students

    def enrolments(
        self, cohorts: list[_Cohort], families: list[_Family], students: list[_Student]
    ) -> list[_Enrolment]:
        """Seats per campus: every child of the campus's families once, some twice; every
        ``full_every``-th cohort full, the rest shared out evenly."""
        rng, size = self.rng, self.size
        enrolments: list[_Enrolment] = []
        for campus in range(size.campuses):
            mine = [c for c, cohort in enumerate(cohorts) if cohort.campus == campus]
            pupils = [
                s for s, student in enumerate(students) if families[student.family].campus == campus
            ]
            if not pupils:
                continue
            if len(pupils) > len(mine) * size.capacity:
                raise ValueError(f"LargeSize: too few seats at campus {campus + 1}")
            wanted = min(
                len(mine) * size.capacity,
                len(pupils) + int(len(pupils) * size.second_classes),
            )
            seats = self._seats(cohorts, mine, wanted)
            order = [c for c, count in seats.items() for _ in range(count)]
            rng.shuffle(order)
            rng.shuffle(pupils)
            taken: set[tuple[int, int]] = set()
            for n, cohort in enumerate(order):
                student = pupils[n % len(pupils)]
                if n >= len(pupils):
                    student = pupils[rng.randrange(len(pupils))]
                tries = 0
                while (student, cohort) in taken:  # never twice in one cohort
                    student = pupils[rng.randrange(len(pupils))]
                    tries += 1
                    if tries > 1000:
                        raise ValueError("LargeSize: too few students for the seats")
                taken.add((student, cohort))
                enrolments.append(self._enrolment(student, cohort, cohorts[cohort]))
        return enrolments

    def _seats(self, cohorts: list[_Cohort], mine: list[int], wanted: int) -> dict[int, int]:
        capacity = self.size.capacity
        full = [c for c in mine if cohorts[c].full][: wanted // capacity]
        chosen = set(full)
        others = [c for c in mine if c not in chosen]
        seats = dict.fromkeys(full, capacity)
        left = wanted - capacity * len(full)
        for n, c in enumerate(others):
            share = left // len(others) + (1 if n < left % len(others) else 0)
            seats[c] = min(capacity - 1, share)
        # what the cap left over goes to the cohorts with room
        spare = wanted - sum(seats.values())
        for c in others:
            if spare <= 0:
                break
            room = min(spare, capacity - 1 - seats[c])
            seats[c] += room
            spare -= room
        return seats

    def _enrolment(self, student: int, index: int, cohort: _Cohort) -> _Enrolment:
        rng = self.rng
        late = (
            not cohort.full
            and self.today - self.term_start > timedelta(days=7)
            and rng.random() < float(self.size.late_joiners)
        )
        if late:
            span = (self.today - self.term_start).days - 4
            day = self.term_start + timedelta(days=3 + rng.randrange(span))
        else:
            day = self.term_start - timedelta(days=rng.randrange(1, 57))
        at = _at(day, time(9, 0)) + timedelta(minutes=rng.randrange(11 * 60))
        fate = _pick(rng, FATES[late], "unpaid")
        return _Enrolment(
            id=self.new_id(),
            student=student,
            cohort=index,
            enrolled_at=at,
            late=late,
            fate=fate,
            # from the day after they enrolled (the invoice is prorated from then)
            start_date=day + timedelta(days=1) if late else None,
        )

    def bill(
        self,
        enrolments: list[_Enrolment],
        cohorts: list[_Cohort],
        students: list[_Student],
        programs: list[UUID],
        staff: list[_Staff],
    ) -> None:
        """Price, number and settle every enrolment's invoice (see the module docstring)."""
        rng, settings = self.rng, self.settings
        first_charged: dict[int, tuple[datetime, int]] = {}
        for e in enrolments:
            key = (e.enrolled_at, e.student)
            if e.student not in first_charged or key < first_charged[e.student]:
                first_charged[e.student] = key
        by_family: dict[int, list[int]] = {}
        for student in sorted(first_charged, key=lambda s: first_charged[s]):
            by_family.setdefault(students[student].family, []).append(student)
        rank = {s: n + 1 for children in by_family.values() for n, s in enumerate(children)}
        desks: dict[int, list[UUID]] = {}
        for member in staff:
            if member.role is m.StaffRole.FRONT_DESK:
                desks.setdefault(member.campuses[0], []).append(member.person.id)
        counters: Counter[int] = Counter()
        prices: dict[tuple[str, Decimal, int, int], PricedLines] = {}
        latest = _at(self.today - timedelta(days=1), time(20, 30))
        for e in sorted(enrolments, key=lambda e: (e.enrolled_at, e.id)):
            cohort = cohorts[e.cohort]
            issued = e.enrolled_at.astimezone(ZoneInfo(MELBOURNE)).date()
            first = max(issued, e.start_date or issued)
            name, *_, price = PROGRAMS[cohort.program % len(PROGRAMS)]
            e.rank = rank[e.student]
            priced = (
                f"{name} — {cohort.name}"[:200],
                cohort.price or Decimal(price),
                e.rank,
                sum(1 for _, day in cohort.sessions if day >= first),
            )
            if priced not in prices:  # a cohort's invoices share a few prices
                prices[priced] = price_tuition(
                    description=priced[0],
                    tuition=priced[1],
                    sibling_rank=priced[2],
                    sessions_total=len(cohort.sessions),
                    sessions_remaining=priced[3],
                    settings=settings,
                )
            e.priced = prices[priced]
            counters[issued.year] += 1
            e.invoice_id = self.new_id()
            e.number = m.invoice_number(issued.year, counters[issued.year])
            if e.fate == "unpaid":
                continue
            e.paid = e.total
            if e.fate == "partial":
                e.paid = (e.total * Decimal(rng.randrange(30, 71)) / 100).quantize(Decimal("0.01"))
            charged = e.enrolled_at + timedelta(seconds=2)
            e.paid_at = min(latest, charged + timedelta(minutes=rng.randrange(60, 14 * 24 * 60)))
            if e.paid_at <= charged:
                e.paid_at = charged + timedelta(minutes=10)
            e.payment_id = self.new_id()
            e.method = _pick(rng, METHODS, m.PaymentMethod.CASH)
            e.desk = rng.choice(desks[cohort.campus])
        self.counters = dict(counters)


def plan_large_school(
    size: LargeSize | None = None,
    *,
    seed: int = 1,
    today: date | None = None,
    password_hash: str = NO_PASSWORD,
) -> LargeSchool:
    """The school of ``size`` (default: the benchmarks') for ``seed``, as it stands at 07:00
    on ``today`` (default: today in Melbourne). Nothing is written."""
    size = size or LargeSize()
    day = today or datetime.now(ZoneInfo(MELBOURNE)).date()
    plan = _Planner(size, seed, day, password_hash)
    programs = [plan.new_id() for _ in range(min(len(PROGRAMS), size.cohorts))]
    campuses = [plan.new_id() for _ in range(size.campuses)]
    staff = plan.staff()
    cohorts = plan.cohorts(staff, len(programs))
    families, students = plan.families()
    enrolments = plan.enrolments(cohorts, families, students)
    plan.bill(enrolments, cohorts, students, programs, staff)
    school = LargeSchool(
        size=size,
        seed=seed,
        today=day,
        now=plan.now,
        term_start=plan.term_start,
        organisation_id=large_organisation_id(seed),
        password_hash=password_hash,
        settings=plan.settings,
        campuses=tuple(campuses),
        programs=tuple(programs),
        staff=tuple(staff),
        cohorts=tuple(cohorts),
        families=tuple(families),
        students=tuple(students),
        enrolments=tuple(enrolments),
        counts={},
    )
    paid = sum(1 for e in enrolments if e.payment_id is not None)
    counts = {
        "organisations": 1,
        "campuses": len(campuses),
        "staff": len(staff),
        "campus_staff": sum(len(s.campuses) for s in staff),
        "programs": len(programs),
        "cohorts": len(cohorts),
        "cohort_staff": sum(2 if c.assistant else 1 for c in cohorts),
        "sessions": sum(len(c.sessions) for c in cohorts),
        "families": len(families),
        "students": len(students),
        "enrolments": len(enrolments),
        "invoices": len(enrolments),
        "payments": paid,
        "payment_allocations": paid,
        "attendances": sum(len(school.marked(e)) for e in enrolments),
        "invoice_number_counters": len(plan.counters),
        "audit_log": 1,
    }
    return attrs.evolve(school, counts=counts)


# -- the rows ----------------------------------------------------------------------------------


class _Rows:
    """Each table's rows of a planned school, as the domain's entities (marks: plain rows)."""

    def __init__(self, school: LargeSchool) -> None:
        self.school = school
        self.org = school.organisation_id
        self.founded = _at(school.term_start - timedelta(weeks=26), time(8, 0))
        self.rng = random.Random(f"large-rows:{school.seed}")

    #: What is written, in this order: each table and the method that gives its rows.
    TABLES = (
        (t.organisations, "organisation"),
        (t.campuses, "campuses"),
        (t.staff, "staff"),
        (t.campus_staff, "campus_staff"),
        (t.programs, "programs"),
        (t.cohorts, "cohorts"),
        (t.cohort_staff, "cohort_staff"),
        (t.sessions, "sessions"),
        (t.families, "families"),
        (t.students, "students"),
        (t.enrolments, "enrolments"),
        (t.invoices, "invoices"),
        (t.payments, "payments"),
        (t.payment_allocations, "allocations"),
        (t.attendances, "marks"),
        (t.invoice_number_counters, "counters"),
        (t.audit_log, "audit"),
    )

    def tables(self) -> Iterator[tuple[sa.Table, Iterable[Any]]]:
        for table, method in self.TABLES:
            yield table, getattr(self, method)()

    def new_id(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def organisation(self) -> Iterator[m.Organisation]:
        yield m.Organisation(
            id=self.org,
            name=LARGE_SCHOOL_NAME,
            billing_email=f"accounts@{DOMAIN}",
            abn="51 824 753 556",
            primary_color="#FF5A1F",
            settings=self.school.settings,
            created_at=self.founded,
        )

    def campuses(self) -> Iterator[m.Campus]:
        for n, campus_id in enumerate(self.school.campuses):
            place, postcode = PLACES[n % len(PLACES)]
            name = place if n < len(PLACES) else f"{place} {n // len(PLACES) + 1}"
            yield m.Campus(
                id=campus_id,
                organisation_id=self.org,
                name=f"{name} Campus",
                address=f"{10 + n} {STREETS[n % len(STREETS)]}",
                suburb=place,
                state="VIC",
                postcode=postcode,
                timezone=MELBOURNE,
                contact_email=f"campus{n + 1}@{DOMAIN}",
                contact_phone=f"03 9{n:03d} 0000",
                created_at=self.founded,
            )

    def staff(self) -> Iterator[m.Staff]:
        school = self.school
        for member in school.staff:
            yield m.Staff(
                id=member.person.id,
                organisation_id=self.org,
                email=member.email,
                password_hash=school.password_hash,
                first_name=member.person.first_name,
                last_name=member.person.last_name,
                phone=f"04{self.rng.randrange(10**8):08d}",
                role=member.role,
                hired_date=self.founded.date(),
                qualifications=(
                    m.Qualification(
                        name="Working With Children Check",
                        reference=f"WWC{self.rng.randrange(10**7):07d}",
                        expires_on=date(school.today.year + 3, 6, 30),
                    ),
                ),
                created_at=self.founded,
            )

    def campus_staff(self) -> Iterator[m.CampusStaff]:
        for member in self.school.staff:
            for campus in member.campuses:
                yield m.CampusStaff(
                    id=self.new_id(),
                    organisation_id=self.org,
                    campus_id=self.school.campuses[campus],
                    staff_id=member.person.id,
                    assigned_at=self.founded,
                )

    def programs(self) -> Iterator[m.Program]:
        for program_id, (name, youngest, oldest, level, price) in zip(
            self.school.programs, PROGRAMS, strict=False
        ):
            yield m.Program(
                id=program_id,
                organisation_id=self.org,
                name=name,
                description=f"{name}: ten weekly classes of 90 minutes.",
                age_min=youngest,
                age_max=oldest,
                skill_level=level,
                duration_weeks=self.school.size.sessions,
                session_duration_minutes=90,
                default_price=Decimal(price),
                created_at=self.founded,
            )

    def seats(self) -> Counter[int]:
        return Counter(e.cohort for e in self.school.enrolments)

    def cohorts(self) -> Iterator[m.Cohort]:
        school = self.school
        seats = self.seats()
        created = _at(school.term_start - timedelta(weeks=10), time(9, 0))
        for n, c in enumerate(school.cohorts):
            yield m.Cohort(
                id=c.id,
                organisation_id=self.org,
                program_id=school.programs[c.program],
                campus_id=school.campuses[c.campus],
                name=c.name,
                start_date=c.start,
                end_date=c.end,
                max_capacity=school.size.capacity,
                current_enrolments=seats[n],
                status=m.CohortStatus.IN_PROGRESS,
                tuition_price=c.price,
                room=f"Room {1 + n % 4}",
                # what the nightly job flags when a cohort begins with no seat-holder
                attention=None if seats[n] else LifecycleRepository.EMPTY_COHORT_ATTENTION,
                created_at=created,
                # created, opened, each seat taken, begun
                version=3 + seats[n],
            )

    def cohort_staff(self) -> Iterator[m.CohortStaff]:
        created = _at(self.school.term_start - timedelta(weeks=10), time(9, 5))
        for c in self.school.cohorts:
            for staff_id, role in (
                (c.lead, m.CohortStaffRole.LEAD_INSTRUCTOR),
                (c.assistant, m.CohortStaffRole.TEACHING_ASSISTANT),
            ):
                if staff_id is not None:
                    yield m.CohortStaff(
                        id=self.new_id(),
                        organisation_id=self.org,
                        cohort_id=c.id,
                        staff_id=staff_id,
                        role=role,
                        assigned_at=created,
                    )

    def sessions(self) -> Iterator[m.Session]:
        school = self.school
        created = _at(school.term_start - timedelta(weeks=10), time(9, 0))
        for c in school.cohorts:
            for number, (session_id, day) in enumerate(c.sessions, start=1):
                held = day < school.today
                yield m.Session(
                    id=session_id,
                    organisation_id=self.org,
                    cohort_id=c.id,
                    session_number=number,
                    scheduled_date=day,
                    scheduled_start_time=c.slot[0],
                    scheduled_end_time=c.slot[1],
                    status=m.SessionStatus.COMPLETED if held else m.SessionStatus.SCHEDULED,
                    created_at=created,
                    version=2 if held else 1,
                )

    def families(self) -> Iterator[m.Family]:
        school = self.school
        owed: dict[int, Decimal] = {}
        changes: Counter[int] = Counter()
        for e in school.enrolments:
            family = school.students[e.student].family
            owed[family] = owed.get(family, ZERO) + e.total - e.paid
            changes[family] += 2 if e.payment_id is not None else 1
        for n, f in enumerate(school.families):
            place, postcode = PLACES[f.campus % len(PLACES)]
            yield m.Family(
                id=f.id,
                organisation_id=self.org,
                family_name=f.name,
                primary_contact_name=f.parent,
                primary_contact_email=f.email,
                primary_contact_phone=f.phone,
                street_address=f.street,
                suburb=place,
                state="VIC",
                postcode=postcode,
                account_balance=owed.get(n, ZERO),
                created_at=self.founded + timedelta(weeks=1, minutes=n),
                version=1 + changes[n],
            )

    def students(self) -> Iterator[m.Student]:
        school = self.school
        for s in school.students:
            family = school.families[s.family]
            yield m.Student(
                id=s.id,
                organisation_id=self.org,
                family_id=family.id,
                first_name=s.first_name,
                last_name=family.name,
                date_of_birth=s.birthday,
                allow_photo=s.birthday.day % 3 != 0,
                created_at=self.founded + timedelta(weeks=1, minutes=s.family),
            )

    def enrolments(self) -> Iterator[m.Enrolment]:
        school = self.school
        for e in school.enrolments:
            cohort = school.cohorts[e.cohort]
            assert e.priced is not None
            active = e.status is EnrolmentStatus.ACTIVE
            discounted = e.priced.discount > ZERO
            yield m.Enrolment(
                id=e.id,
                organisation_id=self.org,
                student_id=school.students[e.student].id,
                cohort_id=cohort.id,
                status=e.status,
                enrolment_date=e.enrolled_at,
                start_date=e.start_date or (cohort.start if active else None),
                discount_applied=e.priced.discount,
                created_at=e.enrolled_at,
                # enquiry, awaiting payment, the discount recorded, confirmed, started
                version=2 + discounted + (2 if active else 0),
            )

    def invoices(self) -> Iterator[m.Invoice]:
        school = self.school
        settings = school.settings
        overdue_before = school.today - timedelta(days=settings.overdue_after_days)
        for e in school.enrolments:
            assert e.priced is not None
            assert e.invoice_id is not None
            issued = e.enrolled_at.astimezone(ZoneInfo(MELBOURNE)).date()
            due = issued + timedelta(days=settings.invoice_due_days)
            outstanding = e.total - e.paid
            if outstanding == ZERO:
                status, version = m.InvoiceStatus.PAID, 2
            else:
                status = m.InvoiceStatus.PARTIAL if e.paid else m.InvoiceStatus.SENT
                version = 2 if e.paid else 1
                if due < overdue_before:
                    status, version = m.InvoiceStatus.OVERDUE, version + 1
            yield m.Invoice(
                id=e.invoice_id,
                organisation_id=self.org,
                invoice_number=e.number,
                family_id=school.families[school.students[e.student].family].id,
                enrolment_id=e.id,
                issue_date=issued,
                due_date=due,
                total_amount=e.total,
                gst_amount=e.priced.gst,
                discount_amount=e.priced.discount,
                amount_paid=e.paid,
                amount_outstanding=outstanding,
                status=status,
                line_items=e.priced.lines,
                created_at=e.enrolled_at + timedelta(seconds=2),
                version=version,
            )

    def payments(self) -> Iterator[m.Payment]:
        school = self.school
        for n, e in enumerate(school.enrolments):
            if e.payment_id is None or e.paid_at is None:
                continue
            reference = {
                m.PaymentMethod.BANK_TRANSFER: f"BT{n:08d}",
                m.PaymentMethod.CHEQUE: f"CHQ{n:06d}",
            }.get(e.method)
            yield m.Payment(
                id=e.payment_id,
                organisation_id=self.org,
                family_id=school.families[school.students[e.student].family].id,
                invoice_id=e.invoice_id,
                payment_date=e.paid_at,
                amount=e.paid,
                payment_method=e.method,
                reference_number=reference,
                recorded_by_staff_id=e.desk,
                created_at=e.paid_at,
            )

    def allocations(self) -> Iterator[m.PaymentAllocation]:
        for e in self.school.enrolments:
            if e.payment_id is None or e.paid_at is None or e.invoice_id is None:
                continue
            yield m.PaymentAllocation(
                id=self.new_id(),
                organisation_id=self.org,
                payment_id=e.payment_id,
                invoice_id=e.invoice_id,
                amount=e.paid,
                allocated_at=e.paid_at,
            )

    def marks(self) -> Iterator[dict[str, Any]]:
        """The attendance marks, as rows (the bulk of the school: no entity each)."""
        school, rng, org = self.school, self.rng, self.org
        absent = m.AttendanceStatus.ABSENT
        for e in school.enrolments:
            cohort = school.cohorts[e.cohort]
            student_id = school.students[e.student].id
            for session_id, day in school.marked(e):
                status = _pick(rng, MARKS, absent)
                yield {
                    "id": UUID(int=rng.getrandbits(128), version=4),
                    "organisation_id": org,
                    "session_id": session_id,
                    "student_id": student_id,
                    "enrolment_id": e.id,
                    "status": status,
                    "check_in_time": None,
                    "check_out_time": None,
                    "notes": "arrived after the start"
                    if status is m.AttendanceStatus.LATE
                    else None,
                    "recorded_by_staff_id": cohort.lead,
                    "recorded_at": _at(day, cohort.slot[0]) + timedelta(minutes=rng.randrange(30)),
                    "version": 1,
                }

    def counters(self) -> Iterator[dict[str, Any]]:
        years = Counter(int(e.number[4:8]) for e in self.school.enrolments)
        for year, last in sorted(years.items()):
            yield {"organisation_id": self.org, "year": year, "last_number": last}

    def audit(self) -> Iterator[m.AuditEntry]:
        school = self.school
        yield m.AuditEntry(
            id=self.new_id(),
            organisation_id=self.org,
            action="demo.large_school",
            entity_type="Organisation",
            entity_id=self.org,
            summary=(
                f"large demo school generated (seed {school.seed}, as on"
                f" {school.today.isoformat()}): {len(school.cohorts):,} cohorts,"
                f" {len(school.students):,} students, {school.rows:,} rows"
            ),
            changes={"seed": school.seed, "today": school.today.isoformat(), **school.counts},
            occurred_at=school.now,
        )


# -- writing -----------------------------------------------------------------------------------

#: Called with a table's name and how many more of its rows were written.
Progress = Callable[[str, int], None]
#: Rows per COPY write or INSERT statement.
CHUNK = 2_000


def _values(table: sa.Table, row: Any) -> Mapping[str, Any]:
    """A row's values by column name: the row itself, or an entity's fields (column names
    are field names; attrs entities keep every field in ``__dict__``)."""
    if isinstance(row, dict):
        return row
    values: dict[str, Any] = row.__dict__
    return values


def _copy_value(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """How COPY (text format) gets one column's domain value (None: as it is)."""
    kind = column.type
    if isinstance(kind, Structured):
        structured = kind

        def to_json(value: Any) -> Any:
            if value is None:
                return None
            return json.dumps(structured.process_bind_param(value, dialect))

        return to_json
    if isinstance(kind, sa.Enum):
        return lambda value: value.value if isinstance(value, Enum) else value
    return None


def _privileges(connection: sa.Connection) -> tuple[bool, bool]:
    """Whether the connection's role is a superuser, and whether it may COPY into tables
    with row-level security (a superuser or BYPASSRLS)."""
    found = connection.execute(
        sa.text(
            "SELECT rolsuper, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    return bool(found[0]), bool(found[1])


def _copy(
    connection: sa.Connection, table: sa.Table, rows: Iterable[Any], progress: Progress
) -> int:
    names = [column.name for column in table.c]
    convert = [_copy_value(column, connection.dialect) for column in table.c]
    driver = connection.connection.driver_connection
    assert driver is not None
    written = pending = 0
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = _values(table, row)
            copy.write_row(
                [
                    values[name] if f is None else f(values[name])
                    for f, name in zip(convert, names, strict=True)
                ]
            )
            written, pending = written + 1, pending + 1
            if pending == CHUNK:
                progress(table.name, pending)
                pending = 0
    progress(table.name, pending)
    return written


def _insert(
    connection: sa.Connection, table: sa.Table, rows: Iterable[Any], progress: Progress
) -> int:
    written = 0
    chunk: list[dict[str, Any]] = []
    names = [column.name for column in table.c]
    for row in rows:
        values = _values(table, row)
        chunk.append({name: values[name] for name in names})
        if len(chunk) == CHUNK:
            connection.execute(table.insert(), chunk)
            written += len(chunk)
            progress(table.name, len(chunk))
            chunk = []
    if chunk:
        connection.execute(table.insert(), chunk)
        written += len(chunk)
        progress(table.name, len(chunk))
    return written


def write_large_school(
    engine: sa.Engine,
    school: LargeSchool,
    *,
    progress: Progress | None = None,
    check_foreign_keys: bool = True,
) -> dict[str, int]:
    """Write ``school`` in one transaction (all or nothing) on a migrated database; the rows
    written per table.

    Postgres: COPY when the login role bypasses row-level security (a superuser), else
    multi-row INSERTs under the organisation's policy; then ANALYZE. ``check_foreign_keys``
    False skips the (deferred) foreign key checks at the commit on Postgres when COPY is used
    (the benchmarks: the rows are consistent by construction, and the unit tests check them on
    SQLite). A database that already holds the school's staff e-mails refuses it whole
    (IntegrityError)."""
    report = progress or (lambda _table, _rows: None)
    written: dict[str, int] = {}
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        superuser, fast = _privileges(connection) if postgres else (False, False)
        if postgres:
            connection.execute(
                sa.text("SELECT set_config('rocket.organisation_id', :org, true)"),
                {"org": str(school.organisation_id)},
            )
            if superuser and not check_foreign_keys:
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table, rows in _Rows(school).tables():
            write = _copy if fast else _insert
            written[table.name] = write(connection, table, rows, report)
    if postgres:
        with engine.begin() as connection:
            for name in written:
                connection.execute(sa.text(f"ANALYZE {name}"))
    return written


def large_school_loaded(engine: sa.Engine, seed: int) -> bool:
    """True when the large school of ``seed`` is in the database (it is written whole)."""
    organisation_id = large_organisation_id(seed)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT set_config('rocket.organisation_id', :org, true)"),
                {"org": str(organisation_id)},
            )
        found = connection.execute(
            sa.select(t.organisations.c.name).where(t.organisations.c.id == organisation_id)
        ).scalar()
    return found == LARGE_SCHOOL_NAME


def count_large_school(engine: sa.Engine, seed: int) -> dict[str, int]:
    """Rows per table of the large school of ``seed``, read back from the database."""
    organisation_id = large_organisation_id(seed)
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT set_config('rocket.organisation_id', :org, true)"),
                {"org": str(organisation_id)},
            )
        for table, _ in _Rows.TABLES:
            column = table.c.id if table is t.organisations else table.c.organisation_id
            found = connection.execute(
                sa.select(sa.func.count()).select_from(table).where(column == organisation_id)
            ).scalar()
            if found:
                counts[table.name] = int(found)
    return counts
