"""The demo's families and their children: planned from the seed, then opened by the front
desk (FamilyService) on the day the family first contacts the school."""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import partial
from uuid import UUID

import attrs

from rocket_core import model as m
from rocket_entrypoints.demo import people
from rocket_entrypoints.demo.builder import FRONT_DESKS, Story

#: children per family for the 40 families: 24 with one, 12 with two, 4 with three (60)
CHILDREN = (1,) * 24 + (2,) * 12 + (3,) * 4
#: Children's ages today, 7 to 16: the younger classes are the most asked for.
AGES = (7, 7, 8, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16)


@attrs.define(eq=False)
class Child:
    """A child to add to their family, and their student id once added."""

    household: Household
    first_name: str
    last_name: str
    date_of_birth: date
    gender: m.Gender
    allow_photo: bool
    medical_info: str | None
    dietary_restrictions: str | None
    student_id: UUID | None = None

    @property
    def id(self) -> UUID:
        """The student's id (once added)."""
        if self.student_id is None:
            raise LookupError(f"{self.first_name} {self.last_name} is not added yet")
        return self.student_id

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day`` (as ``Student.age_on``)."""
        born = self.date_of_birth
        return day.year - born.year - int((day.month, day.day) < (born.month, born.day))


@attrs.define(eq=False)
class Household:
    """A family to open: its details, its children and the campus nearest to home."""

    campus_index: int
    details: dict[str, str]
    children: list[Child] = attrs.field(factory=list)
    #: The day (and campus) the family first asks about a class.
    first_contact: tuple[date, int] | None = None
    family_id: UUID | None = None

    def contact(self, day: date, campus_index: int) -> None:
        """The family asks about a class on ``day`` at a campus (the earliest one counts)."""
        if self.first_contact is None or day < self.first_contact[0]:
            self.first_contact = (day, campus_index)


def plan_households(story: Story) -> list[Household]:
    """40 families with about 60 children aged 7 to 16 (nothing is written yet)."""
    rng = story.rng
    households = []
    counts = list(CHILDREN)
    rng.shuffle(counts)
    for index, (surname, children) in enumerate(zip(people.FAMILY_NAMES, counts, strict=True)):
        campus_index = index % 2
        suburb, postcode = rng.choice(people.SUBURBS[campus_index])
        parent = people.PARENT_NAMES[index % len(people.PARENT_NAMES)]
        handle = surname.lower().replace("'", "")
        details = {
            "family_name": f"The {surname} family",
            "primary_contact_name": f"{parent} {surname}",
            "primary_contact_email": f"{parent.lower()}.{handle}@example.com",
            "primary_contact_phone": f"04{rng.randrange(10**8):08d}",
            "street_address": f"{rng.randrange(1, 200)} {rng.choice(people.STREETS)}",
            "suburb": suburb,
            "state": "VIC",
            "postcode": postcode,
            "emergency_contact_name": f"{rng.choice(people.PARENT_NAMES)} {surname}",
            "emergency_contact_phone": f"04{rng.randrange(10**8):08d}",
        }
        if rng.random() < 0.4:
            details["secondary_contact_name"] = f"{rng.choice(people.PARENT_NAMES)} {surname}"
            details["secondary_contact_email"] = f"second.{handle}@example.com"
        household = Household(campus_index=campus_index, details=details)
        for _ in range(children):
            household.children.append(_child(story, household, surname))
        households.append(household)
    return households


def _child(story: Story, household: Household, surname: str) -> Child:
    rng = story.rng
    age = rng.choice(AGES)
    today = story.today
    a_year_older = date(today.year - age - 1, today.month, min(today.day, 28))
    born = a_year_older + timedelta(days=rng.randrange(1, 365))
    return Child(
        household=household,
        first_name=rng.choice(people.FIRST_NAMES),
        last_name=surname,
        date_of_birth=born,
        gender=rng.choice(list(m.Gender)),
        allow_photo=rng.random() < 0.7,
        medical_info=rng.choice(people.MEDICAL) if rng.random() < 0.1 else None,
        dietary_restrictions=rng.choice(people.DIETARY) if rng.random() < 0.15 else None,
    )


def queue_families(story: Story, households: list[Household]) -> None:
    """Each family is opened, with all its children, at 9 am on the day it first asks about
    a class, by the front desk of that campus. Families whose children fit no class yet ask
    to hear about new ones during the current term's enrolment."""
    opens = story.calendar.opens(0)
    for index, household in enumerate(households):
        day, campus_index = household.first_contact or (
            opens + timedelta(days=story.rng.randrange(1, 40)),
            household.campus_index,
        )
        story.at(
            day, time(9, index), partial(_open_family, story, household, FRONT_DESKS[campus_index])
        )


def _open_family(story: Story, household: Household, front_desk: str) -> None:
    actor = story.actor(front_desk)
    details = dict(household.details)
    family = story.families.create_family(
        actor,
        primary_contact_name=details.pop("primary_contact_name"),
        primary_contact_email=details.pop("primary_contact_email"),
        **details,
    )
    household.family_id = family.id
    for child in household.children:
        profile = story.families.add_student(
            actor,
            family.id,
            first_name=child.first_name,
            last_name=child.last_name,
            date_of_birth=child.date_of_birth,
            gender=child.gender,
            allow_photo=child.allow_photo,
            medical_info=child.medical_info,
            dietary_restrictions=child.dietary_restrictions,
        )
        child.student_id = profile.id
        story.child_order[profile.id] = len(story.child_order)
