"""Examples of the notification routes.

The Nguyen child (world.child) is active in the world's cohort at Werribee, so the Nguyens
are a Werribee family: reading their notifications and settings is ``view roster`` and
changing their settings ``create / approve enrolment``, each in the family's scope: SA, the
Werribee campus manager and front desk (never a role whose scope is its own cohorts).
"""

from __future__ import annotations

from tests.http.examples_learning import enrolled_child
from tests.http.routing import Example, example
from tests.unit.services.conftest import World

FAMILY_STAFF = frozenset({"super_admin", "campus_manager", "front_desk"})


def werribee_family(world: World) -> None:
    """The Nguyen child active at Werribee."""
    enrolled_child(world)


@example("GET /api/v1/families/{family_id:uuid}/notifications")
def family_notifications(world: World) -> Example:
    werribee_family(world)
    return Example(
        method="GET",
        path=f"/api/v1/families/{world.family.id}/notifications",
        query={"status": "queued"},
        allowed=FAMILY_STAFF,
    )


@example("GET /api/v1/families/{family_id:uuid}/notification-preferences")
def preferences(world: World) -> Example:
    werribee_family(world)
    return Example(
        method="GET",
        path=f"/api/v1/families/{world.family.id}/notification-preferences",
        allowed=FAMILY_STAFF,
    )


@example("PUT /api/v1/families/{family_id:uuid}/notification-preferences")
def set_preferences(world: World) -> Example:
    werribee_family(world)
    return Example(
        method="PUT",
        path=f"/api/v1/families/{world.family.id}/notification-preferences",
        body={"opt_outs": ["invoice_overdue", "new_message"]},
        allowed=FAMILY_STAFF,
        writes=True,
    )


@example("DELETE /api/v1/families/{family_id:uuid}/undeliverable")
def clear_undeliverable(world: World) -> Example:
    werribee_family(world)
    with world.uow() as uow:
        uow.families.get(world.family.id).mark_undeliverable(
            "550 mailbox unknown", world.clock.now()
        )
        uow.commit()
    return Example(
        method="DELETE",
        path=f"/api/v1/families/{world.family.id}/undeliverable",
        allowed=FAMILY_STAFF,
        writes=True,
    )
