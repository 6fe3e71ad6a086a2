"""The audit log route: super admins read who changed what, filtered and paged.

Every staff member of the world logged in when the app was built (one ``staff.login`` entry
each, at the world's fixed time); the tests add more through the API.
"""

from __future__ import annotations

from datetime import timedelta

from tests.http.conftest import Api
from tests.http.test_learning_routes import unchanged

AUDIT = "/api/v1/audit-log"


def test_the_log_lists_changes_newest_first_with_their_actor(api: Api) -> None:
    admin = api.client("super_admin")
    api.world.clock.advance(timedelta(minutes=5))
    tree = admin.post("/api/v1/skill-trees", json={"name": "Python Skills"}).json()

    everything = admin.get(AUDIT)
    about_tree = admin.get(AUDIT, params={"entity_id": tree["id"]})

    assert everything.status_code == 200, everything.text
    page = everything.json()
    assert page["total"] == 8  # seven logins and the tree
    newest = page["items"][0]
    assert newest == about_tree.json()["items"][0]
    assert newest["action"] == "skill_tree.create"
    assert newest["entity_type"] == "SkillTree"
    assert newest["entity_id"] == tree["id"]
    assert newest["actor_staff_id"] == str(api.world.staff["super_admin"].id)
    assert newest["actor_name"] == "Ada Staff"
    assert newest["changes"] == {"name": "Python Skills"}
    assert newest["summary"] == "Skill tree Python Skills created"


def test_filters_and_pages(api: Api) -> None:
    admin = api.client("super_admin")
    start = api.world.clock.now()
    api.world.clock.advance(timedelta(minutes=5))
    admin.post("/api/v1/skill-trees", json={"name": "Python Skills"})
    later = (start + timedelta(minutes=1)).isoformat()

    logins = admin.get(AUDIT, params={"entity_type": "Staff", "limit": 3, "offset": 6})
    mine = admin.get(AUDIT, params={"actor_staff_id": str(api.world.staff["super_admin"].id)})
    recent = admin.get(AUDIT, params={"occurred_from": later})
    before = admin.get(AUDIT, params={"occurred_to": later})

    assert logins.json()["total"] == 7
    assert len(logins.json()["items"]) == 1
    assert logins.json()["limit"] == 3
    assert logins.json()["offset"] == 6
    assert mine.json()["total"] == 2
    assert [e["action"] for e in recent.json()["items"]] == ["skill_tree.create"]
    assert before.json()["total"] == 7


def test_bad_filters_are_refused(api: Api) -> None:
    admin = api.client("super_admin")
    now = api.world.clock.now()

    naive = admin.get(AUDIT, params={"occurred_from": "2026-01-19T09:00:00"})
    backwards = admin.get(
        AUDIT,
        params={
            "occurred_from": now.isoformat(),
            "occurred_to": (now - timedelta(hours=1)).isoformat(),
        },
    )
    not_an_id = admin.get(AUDIT, params={"entity_id": "family-7"})
    too_many = admin.get(AUDIT, params={"limit": 201})
    not_a_time = admin.get(AUDIT, params={"occurred_to": "yesterday"})

    assert naive.status_code == 422, naive.text
    assert naive.json()["field"] == "occurred_from"
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "occurred_to"
    assert not_an_id.status_code == 400
    assert too_many.status_code == 400
    assert not_a_time.status_code == 400


def test_only_super_admins_read_the_log(api: Api) -> None:
    for who in ("campus_manager", "front_desk", "lead_instructor"):
        refused = unchanged(api, who, "GET", AUDIT, None, 403)
        assert "audit log" in refused["detail"]
    assert api.client("super_admin").get(AUDIT).status_code == 200
