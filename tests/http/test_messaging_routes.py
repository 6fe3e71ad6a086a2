"""The messaging routes: threads with a family, replies, read flags, unread counts and bulk
announcements, over the service tests' school (tests/http/conftest.py).

The Nguyen child is active in the world's Monday cohort at Werribee (``enrolled_child``).
"""

from __future__ import annotations

from uuid import uuid4

from tests.http.conftest import Api
from tests.http.examples_learning import enrolled_child
from tests.http.examples_messaging import messaging, nguyen_thread
from tests.http.test_learning_routes import unchanged


def test_a_thread_is_started_replied_to_and_read(api: Api) -> None:
    enrolled_child(api.world)
    lead = api.client("lead_instructor")

    started = lead.post(
        f"/api/v1/families/{api.world.family.id}/threads",
        json={"subject": "Robot kits", "body": "Please bring the robot kit on Monday."},
    )
    thread_id = started.json()["thread_id"]
    replied = api.client("front_desk").post(
        f"/api/v1/threads/{thread_id}/messages", json={"body": "And a water bottle."}
    )
    read = api.client("campus_manager").get(f"/api/v1/threads/{thread_id}/messages")
    listed = lead.get(f"/api/v1/families/{api.world.family.id}/threads")

    assert started.status_code == 201, started.text
    message = started.json()
    assert message["sender_type"] == "staff"
    assert message["sender_staff_id"] == str(api.world.staff["lead_instructor"].id)
    assert message["recipient_type"] == "parent"
    assert message["recipient_family_id"] == str(api.world.family.id)
    assert message["sender_family_id"] is None
    assert message["is_read"] is False
    assert replied.status_code == 201, replied.text
    assert replied.json()["subject"] == "Robot kits"
    assert replied.json()["thread_id"] == thread_id
    assert read.status_code == 200, read.text
    assert [m["body"] for m in read.json()["items"]] == [
        "Please bring the robot kit on Monday.",
        "And a water bottle.",
    ]
    assert read.json()["total"] == 2
    assert listed.status_code == 200, listed.text
    [summary] = listed.json()["items"]
    assert summary["thread_id"] == thread_id
    assert summary["message_count"] == 2
    assert summary["unread_for_family"] == 2
    assert summary["unread_for_me"] == 0
    assert sorted(summary["staff_ids"]) == sorted(
        str(api.world.staff[who].id) for who in ("lead_instructor", "front_desk")
    )


def test_the_recipient_marks_a_familys_reply_read_and_counts_unread(api: Api) -> None:
    started = nguyen_thread(api.world, "front_desk")
    answer = messaging(api.world).receive_from_family(
        api.world.org_id, api.world.family.id, started.thread_id, "Will do, thanks!"
    )
    desk = api.client("front_desk")

    before = desk.get("/api/v1/messages/unread-count")
    marked = desk.post(f"/api/v1/messages/{answer.id}/read")
    again = desk.post(f"/api/v1/messages/{answer.id}/read")
    after = desk.get("/api/v1/messages/unread-count")

    assert before.json() == {"unread": 1}
    assert marked.status_code == 200, marked.text
    assert marked.json()["is_read"] is True
    assert marked.json()["read_at"] is not None
    assert again.json()["read_at"] == marked.json()["read_at"]
    assert after.json() == {"unread": 0}
    assert api.client("lead_instructor").get("/api/v1/messages/unread-count").json() == {
        "unread": 0
    }
    refused = unchanged(api, "super_admin", "POST", f"/api/v1/messages/{answer.id}/read", None, 403)
    assert "sent to" in refused["detail"]


