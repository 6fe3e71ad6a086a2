"""Examples of the routes every deployment has: login, logout, me, health, the webhook, and
the roll (the pattern for the context modules)."""

from __future__ import annotations

from tests.http.conftest import PASSWORD
from tests.http.routing import EVERYONE, Example, example
from tests.unit.services.conftest import World

#: Who may see and mark the world's first session's roll (its cohort is at the world's
#: campus, taught by lead_instructor with teaching_assistant): VIEW_ROSTER / TAKE_ATTENDANCE.
ROSTER = frozenset(
    {"super_admin", "campus_manager", "lead_instructor", "teaching_assistant", "front_desk"}
)


@example("POST /api/v1/auth/login")
def login(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/auth/login",
        body={"email": world.staff["front_desk"].email, "password": PASSWORD},
        allowed=EVERYONE,
        writes=True,
    )


@example("POST /api/v1/auth/logout")
def logout(world: World) -> Example:
    return Example(method="POST", path="/api/v1/auth/logout", allowed=EVERYONE, ok=204, writes=True)


@example("GET /api/v1/auth/me")
def me(world: World) -> Example:
    return Example(method="GET", path="/api/v1/auth/me", allowed=EVERYONE)


@example("GET /healthz")
def healthz(world: World) -> Example:
    return Example(method="GET", path="/healthz", allowed=EVERYONE)


@example("GET /readyz")
def readyz(world: World) -> Example:
    return Example(method="GET", path="/readyz", allowed=EVERYONE)


@example("POST /api/v1/webhooks/stripe")
def stripe_webhook(world: World) -> Example:
    # no webhook secret is configured in the tests: refused as unsigned (400), for anyone
    return Example(method="POST", path="/api/v1/webhooks/stripe", body={}, allowed=EVERYONE, ok=400)


@example("GET /api/v1/sessions/{session_id:uuid}/roll")
def roll(world: World) -> Example:
    return Example(
        method="GET", path=f"/api/v1/sessions/{world.sessions[0].id}/roll", allowed=ROSTER
    )


@example("POST /api/v1/sessions/{session_id:uuid}/attendance")
def mark(world: World) -> Example:
    # TAKE_ATTENDANCE: SA, CM campus, LI own; TA own only with the lead's approval (none
    # given here); front desk none. The fresh world's roll is empty: the allowed get past
    # the permission check to a 422 naming the student who is not on the roll.
    return Example(
        method="POST",
        path=f"/api/v1/sessions/{world.sessions[0].id}/attendance",
        body={"marks": [{"student_id": str(world.child.id), "status": "present"}]},
        allowed=frozenset({"super_admin", "campus_manager", "lead_instructor"}),
        ok=422,
        writes=True,
    )
