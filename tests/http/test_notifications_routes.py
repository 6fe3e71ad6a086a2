"""The notification routes: a family's notifications, its preferences and the undeliverable
flag, over the service tests' school (tests/http/conftest.py).

The Nguyen child is active in the world's Monday cohort at Werribee (``enrolled_child``), so
the Nguyens are a Werribee family. The app's container queues notifications on the world's
bus: enrolling the child queues its invoice and welcome.
"""

from __future__ import annotations

from uuid import uuid4

from tests.http.conftest import Api
from tests.http.examples_learning import enrolled_child
from tests.http.examples_messaging import nguyen_thread
from tests.http.test_learning_routes import unchanged


def load_family_opt_outs(api: Api) -> set[str]:
    with api.world.uow() as uow:
        return {kind.value for kind in uow.families.get(api.world.family.id).notification_opt_outs}


def test_a_familys_notifications_are_listed_and_filtered(api: Api) -> None:
    nguyen_thread(api.world)  # the child enrolled (an invoice, a welcome) and a message
    path = f"/api/v1/families/{api.world.family.id}/notifications"
    desk = api.client("front_desk")

    everything = desk.get(path)
    queued = desk.get(path, params={"status": "queued", "limit": 1})
    sent = desk.get(path, params={"status": "sent"})

    assert everything.status_code == 200, everything.text
    page = everything.json()
    assert page["total"] >= 1
    kinds = {n["kind"] for n in page["items"]}
    assert "new_message" in kinds
    first = page["items"][0]
    assert set(first) == {
        "id",
        "kind",
        "channel",
        "subject",
        "body",
        "status",
        "created_at",
        "due_at",
        "attempts",
        "last_error",
        "sent_to",
        "sent_at",
    }
    assert first["channel"] == "email"
    assert queued.json()["total"] == page["total"]
    assert len(queued.json()["items"]) == 1
    assert sent.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_preferences_are_read_and_set(api: Api) -> None:
    enrolled_child(api.world)
    path = f"/api/v1/families/{api.world.family.id}/notification-preferences"
    manager = api.client("campus_manager")

    before = manager.get(path)
    changed = manager.put(path, json={"opt_outs": ["new_message", "invoice_overdue"]})
    after = manager.get(path)

    assert before.status_code == 200, before.text
    settings = before.json()
    assert settings["family_id"] == str(api.world.family.id)
    assert settings["undeliverable"] is False
    assert all(k["enabled"] for k in settings["kinds"])
    assert {k["kind"] for k in settings["kinds"] if k["critical"]} == {
        "session_cancelled",
        "waitlist_offer",
    }
    assert changed.status_code == 200, changed.text
    assert {k["kind"] for k in changed.json()["kinds"] if not k["enabled"]} == {
        "new_message",
        "invoice_overdue",
    }
    assert after.json() == changed.json()
    assert load_family_opt_outs(api) == {"new_message", "invoice_overdue"}


def test_the_undeliverable_flag_is_cleared(api: Api) -> None:
    enrolled_child(api.world)
    with api.world.uow() as uow:
        uow.families.get(api.world.family.id).mark_undeliverable(
            "550 mailbox unknown", api.world.clock.now()
        )
        uow.commit()
    path = f"/api/v1/families/{api.world.family.id}/undeliverable"
    desk = api.client("front_desk")
    flagged = desk.get(f"/api/v1/families/{api.world.family.id}/notification-preferences")

    cleared = desk.delete(path)
    again = desk.delete(path)

    assert flagged.json()["undeliverable"] is True
    assert flagged.json()["undeliverable_reason"] == "550 mailbox unknown"
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["undeliverable"] is False
    assert cleared.json()["undeliverable_at"] is None
    assert again.status_code == 200


def test_bad_preferences_are_refused_and_nothing_is_written(api: Api) -> None:
    enrolled_child(api.world)
    path = f"/api/v1/families/{api.world.family.id}/notification-preferences"

    critical = unchanged(api, "super_admin", "PUT", path, {"opt_outs": ["session_cancelled"]}, 422)
    unknown_kind = unchanged(api, "super_admin", "PUT", path, {"opt_outs": ["shoe_size"]}, 400)
    not_a_list = unchanged(api, "super_admin", "PUT", path, {"opt_outs": "new_message"}, 400)
    unknown_field = unchanged(api, "super_admin", "PUT", path, {"opt_outs": [], "sms": True}, 400)
    bad_status = api.client("super_admin").get(
        f"/api/v1/families/{api.world.family.id}/notifications", params={"status": "lost"}
    )

    assert critical["field"] == "Family.notification_opt_outs"
    assert "session_cancelled" in critical["detail"]
    assert unknown_kind["errors"][0]["field"] == "opt_outs[0]"
    assert not_a_list["errors"][0]["field"] == "opt_outs"
    assert unknown_field["errors"][0]["field"] == "sms"
    assert bad_status.status_code == 400


def test_unknown_families_are_not_found(api: Api) -> None:
    family = f"/api/v1/families/{uuid4()}"
    for method, path, body in [
        ("GET", f"{family}/notifications", None),
        ("GET", f"{family}/notification-preferences", None),
        ("PUT", f"{family}/notification-preferences", {"opt_outs": []}),
        ("DELETE", f"{family}/undeliverable", None),
    ]:
        assert unchanged(api, "super_admin", method, path, body, 404)["status"] == 404


def test_instructors_and_other_campuses_may_not(api: Api) -> None:
    enrolled_child(api.world)
    family = f"/api/v1/families/{api.world.family.id}"
    unchanged(api, "lead_instructor", "GET", f"{family}/notifications", None, 403)
    unchanged(api, "teaching_assistant", "GET", f"{family}/notification-preferences", None, 403)
    unchanged(
        api, "other_manager", "PUT", f"{family}/notification-preferences", {"opt_outs": []}, 403
    )
    unchanged(api, "other_instructor", "DELETE", f"{family}/undeliverable", None, 403)
