"""Examples of the makeup-token routes, on the world of tests/unit/services/conftest.py.

A new child of the Nguyens is arranged active in the world's cohort (Werribee, taught by
lead_instructor with teaching_assistant). A makeup is booked at a one-session Geelong cohort of
the same program taught by other_instructor (tests/unit/services/helpers.elsewhere), so the
host's "excuse absences, issue makeup tokens" scope is Geelong's.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from tests.http.examples_enrolments import MANAGERS, ROSTER, enrol, new_child
from tests.http.routing import Example, example
from tests.unit.services.conftest import TODAY, World
from tests.unit.services.helpers import elsewhere

from rocket_core import model as m

#: EXCUSE_ABSENCES over the world's cohort: SA, CM (campus), LI (own).
ISSUERS = MANAGERS | {"lead_instructor"}
#: EXCUSE_ABSENCES over a Geelong cohort taught by other_instructor.
GEELONG_ISSUERS = frozenset({"super_admin", "other_manager", "other_instructor"})


def with_token(world: World) -> m.Student:
    """A child active in the world's cohort with one makeup token of the program."""
    child = new_child(world)
    enrolment = enrol(world, child, makeup_tokens=1)
    world.add(
        m.MakeupToken(
            organisation_id=world.org_id,
            student_id=child.id,
            enrolment_id=enrolment.id,
            program_id=world.program.id,
            reason="excused absence",
            source_session_id=world.sessions[0].id,
            issued_on=TODAY,
            expires_on=TODAY + timedelta(days=90),
        )
    )
    return child


@example("GET /api/v1/students/{student_id:uuid}/makeup-tokens")
def list_tokens(world: World) -> Example:
    child = with_token(world)
    return Example(method="GET", path=f"/api/v1/students/{child.id}/makeup-tokens", allowed=ROSTER)


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/makeup-tokens")
def issue_token(world: World) -> Example:
    enrolment = enrol(world, new_child(world))
    return Example(
        method="POST",
        path=f"/api/v1/enrolments/{enrolment.id}/makeup-tokens",
        body={"session_id": str(world.sessions[1].id), "reason": "family holiday"},
        allowed=ISSUERS,
        ok=201,
        writes=True,
    )


@example("POST /api/v1/sessions/{session_id:uuid}/makeups")
def book_makeup(world: World) -> Example:
    child = with_token(world)
    _, host = elsewhere(world, "other_instructor", date(2026, 2, 3), time(16, 0), time(17, 30))
    return Example(
        method="POST",
        path=f"/api/v1/sessions/{host.id}/makeups",
        body={"student_id": str(child.id)},
        allowed=GEELONG_ISSUERS,
        ok=201,
        writes=True,
    )
