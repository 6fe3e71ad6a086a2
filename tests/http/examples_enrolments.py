"""Examples of the enrolment routes (the journey, lists, waitlist, offers, capacity) and of the
attendance-rate routes, on the world of tests/unit/services/conftest.py.

The world's cohort is at Werribee (the world's campus), taught by lead_instructor with
teaching_assistant; campus_manager and front_desk work at Werribee, other_manager and
other_instructor at Geelong. ``enrol`` arranges an enrolment straight in the store.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from tests.http.routing import Example, example
from tests.unit.services.conftest import World

from rocket_core import model as m
from rocket_core.model import EnrolmentStatus as S

#: VIEW_ROSTER over the world's cohort: SA, CM (campus), LI and TA (own), FD (campus).
ROSTER = frozenset(
    {"super_admin", "campus_manager", "lead_instructor", "teaching_assistant", "front_desk"}
)
#: MANAGE_ENROLMENTS at Werribee: SA, CM (campus), FD (campus).
MANAGE = frozenset({"super_admin", "campus_manager", "front_desk"})
#: WITHDRAW_STUDENT without an approver, TRANSFER_STUDENT and MANAGE_COHORTS at Werribee.
MANAGERS = frozenset({"super_admin", "campus_manager"})


def enrol(
    world: World,
    student: m.Student,
    status: S = S.ACTIVE,
    *,
    cohort: m.Cohort | None = None,
    **fields: Any,
) -> m.Enrolment:
    """An enrolment of ``student`` in ``cohort`` (the world's) in ``status``, saved with the
    cohort's seat count kept right (an active one started with its cohort). The student's live
    enrolment there if there is one already (examples may share a world: one live enrolment
    per student and cohort)."""
    cohort = cohort or world.cohort
    with world.uow() as uow:
        live = uow.enrolments.find_live(student.id, cohort.id)
    if live is not None:
        return live
    if status is S.ACTIVE:
        fields.setdefault("start_date", cohort.start_date)
    enrolment = m.Enrolment(
        organisation_id=world.org_id,
        student_id=student.id,
        cohort_id=cohort.id,
        status=status,
        enrolment_date=world.clock.now(),
        **fields,
    )
    with world.uow() as uow:
        if enrolment.holds_seat:
            stored = uow.cohorts.get(cohort.id)
            if stored.seats_free <= 0:  # a world shared by many examples: one more seat
                stored.change_capacity(stored.max_capacity + 1)
            stored.take_seat()
        uow.enrolments.add(enrolment)
        uow.commit()
    return enrolment


def new_child(world: World) -> m.Student:
    """Another child of the Nguyens (7 when the world's cohort starts), enrolled nowhere."""
    child = m.Student(
        organisation_id=world.org_id,
        family_id=world.family.id,
        first_name=f"Bao {uuid4().hex[:4]}",
        last_name="Nguyen",
        date_of_birth=date(2018, 8, 8),
    )
    world.add(child)
    return child


def werribee_cohort(world: World) -> m.Cohort:
    """Another open cohort of the program at Werribee, with no staff assigned."""
    cohort = m.Cohort(
        organisation_id=world.org_id,
        program_id=world.program.id,
        campus_id=world.campus.id,
        name=f"Scratch Basics - Term 1 Wed {uuid4().hex[:4]}",
        start_date=date(2026, 2, 4),
        end_date=date(2026, 2, 25),
        max_capacity=5,
        status=m.CohortStatus.OPEN,
    )
    world.add(cohort)
    return cohort


def _enrolment(world: World, status: S = S.ENQUIRY, **fields: Any) -> str:
    """The path of a new child's enrolment in the world's cohort in ``status``."""
    return f"/api/v1/enrolments/{enrol(world, new_child(world), status, **fields).id}"


# -- reading ------------------------------------------------------------------------------


@example("GET /api/v1/enrolments")
def list_enrolments(world: World) -> Example:
    enrol(world, world.child)
    return Example(
        method="GET",
        path="/api/v1/enrolments",
        query={"cohort_id": str(world.cohort.id)},
        allowed=ROSTER,
    )


@example("GET /api/v1/enrolments/{enrolment_id:uuid}")
def get_enrolment(world: World) -> Example:
    return Example(method="GET", path=_enrolment(world), allowed=ROSTER)


@example("GET /api/v1/cohorts/{cohort_id:uuid}/waitlist")
def waitlist(world: World) -> Example:
    return Example(method="GET", path=f"/api/v1/cohorts/{world.cohort.id}/waitlist", allowed=ROSTER)


@example("GET /api/v1/cohorts/{cohort_id:uuid}/offers")
def offers(world: World) -> Example:
    return Example(method="GET", path=f"/api/v1/cohorts/{world.cohort.id}/offers", allowed=ROSTER)


# -- the journey --------------------------------------------------------------------------


@example("POST /api/v1/enrolments")
def enquire(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/enrolments",
        body={"student_id": str(new_child(world).id), "cohort_id": str(world.cohort.id)},
        allowed=MANAGE,
        ok=201,
        writes=True,
    )


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/trial")
def book_trial(world: World) -> Example:
    return Example(
        method="POST",
        path=f"{_enrolment(world)}/trial",
        body={"session_id": str(world.sessions[0].id)},
        allowed=MANAGE,
        writes=True,
    )


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/request-payment")
def request_payment(world: World) -> Example:
    return Example(
        method="POST",
        path=f"{_enrolment(world)}/request-payment",
        allowed=MANAGE,
        writes=True,
    )


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/convert-trial")
def convert_trial(world: World) -> Example:
    path = _enrolment(world, S.TRIAL, is_trial=True, trial_session_id=world.sessions[0].id)
    return Example(method="POST", path=f"{path}/convert-trial", allowed=MANAGE, writes=True)


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/payment-received")
def payment_received(world: World) -> Example:
    return Example(
        method="POST",
        path=f"{_enrolment(world, S.PENDING_PAYMENT)}/payment-received",
        allowed=MANAGE,
        writes=True,
    )


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/start")
def start(world: World) -> Example:
    return Example(
        method="POST",
        path=f"{_enrolment(world, S.ENROLLED)}/start",
        body={"on": world.cohort.start_date.isoformat()},
        allowed=MANAGE,
        writes=True,
    )


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/complete")
def complete(world: World) -> Example:
    return Example(
        method="POST",
        path=f"{_enrolment(world, S.ACTIVE)}/complete",
        body={"on": world.cohort.end_date.isoformat()},
        allowed=MANAGE,
        writes=True,
    )


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/withdraw")
def withdraw(world: World) -> Example:
    # front desk may withdraw only with a manager's approval (none named here)
    return Example(
        method="POST",
        path=f"{_enrolment(world, S.ACTIVE)}/withdraw",
        body={"on": (world.cohort.start_date + timedelta(days=7)).isoformat(), "reason": "moved"},
        allowed=MANAGERS,
        writes=True,
    )


@example("POST /api/v1/enrolments/{enrolment_id:uuid}/transfer")
def transfer(world: World) -> Example:
    path = _enrolment(world, S.ACTIVE)
    target = werribee_cohort(world)
    return Example(
        method="POST",
        path=f"{path}/transfer",
        body={"target_cohort_id": str(target.id), "on": target.start_date.isoformat()},
        allowed=MANAGERS,
        writes=True,
    )


@example("POST /api/v1/cohorts/{cohort_id:uuid}/capacity")
def change_capacity(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/cohorts/{world.cohort.id}/capacity",
        body={"max_capacity": 5},
        allowed=MANAGERS,
        writes=True,
    )


# -- attendance rates (routes/attendance.py) ----------------------------------------------


@example("GET /api/v1/students/{student_id:uuid}/attendance-rate")
def student_rate(world: World) -> Example:
    enrol(world, world.child)  # on the roll of the world's cohort only
    return Example(
        method="GET", path=f"/api/v1/students/{world.child.id}/attendance-rate", allowed=ROSTER
    )


@example("GET /api/v1/cohorts/{cohort_id:uuid}/attendance-rate")
def cohort_rate(world: World) -> Example:
    return Example(
        method="GET", path=f"/api/v1/cohorts/{world.cohort.id}/attendance-rate", allowed=ROSTER
    )


__all__ = ["MANAGE", "MANAGERS", "ROSTER", "enrol", "new_child", "werribee_cohort"]
