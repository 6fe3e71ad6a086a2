"""Examples of the family and student routes, on the world of tests/unit/services/conftest.py.

Kim (world.child) is arranged active in the world's cohort at Werribee when the example is
about the Nguyens, so that the family scope and the instructors' "own" scope both show:

- the directory (list, read a family) is for office staff of any campus (SA, CM, FD: those
  who may create a family), and for the instructors who teach one of the family's children;
- changing the Nguyens is for SA and Werribee's office staff (their child learns there);
- the Smiths (other_family) have no live enrolment: any office staff may change them;
- reading Kim's record follows VIEW_ROSTER over where Kim is taught.
"""

from __future__ import annotations

from tests.http.examples_enrolments import MANAGE, ROSTER, enrol
from tests.http.routing import EVERYONE, Example, example
from tests.unit.services.conftest import World

#: Office staff who work at some campus: the directory, and families nobody is enrolled in.
OFFICE = frozenset({"super_admin", "campus_manager", "other_manager", "front_desk"})
#: The Nguyens with Kim taught at Werribee: office staff, and Kim's instructors.
NGUYEN_READERS = EVERYONE - {"other_instructor"}


def _nguyens(world: World) -> str:
    enrol(world, world.child)
    return f"/api/v1/families/{world.family.id}"


@example("GET /api/v1/families")
def list_families(world: World) -> Example:
    return Example(
        method="GET", path="/api/v1/families", query={"search": "nguyen"}, allowed=OFFICE
    )


@example("POST /api/v1/families")
def create_family(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/families",
        body={"primary_contact_name": "Priya Patel", "primary_contact_email": "priya@x.example"},
        allowed=OFFICE,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/families/{family_id:uuid}")
def get_family(world: World) -> Example:
    return Example(method="GET", path=_nguyens(world), allowed=NGUYEN_READERS)


@example("PATCH /api/v1/families/{family_id:uuid}")
def update_family(world: World) -> Example:
    return Example(
        method="PATCH",
        path=_nguyens(world),
        body={"suburb": "Werribee", "postcode": "3030"},
        allowed=MANAGE,
        writes=True,
    )


@example("POST /api/v1/families/{family_id:uuid}/deactivate")
def deactivate_family(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/families/{world.other_family.id}/deactivate",
        allowed=OFFICE,
        writes=True,
    )


@example("GET /api/v1/families/{family_id:uuid}/students")
def list_students(world: World) -> Example:
    # other_manager may read the family but none of its children (an empty page)
    return Example(method="GET", path=f"{_nguyens(world)}/students", allowed=NGUYEN_READERS)


@example("POST /api/v1/families/{family_id:uuid}/students")
def add_student(world: World) -> Example:
    return Example(
        method="POST",
        path=f"{_nguyens(world)}/students",
        body={"first_name": "Bao", "last_name": "Nguyen", "date_of_birth": "2019-04-02"},
        allowed=MANAGE,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/students/{student_id:uuid}")
def get_student(world: World) -> Example:
    enrol(world, world.child)
    return Example(method="GET", path=f"/api/v1/students/{world.child.id}", allowed=ROSTER)


@example("PATCH /api/v1/students/{student_id:uuid}")
def update_student(world: World) -> Example:
    enrol(world, world.child)
    return Example(
        method="PATCH",
        path=f"/api/v1/students/{world.child.id}",
        body={"pronouns": "she/her", "medical_info": "Asthma: puffer in bag"},
        allowed=MANAGE,
        writes=True,
    )


@example("POST /api/v1/students/{student_id:uuid}/deactivate")
def deactivate_student(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/students/{world.other_child.id}/deactivate",
        allowed=OFFICE,
        writes=True,
    )
