"""The scheduling routes: programs, cohorts, sessions and who teaches them; JSON shapes,
bad input (nothing written) and a few permission cases. Every route x every role:
test_route_matrix.py with examples_scheduling.py.

The world's cohort meets on Mondays 2, 9, 16 and 23 February 2026, 16:00-17:30 at Werribee,
led by Linus with Tim assisting; the clock says Monday 19 January 2026.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from tests.http.conftest import Api, problem
from tests.unit.services.helpers import add_cohort, snapshot

from rocket_core import model as m


def cohort_body(api: Api, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "program_id": str(api.world.program.id),
        "campus_id": str(api.world.campus.id),
        "name": "Scratch Basics - Term 2 Wed",
        "start_date": "2026-04-22",
        "max_capacity": 8,
    }
    return {**body, **overrides}


# -- programs ----------------------------------------------------------------------------------


def test_programs_are_listed_and_read_by_everyone(api: Api) -> None:
    client = api.client("front_desk")
    listed = client.get("/api/v1/programs").json()
    assert listed["total"] == 1
    [program] = listed["items"]
    assert program["name"] == "Scratch Basics"
    assert program["default_price"] == "320.00"  # money as a string
    assert (program["age_min"], program["age_max"], program["is_active"]) == (7, 10, True)
    one = client.get(f"/api/v1/programs/{api.world.program.id}")
    assert one.status_code == 200
    assert one.json() == program


def test_a_super_admin_creates_updates_and_deactivates_a_program(api: Api) -> None:
    client = api.client("super_admin")
    created = client.post(
        "/api/v1/programs",
        json={
            "name": "Python Adventures",
            "age_min": 10,
            "age_max": 14,
            "skill_level": "intermediate",
            "duration_weeks": 10,
            "session_duration_minutes": 60,
            "default_price": "380.00",
        },
    )
    assert created.status_code == 201, created.text
    program = created.json()
    assert (program["skill_level"], program["default_price"]) == ("intermediate", "380.00")
    path = f"/api/v1/programs/{program['id']}"
    patched = client.patch(path, json={"description": "Text-based games", "age_max": None})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["description"], patched.json()["age_max"]) == ("Text-based games", None)
    assert patched.json()["name"] == "Python Adventures"
    off = client.post(f"{path}/deactivate")
    assert (off.status_code, off.json()["is_active"]) == (200, False)
    assert client.post(f"{path}/deactivate").status_code == 409
    active = client.get("/api/v1/programs", params={"active": True}).json()["items"]
    assert [p["name"] for p in active] == ["Scratch Basics"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "name"),
        ({"name": "P", "age_min": "seven"}, 400, "age_min"),
        ({"name": "P", "skill_level": "guru"}, 400, "skill_level"),
        ({"name": "P", "price": "1.00"}, 400, "price"),
        ({"name": "P", "age_min": 12, "age_max": 8}, 422, "Program.age_min"),
        ({"name": "P", "default_price": "-5.00"}, 422, "Program.default_price"),
        ({"name": "P", "duration_weeks": 0}, 422, "Program.duration_weeks"),
    ],
)
def test_bad_programs_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], status: int, field: str
) -> None:
    before = snapshot(api.world)
    response = api.client("super_admin").post("/api/v1/programs", json=body)
    assert response.status_code == status, response.text
    details = problem(response)
    if status == 422:
        assert details["field"] == field
    else:
        assert field in details["detail"]
    assert snapshot(api.world) == before


def test_programs_are_organisation_wide_so_campus_managers_do_not_change_them(api: Api) -> None:
    before = snapshot(api.world)
    client = api.client("campus_manager")
    assert client.post("/api/v1/programs", json={"name": "P"}).status_code == 403
    path = f"/api/v1/programs/{api.world.program.id}"
    assert client.patch(path, json={"name": "Q"}).status_code == 403
    assert snapshot(api.world) == before
    assert api.client("super_admin").get(f"/api/v1/programs/{uuid4()}").status_code == 404


# -- cohorts -----------------------------------------------------------------------------------


def test_a_cohort_is_created_from_a_program_and_inherits_its_defaults(api: Api) -> None:
    created = api.client("campus_manager").post("/api/v1/cohorts", json=cohort_body(api))
    assert created.status_code == 201, created.text
    cohort = created.json()
    assert cohort["status"] == "draft"
    assert cohort["tuition_price"] == "320.00"
    assert cohort["end_date"] == "2026-06-16"  # 8 weeks of the program
    assert (cohort["max_capacity"], cohort["seats_free"], cohort["current_enrolments"]) == (8, 8, 0)
    details = api.client("teaching_assistant").get(f"/api/v1/cohorts/{cohort['id']}")
    assert details.status_code == 200
    assert details.json() == {"cohort": cohort, "staff": []}


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"start_date": "next week"}, 400, "start_date"),
        ({"max_capacity": "eight"}, 400, "max_capacity"),
        ({"program_id": "scratch"}, 400, "program_id"),
        ({"capacity": 8}, 400, "capacity"),
        ({"start_date": "2026-01-01"}, 422, "Cohort.start_date"),
        ({"max_capacity": 0}, 422, "Cohort.max_capacity"),
        ({"end_date": "2026-04-01"}, 422, "Cohort.start_date"),
        ({"tuition_price": "12.345"}, 422, "Cohort.tuition_price"),
    ],
)
def test_bad_cohorts_are_refused_and_nothing_is_written(
    api: Api, overrides: dict[str, Any], status: int, field: str
) -> None:
    before = snapshot(api.world)
    response = api.client("super_admin").post("/api/v1/cohorts", json=cohort_body(api, **overrides))
    assert response.status_code == status, response.text
    details = problem(response)
    if status == 422:
        assert details["field"] == field
    else:
        assert field in details["detail"]
    assert snapshot(api.world) == before


def test_a_cohort_of_an_unknown_program_or_campus_is_not_found(api: Api) -> None:
    before = snapshot(api.world)
    client = api.client("super_admin")
    for field in ("program_id", "campus_id"):
        response = client.post("/api/v1/cohorts", json=cohort_body(api, **{field: str(uuid4())}))
        assert response.status_code == 404, response.text
    assert snapshot(api.world) == before


def test_a_campus_manager_creates_cohorts_at_their_campus_only(api: Api) -> None:
    before = snapshot(api.world)
    body = cohort_body(api, campus_id=str(api.world.other_campus.id))
    response = api.client("campus_manager").post("/api/v1/cohorts", json=body)
    assert response.status_code == 403
    assert problem(response)["title"] == "Forbidden"
    assert snapshot(api.world) == before


def test_cohorts_are_listed_with_filters(api: Api) -> None:
    world = api.world
    geelong = add_cohort(world, campus=world.other_campus, start=date(2026, 3, 4))
    draft = add_cohort(world, status=m.CohortStatus.DRAFT, start=date(2026, 4, 1), name="Draft")
    client = api.client("other_instructor")

    def names(**params: Any) -> list[str]:
        response = client.get("/api/v1/cohorts", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert names() == [str(world.cohort.id), str(geelong.id), str(draft.id)]
    assert names(campus_id=str(world.other_campus.id)) == [str(geelong.id)]
    assert names(status="draft") == [str(draft.id)]
    assert names(status=["draft", "open"]) == [str(world.cohort.id), str(geelong.id), str(draft.id)]
    assert names(program_id=str(world.program.id), date_from="2026-03-01") == [
        str(geelong.id),
        str(draft.id),
    ]
    assert names(date_to="2026-02-28") == [str(world.cohort.id)]
    assert names(limit=1, offset=2) == [str(draft.id)]
    assert client.get("/api/v1/cohorts", params={"status": "sleeping"}).status_code == 400
    assert client.get("/api/v1/cohorts", params={"date_from": "soon"}).status_code == 400
    reversed_range = client.get(
        "/api/v1/cohorts", params={"date_from": "2026-03-01", "date_to": "2026-02-01"}
    )
    assert reversed_range.status_code == 422
    assert problem(reversed_range)["field"] == "date_to"
    assert client.get("/api/v1/cohorts", params={"campus_id": str(uuid4())}).status_code == 404


def test_a_cohort_shows_its_teachers_lead_first(api: Api) -> None:
    body = api.client("front_desk").get(f"/api/v1/cohorts/{api.world.cohort.id}").json()
    assert [(a["staff_id"], a["role"]) for a in body["staff"]] == [
        (str(api.world.staff["lead_instructor"].id), "lead_instructor"),
        (str(api.world.staff["teaching_assistant"].id), "teaching_assistant"),
    ]
    assert api.client("front_desk").get(f"/api/v1/cohorts/{uuid4()}").status_code == 404


def test_a_cohort_is_updated_field_by_field(api: Api) -> None:
    client = api.client("campus_manager")
    path = f"/api/v1/cohorts/{api.world.cohort.id}"
    patched = client.patch(path, json={"room": "Lab 2", "tuition_price": "300.00"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["room"], patched.json()["tuition_price"]) == ("Lab 2", "300.00")
    cleared = client.patch(path, json={"room": None})
    assert cleared.json()["room"] is None
    before = snapshot(api.world)
    # the cohort's sessions run to 23 February
    early = client.patch(path, json={"end_date": "2026-02-16"})
    assert early.status_code == 422
    assert problem(early)["field"] == "Cohort.end_date"
    assert client.patch(path, json={"max_capacity": 10}).status_code == 400
    assert client.patch(path, json={"start_date": None}).status_code == 400
    assert snapshot(api.world) == before


def test_a_draft_cohort_gets_sessions_and_opens(api: Api) -> None:
    client = api.client("campus_manager")
    cohort = client.post("/api/v1/cohorts", json=cohort_body(api)).json()
    path = f"/api/v1/cohorts/{cohort['id']}"
    assert client.post(f"{path}/open").status_code == 409  # no sessions yet
    closure = client.post(
        f"/api/v1/campuses/{api.world.campus.id}/closures",
        json={"day": "2026-04-29", "reason": "School camp"},
    )
    assert closure.status_code == 201
    generated = client.post(
        f"{path}/sessions", json={"weekdays": [2], "start_time": "10:00:00", "length_minutes": 60}
    )
    assert generated.status_code == 201, generated.text
    body = generated.json()
    sessions = body["sessions"]
    assert len(sessions) == 7  # eight Wednesdays to 16 June, less the camp
    assert sessions[0]["scheduled_date"] == "2026-04-22"
    assert (sessions[0]["scheduled_start_time"], sessions[0]["scheduled_end_time"]) == (
        "10:00:00",
        "11:00:00",
    )
    assert [s["session_number"] for s in sessions] == list(range(1, 8))
    assert body["skipped"] == [{"day": "2026-04-29", "reason": "School camp"}]
    again = client.post(f"{path}/sessions", json={"weekdays": [2], "start_time": "10:00:00"})
    assert again.status_code == 409
    opened = client.post(f"{path}/open")
    assert (opened.status_code, opened.json()["status"]) == (200, "open")
    assert client.post(f"{path}/open").status_code == 409


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"weekdays": [2]}, 400, "start_time"),
        ({"weekdays": [2], "start_time": "10am"}, 400, "start_time"),
        ({"weekdays": "Wednesday", "start_time": "10:00:00"}, 400, "weekdays"),
        ({"weekdays": [2], "start_time": "10:00:00", "every": 1}, 400, "every"),
        ({"weekdays": [9], "start_time": "10:00:00"}, 422, "WeeklyPattern.weekdays"),
        ({"weekdays": [], "start_time": "10:00:00"}, 422, "WeeklyPattern.weekdays"),
        ({"weekdays": [2], "start_time": "23:30:00"}, 422, "WeeklyPattern.length_minutes"),
        (
            {"weekdays": [2], "start_time": "10:00:00", "length_minutes": 0},
            422,
            "WeeklyPattern.length_minutes",
        ),
    ],
)
def test_bad_weekly_patterns_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], status: int, field: str
) -> None:
    draft = add_cohort(api.world, status=m.CohortStatus.DRAFT, sessions=0, start=date(2026, 4, 1))
    before = snapshot(api.world)
    response = api.client("super_admin").post(f"/api/v1/cohorts/{draft.id}/sessions", json=body)
    assert response.status_code == status, response.text
    details = problem(response)
    if status == 422:
        assert details["field"] == field
    else:
        assert field in details["detail"]
    assert snapshot(api.world) == before


def test_a_cohort_is_cancelled_with_its_upcoming_sessions(api: Api) -> None:
    client = api.client("super_admin")
    path = f"/api/v1/cohorts/{api.world.cohort.id}/cancel"
    before = snapshot(api.world)
    blank = client.post(path, json={"reason": "  "})
    assert blank.status_code == 422
    assert problem(blank)["field"] == "Cohort.cancellation_reason"
    assert client.post(path, json={}).status_code == 400
    assert snapshot(api.world) == before
    cancelled = client.post(path, json={"reason": "Not enough interest"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["cohort"]["status"] == "cancelled"
    assert [s["status"] for s in body["cancelled_sessions"]] == ["cancelled"] * 4
    assert client.post(path, json={"reason": "again"}).status_code == 409


def test_instructors_are_assigned_and_unassigned(api: Api) -> None:
    client = api.client("campus_manager")
    path = f"/api/v1/cohorts/{api.world.cohort.id}/staff"
    carmen = api.world.staff["campus_manager"]
    assigned = client.post(path, json={"staff_id": str(carmen.id), "role": "teaching_assistant"})
    assert assigned.status_code == 201, assigned.text
    assert (assigned.json()["staff_id"], assigned.json()["role"]) == (
        str(carmen.id),
        "teaching_assistant",
    )
    before = snapshot(api.world)
    again = client.post(path, json={"staff_id": str(carmen.id), "role": "teaching_assistant"})
    assert again.status_code == 409
    fran = api.world.staff["front_desk"]
    front_desk = client.post(path, json={"staff_id": str(fran.id), "role": "lead_instructor"})
    assert front_desk.status_code == 422
    assert problem(front_desk)["field"] == "CohortStaff.staff_id"
    grace = api.world.staff["other_instructor"]  # works at Geelong only
    elsewhere = client.post(path, json={"staff_id": str(grace.id), "role": "teaching_assistant"})
    assert elsewhere.status_code == 409
    assert "does not work at" in problem(elsewhere)["detail"]
    bad_role = client.post(path, json={"staff_id": str(grace.id), "role": "helper"})
    assert bad_role.status_code == 400
    assert (
        client.post(path, json={"staff_id": str(uuid4()), "role": "lead_instructor"}).status_code
        == 404
    )
    assert snapshot(api.world) == before
    removed = client.delete(f"{path}/{carmen.id}")
    assert removed.status_code == 204
    assert client.delete(f"{path}/{carmen.id}").status_code == 404


def test_a_double_booked_instructor_is_refused(api: Api) -> None:
    world = api.world
    # Linus leads the Monday 16:00 class; this cohort's Wednesday session moves to Monday 16:30
    wednesday = add_cohort(world, start=date(2026, 2, 4), end=date(2026, 2, 25), sessions=1)
    client = api.client("super_admin")
    linus = world.staff["lead_instructor"]
    assigned = client.post(
        f"/api/v1/cohorts/{wednesday.id}/staff",
        json={"staff_id": str(linus.id), "role": "lead_instructor"},
    )
    assert assigned.status_code == 201, assigned.text
    with world.uow() as uow:
        [session] = uow.sessions.list_for_cohort(wednesday.id)
    before = snapshot(world)
    clash = client.post(
        f"/api/v1/sessions/{session.id}/reschedule",
        json={
            "scheduled_date": "2026-02-09",
            "scheduled_start_time": "16:30:00",
            "scheduled_end_time": "18:00:00",
        },
    )
    assert clash.status_code == 409, clash.text
    assert "double-booked" in problem(clash)["detail"]
    assert snapshot(world) == before


# -- sessions ----------------------------------------------------------------------------------


def test_sessions_are_listed_for_a_cohort_or_a_date_range(api: Api) -> None:
    world = api.world
    geelong = add_cohort(world, campus=world.other_campus, start=date(2026, 2, 4), sessions=2)
    client = api.client("teaching_assistant")
    of_cohort = client.get("/api/v1/sessions", params={"cohort_id": str(world.cohort.id)}).json()
    assert [s["session_number"] for s in of_cohort["items"]] == [1, 2, 3, 4]
    assert of_cohort["total"] == 4
    week = client.get(
        "/api/v1/sessions", params={"date_from": "2026-02-02", "date_to": "2026-02-08"}
    ).json()["items"]
    assert [(s["scheduled_date"], s["cohort_id"]) for s in week] == [
        ("2026-02-02", str(world.cohort.id)),
        ("2026-02-04", str(geelong.id)),
    ]
    at_werribee = client.get(
        "/api/v1/sessions",
        params={
            "date_from": "2026-02-01",
            "date_to": "2026-02-28",
            "campus_id": str(world.campus.id),
        },
    ).json()
    assert at_werribee["total"] == 4
    page = client.get(
        "/api/v1/sessions",
        params={"cohort_id": str(world.cohort.id), "limit": 2, "offset": 2},
    ).json()
    assert [s["session_number"] for s in page["items"]] == [3, 4]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "date_from"),
        ({"date_from": "2026-02-01"}, 422, "date_from"),
        ({"date_from": "2026-02-01", "date_to": "2027-12-31"}, 422, "date_to"),
        ({"date_from": "2026-02-09", "date_to": "2026-02-01"}, 422, "date_to"),
        ({"date_from": "Feb", "date_to": "2026-02-01"}, 400, "date_from"),
        ({"cohort_id": "cohort-1"}, 400, "cohort_id"),
        ({"cohort_id": "{id}", "status": "postponed"}, 400, "status"),
    ],
)
def test_a_bad_session_list_is_refused(
    api: Api, params: dict[str, str], status: int, field: str
) -> None:
    params = {k: v.format(id=api.world.cohort.id) for k, v in params.items()}
    response = api.client("front_desk").get("/api/v1/sessions", params=params)
    assert response.status_code == status, response.text
    details = problem(response)
    if status == 422:
        assert details["field"] == field
    else:
        assert field in details["detail"]


def test_a_session_shows_its_own_assistants(api: Api) -> None:
    session = api.world.sessions[0]
    client = api.client("campus_manager")
    carmen = api.world.staff["campus_manager"]
    path = f"/api/v1/sessions/{session.id}"
    assert client.get(path).json()["assistants"] == []
    added = client.post(f"{path}/staff", json={"staff_id": str(carmen.id)})
    assert added.status_code == 201, added.text
    assert added.json()["session_id"] == str(session.id)
    details = api.client("lead_instructor").get(path).json()
    assert details["session"]["id"] == str(session.id)
    assert [a["staff_id"] for a in details["assistants"]] == [str(carmen.id)]
    tim = api.world.staff["teaching_assistant"]  # already teaches it through the cohort
    assert client.post(f"{path}/staff", json={"staff_id": str(tim.id)}).status_code == 409
    assert client.delete(f"{path}/staff/{carmen.id}").status_code == 204
    assert client.delete(f"{path}/staff/{carmen.id}").status_code == 404
    assert client.get(f"/api/v1/sessions/{uuid4()}").status_code == 404


def test_a_session_is_cancelled_with_a_reason(api: Api) -> None:
    session = api.world.sessions[1]
    client = api.client("campus_manager")
    path = f"/api/v1/sessions/{session.id}/cancel"
    before = snapshot(api.world)
    assert client.post(path, json={}).status_code == 400
    assert client.post(path, json={"reason": "Storm", "urgent": True}).status_code == 400
    blank = client.post(path, json={"reason": ""})
    assert blank.status_code == 422
    assert problem(blank)["field"] == "Session.cancellation_reason"
    assert snapshot(api.world) == before
    cancelled = client.post(path, json={"reason": "Storm"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["session"]["status"], body["session"]["cancellation_reason"]) == (
        "cancelled",
        "Storm",
    )
    assert body["makeup_tokens"] == []  # nobody is enrolled in the world's cohort
    assert body["trial_enrolment_ids"] == []
    assert client.post(path, json={"reason": "Storm"}).status_code == 409


def test_a_lead_instructor_cancels_only_in_an_emergency(api: Api) -> None:
    session = api.world.sessions[0]
    client = api.client("lead_instructor")
    path = f"/api/v1/sessions/{session.id}/cancel"
    before = snapshot(api.world)
    refused = client.post(path, json={"reason": "Feeling lazy"})
    assert refused.status_code == 403
    assert "emergency" in problem(refused)["detail"]
    assert snapshot(api.world) == before
    assert api.client("teaching_assistant").post(path, json={"reason": "x"}).status_code == 403
    ok = client.post(path, json={"reason": "Burst pipe", "emergency": True})
    assert ok.status_code == 200, ok.text


def test_a_session_is_rescheduled_within_its_cohorts_dates(api: Api) -> None:
    session = api.world.sessions[0]
    client = api.client("campus_manager")
    path = f"/api/v1/sessions/{session.id}/reschedule"

    def move(day: str, start: str = "16:00:00", end: str = "17:30:00") -> Any:
        return client.post(
            path,
            json={"scheduled_date": day, "scheduled_start_time": start, "scheduled_end_time": end},
        )

    before = snapshot(api.world)
    outside = move("2026-03-02")
    assert outside.status_code == 422
    assert problem(outside)["field"] == "Session.scheduled_date"
    backwards = move("2026-02-03", "17:00:00", "16:00:00")
    assert backwards.status_code == 422
    assert problem(backwards)["field"] == "Session.scheduled_end_time"
    assert move("2026-02-09").status_code == 409  # onto session 2
    assert move("3 Feb").status_code == 400
    assert client.post(path, json={"scheduled_date": "2026-02-03"}).status_code == 400
    assert snapshot(api.world) == before
    moved = move("2026-02-03", "15:00:00", "16:30:00")
    assert moved.status_code == 200, moved.text
    assert (moved.json()["scheduled_date"], moved.json()["scheduled_start_time"]) == (
        "2026-02-03",
        "15:00:00",
    )
    before = snapshot(api.world)
    assert (
        api.client("other_manager")
        .post(
            path,
            json={
                "scheduled_date": "2026-02-04",
                "scheduled_start_time": "16:00:00",
                "scheduled_end_time": "17:30:00",
            },
        )
        .status_code
        == 403
    )
    assert snapshot(api.world) == before
    assert (
        api.client("super_admin")
        .post(
            f"/api/v1/sessions/{uuid4()}/reschedule",
            json={
                "scheduled_date": "2026-02-04",
                "scheduled_start_time": "16:00:00",
                "scheduled_end_time": "17:30:00",
            },
        )
        .status_code
        == 404
    )
