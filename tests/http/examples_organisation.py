"""Examples of the organisation routes: details and settings, campuses and closure dates,
staff accounts (one per route, for the route-table walk and the tenant test).

Who may: the organisation's details and settings, campuses and the timetable are read by
every staff member; writing them is ``settings`` (super admins; a campus's details and
closure dates also its campus managers: the world's campus_manager at Werribee); staff
accounts are ``manage staff accounts`` (super admins), read also by the campus managers of
the campuses the staff member works at, and by themselves.
"""

from __future__ import annotations

from tests.http.routing import EVERYONE, Example, example
from tests.unit.services.conftest import World

SUPER_ADMIN = frozenset({"super_admin"})
#: ``settings`` of the world's campus (Werribee): super admins and its campus manager.
WERRIBEE_SETTINGS = frozenset({"super_admin", "campus_manager"})
#: Those who list staff: super admins (everyone) and campus managers (their campuses' staff).
STAFF_LISTERS = frozenset({"super_admin", "campus_manager", "other_manager"})


@example("GET /api/v1/organisation")
def get_organisation(world: World) -> Example:
    return Example(method="GET", path="/api/v1/organisation", allowed=EVERYONE)


@example("PATCH /api/v1/organisation")
def update_organisation(world: World) -> Example:
    return Example(
        method="PATCH",
        path="/api/v1/organisation",
        body={"name": "Rocket Coding Academy"},
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("GET /api/v1/organisation/settings")
def get_settings(world: World) -> Example:
    return Example(method="GET", path="/api/v1/organisation/settings", allowed=EVERYONE)


@example("PATCH /api/v1/organisation/settings")
def update_settings(world: World) -> Example:
    return Example(
        method="PATCH",
        path="/api/v1/organisation/settings",
        body={"invoice_due_days": 21},
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("GET /api/v1/campuses")
def list_campuses(world: World) -> Example:
    return Example(method="GET", path="/api/v1/campuses", allowed=EVERYONE)


@example("POST /api/v1/campuses")
def create_campus(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/campuses",
        body={"name": "Ballarat", "state": "VIC"},
        allowed=SUPER_ADMIN,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/campuses/{campus_id:uuid}")
def get_campus(world: World) -> Example:
    return Example(method="GET", path=f"/api/v1/campuses/{world.campus.id}", allowed=EVERYONE)


@example("PATCH /api/v1/campuses/{campus_id:uuid}")
def update_campus(world: World) -> Example:
    return Example(
        method="PATCH",
        path=f"/api/v1/campuses/{world.campus.id}",
        body={"suburb": "Werribee South"},
        allowed=WERRIBEE_SETTINGS,
        writes=True,
    )


@example("POST /api/v1/campuses/{campus_id:uuid}/deactivate")
def deactivate_campus(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/campuses/{world.campus.id}/deactivate",
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("POST /api/v1/campuses/{campus_id:uuid}/reactivate")
def reactivate_campus(world: World) -> Example:
    # the campus is active on a fresh world: a super admin gets 409
    return Example(
        method="POST",
        path=f"/api/v1/campuses/{world.campus.id}/reactivate",
        allowed=SUPER_ADMIN,
        ok=409,
        writes=True,
    )


@example("POST /api/v1/campuses/{campus_id:uuid}/closures")
def add_closure_date(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/campuses/{world.campus.id}/closures",
        body={"day": "2026-03-09", "reason": "Labour Day"},
        allowed=WERRIBEE_SETTINGS,
        ok=201,
        writes=True,
    )


@example("DELETE /api/v1/campuses/{campus_id:uuid}/closures/{day:date}")
def remove_closure_date(world: World) -> Example:
    # no closure on a fresh world: the allowed get 404 for the closure date
    return Example(
        method="DELETE",
        path=f"/api/v1/campuses/{world.campus.id}/closures/2026-03-09",
        allowed=WERRIBEE_SETTINGS,
        ok=404,
        writes=True,
    )


@example("GET /api/v1/staff")
def list_staff(world: World) -> Example:
    return Example(method="GET", path="/api/v1/staff", allowed=STAFF_LISTERS)


@example("POST /api/v1/staff")
def create_staff(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/staff",
        body={
            "email": "hedy@rocket.example",
            "first_name": "Hedy",
            "last_name": "Staff",
            "role": "teaching_assistant",
        },
        allowed=SUPER_ADMIN,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/staff/{staff_id:uuid}")
def get_staff(world: World) -> Example:
    # Linus works at Werribee: super admins, Werribee's manager and Linus himself
    return Example(
        method="GET",
        path=f"/api/v1/staff/{world.staff['lead_instructor'].id}",
        allowed=frozenset({"super_admin", "campus_manager", "lead_instructor"}),
    )


@example("PATCH /api/v1/staff/{staff_id:uuid}")
def update_staff(world: World) -> Example:
    return Example(
        method="PATCH",
        path=f"/api/v1/staff/{world.staff['front_desk'].id}",
        body={"first_name": "Frances"},
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("POST /api/v1/staff/{staff_id:uuid}/role")
def change_role(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/staff/{world.staff['front_desk'].id}/role",
        body={"role": "teaching_assistant"},
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("POST /api/v1/staff/{staff_id:uuid}/deactivate")
def deactivate_staff(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/staff/{world.staff['front_desk'].id}/deactivate",
        allowed=SUPER_ADMIN,
        writes=True,
    )


@example("POST /api/v1/staff/{staff_id:uuid}/reactivate")
def reactivate_staff(world: World) -> Example:
    # active on a fresh world: a super admin gets 409
    return Example(
        method="POST",
        path=f"/api/v1/staff/{world.staff['front_desk'].id}/reactivate",
        allowed=SUPER_ADMIN,
        ok=409,
        writes=True,
    )


@example("POST /api/v1/staff/{staff_id:uuid}/password")
def set_password(world: World) -> Example:
    # anyone's for super admins, and one's own
    return Example(
        method="POST",
        path=f"/api/v1/staff/{world.staff['front_desk'].id}/password",
        body={"password": "a new and rather long password"},
        allowed=frozenset({"super_admin", "front_desk"}),
        ok=204,
        writes=True,
    )


@example("POST /api/v1/staff/{staff_id:uuid}/campuses")
def assign_to_campus(world: World) -> Example:
    return Example(
        method="POST",
        path=f"/api/v1/staff/{world.staff['other_instructor'].id}/campuses",
        body={"campus_id": str(world.campus.id)},
        allowed=SUPER_ADMIN,
        ok=201,
        writes=True,
    )


@example("DELETE /api/v1/staff/{staff_id:uuid}/campuses/{campus_id:uuid}")
def unassign_from_campus(world: World) -> Example:
    return Example(
        method="DELETE",
        path=f"/api/v1/staff/{world.staff['front_desk'].id}/campuses/{world.campus.id}",
        allowed=SUPER_ADMIN,
        ok=204,
        writes=True,
    )
