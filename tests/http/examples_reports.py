"""Examples of the reporting routes: the dashboard and the three CSV reports, each asked for
the world's campus (Werribee).

By the matrix (rocket_core.services.reports): the dashboard, the enrolment and the attendance
reports need VIEW_ROSTER over the campus: super admin, Werribee's campus manager and front
desk, and the lead instructor and teaching assistant of the world's cohort there (their own
cohorts); not Geelong's manager or instructor. The revenue report is a financial report:
super admin and Werribee's campus manager only.
"""

from __future__ import annotations

from tests.http.routing import Example, example
from tests.unit.services.conftest import World

ROSTER = frozenset(
    {"super_admin", "campus_manager", "lead_instructor", "teaching_assistant", "front_desk"}
)
FINANCIAL = frozenset({"super_admin", "campus_manager"})


def _at_werribee(world: World, path: str, allowed: frozenset[str]) -> Example:
    return Example(
        method="GET", path=path, query={"campus_id": str(world.campus.id)}, allowed=allowed
    )


@example("GET /api/v1/dashboard")
def dashboard(world: World) -> Example:
    return _at_werribee(world, "/api/v1/dashboard", ROSTER)


@example("GET /api/v1/reports/enrolments.csv")
def enrolments_csv(world: World) -> Example:
    return _at_werribee(world, "/api/v1/reports/enrolments.csv", ROSTER)


@example("GET /api/v1/reports/revenue.csv")
def revenue_csv(world: World) -> Example:
    return _at_werribee(world, "/api/v1/reports/revenue.csv", FINANCIAL)


@example("GET /api/v1/reports/attendance.csv")
def attendance_csv(world: World) -> Example:
    return _at_werribee(world, "/api/v1/reports/attendance.csv", ROSTER)
