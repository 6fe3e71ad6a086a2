"""The demo's families and their children."""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from rocket_core import model as m
from rocket_entrypoints.demo import people
from rocket_entrypoints.demo.builder import Builder

#: children per family for the 40 families: 24 with one, 12 with two, 4 with three (60)
CHILDREN = (1,) * 24 + (2,) * 12 + (3,) * 4


@attrs.frozen
class Household:
    """A family, its children and the campus nearest to home."""

    family: m.Family
    children: tuple[m.Student, ...]
    campus_index: int


def add_families(b: Builder) -> list[Household]:
    """40 families with about 60 children aged 7 to 16."""
    households = []
    counts = list(CHILDREN)
    b.rng.shuffle(counts)
    for index, (surname, children) in enumerate(zip(people.FAMILY_NAMES, counts, strict=True)):
        campus_index = index % 2
        suburb, postcode = b.rng.choice(people.SUBURBS[campus_index])
        parent = people.PARENT_NAMES[index % len(people.PARENT_NAMES)]
        handle = surname.lower().replace("'", "")
        family = m.Family(
            id=b.uuid(),
            organisation_id=b.org_id,
            family_name=f"The {surname} family",
            primary_contact_name=f"{parent} {surname}",
            primary_contact_email=f"{parent.lower()}.{handle}@example.com",
            primary_contact_phone=f"04{b.rng.randrange(10**8):08d}",
            street_address=f"{b.rng.randrange(1, 200)} {b.rng.choice(people.STREETS)}",
            suburb=suburb,
            state="VIC",
            postcode=postcode,
            emergency_contact_name=f"{b.rng.choice(people.PARENT_NAMES)} {surname}",
            emergency_contact_phone=f"04{b.rng.randrange(10**8):08d}",
            created_at=b.created(b.terms[-1][0] - timedelta(days=b.rng.randrange(30, 200))),
        )
        if b.rng.random() < 0.4:
            family.update(
                secondary_contact_name=f"{b.rng.choice(people.PARENT_NAMES)} {surname}",
                secondary_contact_email=f"second.{handle}@example.com",
            )
        b.uow.families.add(family)
        kids = tuple(_child(b, family, surname, n) for n in range(children))
        households.append(Household(family, kids, campus_index))
    return households


def _child(b: Builder, family: m.Family, surname: str, n: int) -> m.Student:
    age = b.rng.randrange(7, 17)
    born = date(b.today.year - age - 1, 1, 1) + timedelta(days=b.rng.randrange(365))
    student = m.Student(
        id=b.uuid(),
        organisation_id=b.org_id,
        family_id=family.id,
        first_name=b.rng.choice(people.FIRST_NAMES),
        last_name=surname,
        date_of_birth=born,
        gender=b.rng.choice(list(m.Gender)),
        allow_photo=b.rng.random() < 0.7,
        medical_info=b.rng.choice(people.MEDICAL) if b.rng.random() < 0.1 else None,
        dietary_restrictions=b.rng.choice(people.DIETARY) if b.rng.random() < 0.15 else None,
        created_at=family.created_at,
    )
    b.uow.students.add(student)
    return student
