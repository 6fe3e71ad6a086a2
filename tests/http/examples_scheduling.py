"""Examples of the scheduling routes: programs, cohorts, sessions and who teaches them (one
per route, for the route-table walk and the tenant test).

Who may: the timetable is read by every staff member. Programs are organisation-wide, so
changing them is ``create cohorts, assign instructors`` with scope all (super admins);
cohorts, their sessions and instructors at Werribee are that row's campus scope too (the
world's campus_manager). Cancelling a session is ``cancel sessions``: also the cohort's lead
instructor (lead_instructor teaches the world's cohort) in an emergency.
"""

from __future__ import annotations

from tests.http.routing import EVERYONE, Example, example
from tests.unit.services.conftest import World

SUPER_ADMIN = frozenset({"super_admin"})
#: ``create cohorts, assign instructors`` at Werribee (the world's cohort's campus).
WERRIBEE_COHORTS = frozenset({"super_admin", "campus_manager"})


@example("GET /api/v1/programs")
def list_programs(world: World) -> Example:
    return Example(method="GET", path="/api/v1/programs", allowed=EVERYONE)


@example("POST /api/v1/programs")
def create_program(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/programs",
        body={"name": "Python Adventures", "duration_weeks": 10, "default_price": "380.00"},
        allowed=SUPER_ADMIN,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/programs/{program_id:uuid}")
def get_program(world: World) -> Example:
    return Example(method="GET", path=f"/api/v1/programs/{world.program.id}", allowed=EVERYONE)


@example("PATCH /api/v1/programs/{program_id:uuid}")
def update_program(world: World) -> Example:
    return Example(
        method="PATCH",
        path=f"/api/v1/programs/{world.program.id}",
        body={"description": "Games and stories in Scratch"},
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("POST /api/v1/programs/{program_id:uuid}/deactivate")
def deactivate_program(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/programs/{world.program.id}/deactivate",
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("GET /api/v1/cohorts")
def list_cohorts(world: World) -> Example:
    return Example(
        method="GET",
        path="/api/v1/cohorts",
        query={"campus_id": str(world.campus.id), "status": "open"},
        allowed=EVERYONE,
    )


@example("POST /api/v1/cohorts")
def create_cohort(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/cohorts",
        body={
            "program_id": str(world.program.id),
            "campus_id": str(world.campus.id),
            "name": "Scratch Basics - Term 2 Wed",
            "start_date": "2026-04-22",
            "max_capacity": 8,
        },
        allowed=WERRIBEE_COHORTS,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/cohorts/{cohort_id:uuid}")
def get_cohort(world: World) -> Example:
    return Example(method="GET", path=f"/api/v1/cohorts/{world.cohort.id}", allowed=EVERYONE)


@example("PATCH /api/v1/cohorts/{cohort_id:uuid}")
def update_cohort(world: World) -> Example:
    return Example(
        method="PATCH",
        path=f"/api/v1/cohorts/{world.cohort.id}",
        body={"room": "Lab 2"},
        allowed=WERRIBEE_COHORTS,
        writes=True,
    )


@example("POST /api/v1/cohorts/{cohort_id:uuid}/open")
def open_cohort(world: World) -> Example:
    # the world's cohort is already open: the allowed get 409
    return Example(
        method="POST",
        path=f"/api/v1/cohorts/{world.cohort.id}/open",
        allowed=WERRIBEE_COHORTS,
        ok=409,
        writes=True,
    )


@example("POST /api/v1/cohorts/{cohort_id:uuid}/cancel")
def cancel_cohort(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/cohorts/{world.cohort.id}/cancel",
        body={"reason": "Not enough interest"},
        allowed=WERRIBEE_COHORTS,
        writes=True,
    )


@example("POST /api/v1/cohorts/{cohort_id:uuid}/staff")
def assign_cohort_staff(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/cohorts/{world.cohort.id}/staff",
        body={"staff_id": str(world.staff["campus_manager"].id), "role": "teaching_assistant"},
        allowed=WERRIBEE_COHORTS,
        ok=201,
        writes=True,
    )


@example("DELETE /api/v1/cohorts/{cohort_id:uuid}/staff/{staff_id:uuid}")
def unassign_cohort_staff(world: World) -> Example:
    return Example(
        method="DELETE",
        path=f"/api/v1/cohorts/{world.cohort.id}/staff/{world.staff['teaching_assistant'].id}",
        allowed=WERRIBEE_COHORTS,
        ok=204,
        writes=True,
    )


@example("POST /api/v1/cohorts/{cohort_id:uuid}/sessions")
def generate_sessions(world: World) -> Example:
    # the world's cohort already has its sessions: the allowed get 409
    return Example(
        method="POST",
        path=f"/api/v1/cohorts/{world.cohort.id}/sessions",
        body={"weekdays": [0], "start_time": "16:00:00"},
        allowed=WERRIBEE_COHORTS,
        ok=409,
        writes=True,
    )


@example("GET /api/v1/sessions")
def list_sessions(world: World) -> Example:
    return Example(
        method="GET",
        path="/api/v1/sessions",
        query={"date_from": "2026-02-01", "date_to": "2026-02-28"},
        allowed=EVERYONE,
    )


@example("GET /api/v1/sessions/{session_id:uuid}")
def get_session(world: World) -> Example:
    return Example(method="GET", path=f"/api/v1/sessions/{world.sessions[0].id}", allowed=EVERYONE)


@example("POST /api/v1/sessions/{session_id:uuid}/cancel")
def cancel_session(world: World) -> Example:
    # an emergency: the cohort's lead instructor may too
    return Example(
        method="POST",
        path=f"/api/v1/sessions/{world.sessions[0].id}/cancel",
        body={"reason": "Power outage", "emergency": True},
        allowed=frozenset({"super_admin", "campus_manager", "lead_instructor"}),
        writes=True,
    )


@example("POST /api/v1/sessions/{session_id:uuid}/reschedule")
def reschedule_session(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/sessions/{world.sessions[0].id}/reschedule",
        body={
            "scheduled_date": "2026-02-03",
            "scheduled_start_time": "16:00:00",
            "scheduled_end_time": "17:30:00",
        },
        allowed=WERRIBEE_COHORTS,
        writes=True,
    )


@example("POST /api/v1/sessions/{session_id:uuid}/staff")
def assign_session_assistant(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/sessions/{world.sessions[0].id}/staff",
        body={"staff_id": str(world.staff["campus_manager"].id)},
        allowed=WERRIBEE_COHORTS,
        ok=201,
        writes=True,
    )


@example("DELETE /api/v1/sessions/{session_id:uuid}/staff/{staff_id:uuid}")
def unassign_session_assistant(world: World) -> Example:
    # no assistant of the session alone on a fresh world: the allowed get 404
    return Example(
        method="DELETE",
        path=f"/api/v1/sessions/{world.sessions[0].id}/staff/{world.staff['teaching_assistant'].id}",
        allowed=WERRIBEE_COHORTS,
        ok=404,
        writes=True,
    )