def test_announcements_go_to_each_family_once(api: Api) -> None:
    enrolled_child(api.world)
    manager = api.client("campus_manager")
    body = {"subject": "Open day", "body": "Come and see what the children have built."}

    to_cohort = manager.post(f"/api/v1/cohorts/{api.world.cohort.id}/announcements", json=body)
    to_campus = manager.post(f"/api/v1/campuses/{api.world.campus.id}/announcements", json=body)
    nobody = api.client("super_admin").post(
        f"/api/v1/campuses/{api.world.other_campus.id}/announcements", json=body
    )

    assert to_cohort.status_code == 201, to_cohort.text
    assert to_cohort.json()["sent"] == 1
    [message] = to_cohort.json()["messages"]
    assert message["recipient_family_id"] == str(api.world.family.id)
    assert message["subject"] == "Open day"
    assert to_campus.json()["sent"] == 1
    assert nobody.status_code == 201, nobody.text
    assert nobody.json() == {"sent": 0, "messages": []}


def test_bad_messages_are_refused_and_nothing_is_written(api: Api) -> None:
    thread = nguyen_thread(api.world)
    family = f"/api/v1/families/{api.world.family.id}/threads"

    blank = unchanged(api, "super_admin", "POST", family, {"subject": " ", "body": "Hi"}, 422)
    wrong_type = unchanged(api, "super_admin", "POST", family, {"subject": "Hi", "body": 3}, 400)
    unknown_field = unchanged(
        api, "super_admin", "POST", family, {"subject": "Hi", "body": "Hi", "cc": "x"}, 400
    )
    missing = unchanged(api, "super_admin", "POST", family, {"subject": "Hi"}, 400)
    long_subject = unchanged(
        api, "super_admin", "POST", family, {"subject": "x" * 201, "body": "Hi"}, 422
    )
    blank_reply = unchanged(
        api,
        "super_admin",
        "POST",
        f"/api/v1/threads/{thread.thread_id}/messages",
        {"body": ""},
        422,
    )
    announcement = unchanged(
        api,
        "super_admin",
        "POST",
        f"/api/v1/cohorts/{api.world.cohort.id}/announcements",
        {"subject": "", "body": "Hi"},
        422,
    )

    assert blank["field"] == "Message.subject"
    assert wrong_type["errors"][0]["field"] == "body"
    assert unknown_field["errors"][0]["field"] == "cc"
    assert missing["errors"][0]["field"] == "body"
    assert long_subject["field"] == "Message.subject"
    assert blank_reply["field"] == "Message.body"
    assert announcement["field"] == "Message.subject"


def test_unknown_families_threads_and_messages_are_not_found(api: Api) -> None:
    unknown = uuid4()
    for method, path, body in [
        ("POST", f"/api/v1/families/{unknown}/threads", {"subject": "Hi", "body": "Hi"}),
        ("GET", f"/api/v1/families/{unknown}/threads", None),
        ("POST", f"/api/v1/threads/{unknown}/messages", {"body": "Hi"}),
        ("GET", f"/api/v1/threads/{unknown}/messages", None),
        ("POST", f"/api/v1/messages/{unknown}/read", None),
        ("POST", f"/api/v1/cohorts/{unknown}/announcements", {"subject": "Hi", "body": "Hi"}),
        ("POST", f"/api/v1/campuses/{unknown}/announcements", {"subject": "Hi", "body": "Hi"}),
    ]:
        assert unchanged(api, "super_admin", method, path, body, 404)["status"] == 404


def test_who_may_write_and_read_the_familys_threads(api: Api) -> None:
    thread = nguyen_thread(api.world)
    body = {"subject": "Hi", "body": "Hello"}
    family = f"/api/v1/families/{api.world.family.id}/threads"

    assistant = unchanged(api, "teaching_assistant", "POST", family, body, 403)
    unchanged(api, "other_manager", "POST", family, body, 403)
    unchanged(
        api, "other_instructor", "GET", f"/api/v1/threads/{thread.thread_id}/messages", None, 403
    )
    unchanged(
        api,
        "lead_instructor",
        "POST",
        f"/api/v1/cohorts/{api.world.cohort.id}/announcements",
        body,
        403,
    )
    approved = api.client("teaching_assistant").post(
        family,
        json={**body, "approver_id": str(api.world.staff["lead_instructor"].id)},
    )

    assert "approver_id" in assistant["detail"]
    assert approved.status_code == 201, approved.text
