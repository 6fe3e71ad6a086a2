"""The makeup-token routes: a student's tokens, issuing one by hand, booking a makeup visit;
bad input refused with nothing written."""

from __future__ import annotations

from datetime import date, time
from typing import Any
from uuid import UUID

import pytest
from tests.http.conftest import Api, problem
from tests.http.examples_enrolments import enrol, new_child
from tests.http.examples_makeup import with_token
from tests.unit.services.helpers import elsewhere, snapshot

from rocket_core import model as m

MISSING = "00000000-0000-4000-8000-000000000000"


def refused(api: Api, who: str, method: str, url: str, status: int, **kwargs: Any) -> Any:
    """The call answers ``status`` problem details and writes nothing; the problem."""
    before = snapshot(api.world)
    response = api.client(who).request(method, url, **kwargs)
    assert response.status_code == status, response.text
    body = problem(response)
    assert snapshot(api.world) == before
    return body


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def tokens_url(student: m.Student) -> str:
    return f"/api/v1/students/{student.id}/makeup-tokens"


def issue_url(enrolment: m.Enrolment) -> str:
    return f"/api/v1/enrolments/{enrolment.id}/makeup-tokens"


# -- issuing ------------------------------------------------------------------------------------


def test_the_lead_instructor_issues_a_token(api: Api) -> None:
    enrolment = enrol(api.world, api.world.child)
    session = api.world.sessions[1]
    token = ok(
        api.client("lead_instructor").post(
            issue_url(enrolment), json={"session_id": str(session.id), "reason": "family holiday"}
        ),
        201,
    )
    assert (token["status"], token["reason"], token["source_session_id"]) == (
        "available",
        "family holiday",
        str(session.id),
    )
    assert (token["issued_on"], token["expires_on"]) == ("2026-01-19", "2026-04-19")
    assert (token["enrolment_id"], token["program_id"]) == (
        str(enrolment.id),
        str(api.world.program.id),
    )
    assert (token["redeemed_session_id"], token["redeemed_at"]) == (None, None)
    listed = ok(api.client("front_desk").get(tokens_url(api.world.child)))
    assert (listed["total"], listed["items"]) == (1, [token])
    with api.world.uow() as uow:
        assert uow.enrolments.get(enrolment.id).makeup_tokens == 1


def test_a_token_is_issued_once_per_session(api: Api) -> None:
    enrolment = enrol(api.world, api.world.child)
    body = {"session_id": str(api.world.sessions[1].id), "reason": "sick"}
    ok(api.client("campus_manager").post(issue_url(enrolment), json=body), 201)
    problem_ = refused(api, "campus_manager", "POST", issue_url(enrolment), 409, json=body)
    assert "already has a makeup token" in problem_["detail"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"reason": "sick"}, 400, "session_id"),
        ({"session_id": "first", "reason": "sick"}, 400, "session_id"),
        ({"session_id": "{session}", "reason": "sick", "expires_on": "2030-01-01"}, 400, "expires"),
        ({"session_id": "{session}", "reason": " "}, 422, "MakeupToken.reason"),
        ({"session_id": "{other}", "reason": "sick"}, 422, "MakeupToken.source_session_id"),
        ({"session_id": MISSING, "reason": "sick"}, 404, None),
    ],
)
def test_bad_issues_are_refused(
    api: Api, body: dict[str, Any], status: int, field: str | None
) -> None:
    enrolment = enrol(api.world, api.world.child)
    _, other = elsewhere(api.world, "other_instructor", date(2026, 2, 3), time(16), time(17))
    filled = {
        key: value.format(session=api.world.sessions[1].id, other=other.id)
        if isinstance(value, str)
        else value
        for key, value in body.items()
    }
    problem_ = refused(api, "super_admin", "POST", issue_url(enrolment), status, json=filled)
    if field is not None:
        assert field in (problem_.get("field") or problem_["detail"])


