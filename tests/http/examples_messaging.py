"""Examples of the messaging routes.

The Nguyen child (world.child) is active in the world's Monday cohort at Werribee (taught by
lead_instructor with teaching_assistant), so the Nguyens are in the scope of ``message
parents``: SA and front desk (all), the Werribee campus manager, the cohort's lead instructor;
a teaching assistant only with an approval (none given here); the Geelong staff not at all.
Bulk announcements: SA and the campus's manager.
"""

from __future__ import annotations

from tests.http.examples_learning import enrolled_child
from tests.http.routing import EVERYONE, Example, example
from tests.unit.services.conftest import World

from rocket_core import model as m
from rocket_core.services.messaging import MessagingService

WRITERS = frozenset({"super_admin", "campus_manager", "lead_instructor", "front_desk"})
ANNOUNCERS = frozenset({"super_admin", "campus_manager"})


def messaging(world: World) -> MessagingService:
    return MessagingService(world.make_uow, world.clock, world.bus)


def nguyen_thread(world: World, who: str = "super_admin") -> m.Message:
    """The Nguyen child active at Werribee, and a thread ``who`` started with the Nguyens."""
    enrolled_child(world)
    return messaging(world).start_thread(
        world.actor(who), world.family.id, "Robot kits", "Please bring the robot kit on Monday."
    )


@example("POST /api/v1/families/{family_id:uuid}/threads")
def start_thread(world: World) -> Example:
    enrolled_child(world)
    return Example(
        method="POST",
        path=f"/api/v1/families/{world.family.id}/threads",
        body={"subject": "Robot kits", "body": "Please bring the robot kit on Monday."},
        allowed=WRITERS,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/families/{family_id:uuid}/threads")
def family_threads(world: World) -> Example:
    nguyen_thread(world)
    return Example(
        method="GET", path=f"/api/v1/families/{world.family.id}/threads", allowed=WRITERS
    )


@example("POST /api/v1/threads/{thread_id:uuid}/messages")
def reply(world: World) -> Example:
    # approved by the cohort's lead instructor: the teaching assistant may write too (the
    # approval is read only for a role that needs one)
    thread = nguyen_thread(world)
    return Example(
        method="POST",
        path=f"/api/v1/threads/{thread.thread_id}/messages",
        body={
            "body": "And a water bottle, please.",
            "approver_id": str(world.staff["lead_instructor"].id),
        },
        allowed=WRITERS | {"teaching_assistant"},
        ok=201,
        writes=True,
    )


@example("GET /api/v1/threads/{thread_id:uuid}/messages")
def thread(world: World) -> Example:
    started = nguyen_thread(world)
    return Example(
        method="GET", path=f"/api/v1/threads/{started.thread_id}/messages", allowed=WRITERS
    )


@example("POST /api/v1/messages/{message_id:uuid}/read")
def mark_read(world: World) -> Example:
    # the front desk wrote; the family's reply is to them: only its recipient marks it read
    started = nguyen_thread(world, "front_desk")
    answer = messaging(world).receive_from_family(
        world.org_id, world.family.id, started.thread_id, "Will do, thanks!"
    )
    return Example(
        method="POST",
        path=f"/api/v1/messages/{answer.id}/read",
        allowed=frozenset({"front_desk"}),
        writes=True,
    )


@example("GET /api/v1/messages/unread-count")
def unread_count(world: World) -> Example:
    return Example(method="GET", path="/api/v1/messages/unread-count", allowed=EVERYONE)


@example("POST /api/v1/cohorts/{cohort_id:uuid}/announcements")
def announce_to_cohort(world: World) -> Example:
    enrolled_child(world)
    return Example(
        method="POST",
        path=f"/api/v1/cohorts/{world.cohort.id}/announcements",
        body={"subject": "No class on Monday", "body": "The campus is closed that day."},
        allowed=ANNOUNCERS,
        ok=201,
        writes=True,
    )


@example("POST /api/v1/campuses/{campus_id:uuid}/announcements")
def announce_to_campus(world: World) -> Example:
    enrolled_child(world)
    return Example(
        method="POST",
        path=f"/api/v1/campuses/{world.campus.id}/announcements",
        body={"subject": "Open day", "body": "Come and see what the children have built."},
        allowed=ANNOUNCERS,
        ok=201,
        writes=True,
    )
