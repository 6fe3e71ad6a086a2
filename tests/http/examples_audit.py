"""Examples of the audit log route: super admins only (``audit log``)."""

from __future__ import annotations

from tests.http.routing import Example, example
from tests.unit.services.conftest import World


@example("GET /api/v1/audit-log")
def audit_entries(world: World) -> Example:
    return Example(
        method="GET",
        path="/api/v1/audit-log",
        # the super admin's own logins (the world's staff logged in when the app was built)
        query={
            "entity_type": "Staff",
            "actor_staff_id": str(world.staff["super_admin"].id),
            "limit": "10",
        },
        allowed=frozenset({"super_admin"}),
    )