def test_who_may_issue(api: Api) -> None:
    enrolment = enrol(api.world, api.world.child)
    body = {"session_id": str(api.world.sessions[1].id), "reason": "sick"}
    for who in ("teaching_assistant", "front_desk", "other_manager", "other_instructor"):
        refused(api, who, "POST", issue_url(enrolment), 403, json=body)
    refused(
        api, "super_admin", "POST", f"/api/v1/enrolments/{MISSING}/makeup-tokens", 404, json=body
    )


# -- reading ------------------------------------------------------------------------------------


def test_tokens_by_status(api: Api) -> None:
    child = with_token(api.world)
    admin = api.client("super_admin")
    assert ok(admin.get(tokens_url(child), params={"status": "available"}))["total"] == 1
    assert ok(admin.get(tokens_url(child), params={"status": "redeemed"}))["total"] == 0
    assert (
        "status"
        in refused(api, "super_admin", "GET", tokens_url(child), 400, params={"status": "lost"})[
            "detail"
        ]
    )
    refused(api, "other_manager", "GET", tokens_url(child), 403)
    refused(api, "super_admin", "GET", f"/api/v1/students/{MISSING}/makeup-tokens", 404)


# -- booking a makeup ---------------------------------------------------------------------------


def test_a_makeup_visit_spends_a_token_and_marks_the_student(api: Api) -> None:
    child = with_token(api.world)
    _, host = elsewhere(api.world, "other_instructor", date(2026, 2, 3), time(16), time(17))
    visit = ok(
        api.client("other_instructor").post(
            f"/api/v1/sessions/{host.id}/makeups", json={"student_id": str(child.id)}
        ),
        201,
    )
    token, mark = visit["token"], visit["attendance"]
    assert (token["status"], token["redeemed_session_id"]) == ("redeemed", str(host.id))
    assert (mark["status"], mark["session_id"], mark["student_id"]) == (
        "makeup",
        str(host.id),
        str(child.id),
    )
    assert mark["recorded_by_staff_id"] == str(api.world.staff["other_instructor"].id)
    assert mark["enrolment_id"] == token["enrolment_id"]
    # the host's roll shows the visitor
    roll = ok(api.client("other_instructor").get(f"/api/v1/sessions/{host.id}/roll"))
    assert [(line["student_id"], line["kind"]) for line in roll] == [(str(child.id), "makeup")]


def test_bad_makeups_are_refused(api: Api) -> None:
    child = with_token(api.world)
    _, host = elsewhere(api.world, "other_instructor", date(2026, 2, 3), time(16), time(17))
    url = f"/api/v1/sessions/{host.id}/makeups"
    assert "student_id" in refused(api, "super_admin", "POST", url, 400, json={})["detail"]
    body = {"student_id": str(child.id), "token_id": "any"}
    assert "token_id" in refused(api, "super_admin", "POST", url, 400, json=body)["detail"]
    # no token for a child who never missed anything
    nobody = {"student_id": str(new_child(api.world).id)}
    assert "no makeup token" in refused(api, "super_admin", "POST", url, 409, json=nobody)["detail"]
    # not at the child's own cohort
    own = f"/api/v1/sessions/{api.world.sessions[1].id}/makeups"
    problem_ = refused(api, "super_admin", "POST", own, 422, json={"student_id": str(child.id)})
    assert problem_["field"] == "Attendance.session_id"
    refused(
        api,
        "super_admin",
        "POST",
        f"/api/v1/sessions/{MISSING}/makeups",
        404,
        json={"student_id": str(child.id)},
    )
    refused(api, "super_admin", "POST", url, 404, json={"student_id": MISSING})
    # the host's staff book it; the student's own teachers do not
    refused(api, "lead_instructor", "POST", url, 403, json={"student_id": str(child.id)})
    with api.world.uow() as uow:
        assert all(
            t.status is m.MakeupTokenStatus.AVAILABLE
            for t in uow.makeup_tokens.list_for_student(UUID(str(child.id)))
        )
