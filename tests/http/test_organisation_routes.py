"""The organisation routes: details and settings, campuses and closure dates, staff
accounts; JSON shapes, bad input (nothing written) and a few permission cases. Every route x
every role: test_route_matrix.py with examples_organisation.py."""

from __future__ import annotations

from uuid import uuid4

import pytest
from tests.http.conftest import PASSWORD, Api, problem
from tests.unit.services.helpers import snapshot


def test_every_staff_member_reads_the_organisation_and_its_settings(api: Api) -> None:
    client = api.client("teaching_assistant")
    organisation = client.get("/api/v1/organisation")
    assert organisation.status_code == 200
    assert organisation.json()["name"] == "Rocket Academy"
    assert organisation.json()["abn"] == "51824753556"
    settings = client.get("/api/v1/organisation/settings").json()
    assert settings["gst_rate"] == "0.10"  # decimals as strings
    assert settings["campus_manager_refund_limit"] == "500.00"
    assert settings["invoice_due_days"] == 14


def test_a_super_admin_changes_details_and_clears_an_optional_one(api: Api) -> None:
    client = api.client("super_admin")
    changed = client.patch(
        "/api/v1/organisation", json={"name": "Rocket Coding Academy", "abn": None}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["abn"]) == ("Rocket Coding Academy", None)
    with api.world.uow() as uow:
        organisation = uow.organisations.current()
    assert (organisation.name, organisation.abn) == ("Rocket Coding Academy", None)


def test_settings_change_one_field_at_a_time(api: Api) -> None:
    changed = api.client("super_admin").patch(
        "/api/v1/organisation/settings", json={"gst_rate": "0.15", "invoice_due_days": 21}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["gst_rate"], changed.json()["invoice_due_days"]) == ("0.15", 21)
    assert changed.json()["overdue_after_days"] == 7
    with api.world.uow() as uow:
        assert uow.organisations.current().settings.invoice_due_days == 21


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/v1/organisation", {"name": 7}, 400, "name"),
        ("/api/v1/organisation", {"name": None}, 400, "name"),
        ("/api/v1/organisation", {"nmae": "X"}, 400, "nmae"),
        ("/api/v1/organisation", {"abn": "123"}, 422, "Organisation.abn"),
        ("/api/v1/organisation/settings", {"gst_rate": "lots"}, 400, "gst_rate"),
        (
            "/api/v1/organisation/settings",
            {"gst_rate": "1.5"},
            422,
            "OrganisationSettings.gst_rate",
        ),
        ("/api/v1/organisation/settings", {"invoice_due_days": -1}, 422, None),
    ],
)
def test_bad_organisation_changes_are_refused_and_nothing_is_written(
    api: Api, path: str, body: dict[str, object], status: int, field: str | None
) -> None:
    before = snapshot(api.world)
    response = api.client("super_admin").patch(path, json=body)
    assert response.status_code == status, response.text
    details = problem(response)
    if status == 400:
        assert field in details["detail"]
    elif field is not None:
        assert details["field"] == field
    assert snapshot(api.world) == before


def test_a_campus_manager_may_not_change_organisation_settings(api: Api) -> None:
    before = snapshot(api.world)
    response = api.client("campus_manager").patch(
        "/api/v1/organisation/settings", json={"invoice_due_days": 30}
    )
    assert response.status_code == 403
    assert problem(response)["title"] == "Forbidden"
    assert snapshot(api.world) == before


# -- campuses ----------------------------------------------------------------------------------


def test_campuses_are_listed_paged_and_filtered(api: Api) -> None:
    client = api.client("front_desk")
    listed = client.get("/api/v1/campuses").json()
    assert [c["name"] for c in listed["items"]] == ["Geelong", "Werribee"]
    assert (listed["total"], listed["limit"], listed["offset"]) == (2, 50, 0)
    second = client.get("/api/v1/campuses", params={"limit": 1, "offset": 1}).json()
    assert [c["name"] for c in second["items"]] == ["Werribee"]
    assert second["total"] == 2
    inactive = client.get("/api/v1/campuses", params={"active": "false"}).json()
    assert inactive["items"] == []
    assert client.get("/api/v1/campuses", params={"limit": 0}).status_code == 400


def test_a_super_admin_opens_a_campus(api: Api) -> None:
    response = api.client("super_admin").post(
        "/api/v1/campuses",
        json={
            "name": "Ballarat",
            "state": "VIC",
            "postcode": "3350",
            "timezone": "Australia/Melbourne",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["state"], body["is_active"]) == ("Ballarat", "VIC", True)
    assert body["closure_dates"] == []
    fetched = api.client("teaching_assistant").get(f"/api/v1/campuses/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "name"),
        ({"name": "Ballarat", "postcode": 3350}, 400, "postcode"),
        ({"name": "Ballarat", "colour": "red"}, 400, "colour"),
        ({"name": "Ballarat", "timezone": "Mars/Olympus"}, 422, "Campus.timezone"),
        ({"name": "Ballarat", "state": "XYZ"}, 422, "Campus.state"),
        ({"name": ""}, 422, "Campus.name"),
    ],
)
def test_bad_campuses_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, object], status: int, field: str
) -> None:
    before = snapshot(api.world)
    response = api.client("super_admin").post("/api/v1/campuses", json=body)
    assert response.status_code == status, response.text
    details = problem(response)
    if status == 422:
        assert details["field"] == field
    else:
        assert field in details["detail"]
    assert snapshot(api.world) == before


def test_a_duplicate_campus_name_is_a_conflict(api: Api) -> None:
    response = api.client("super_admin").post("/api/v1/campuses", json={"name": "werribee"})
    assert response.status_code == 409
    assert "already a campus" in problem(response)["detail"]


def test_a_campus_manager_updates_their_campus_only(api: Api) -> None:
    client = api.client("campus_manager")
    mine = client.patch(f"/api/v1/campuses/{api.world.campus.id}", json={"suburb": "Hoppers"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["suburb"] == "Hoppers"
    assert mine.json()["name"] == "Werribee"
    before = snapshot(api.world)
    theirs = client.patch(f"/api/v1/campuses/{api.world.other_campus.id}", json={"suburb": "X"})
    assert theirs.status_code == 403
    assert snapshot(api.world) == before


def test_unknown_and_malformed_campus_ids(api: Api) -> None:
    client = api.client("super_admin")
    unknown = client.get(f"/api/v1/campuses/{uuid4()}")
    assert unknown.status_code == 404
    assert problem(unknown)["detail"] == "Campus not found"
    assert client.get("/api/v1/campuses/not-a-uuid").status_code in (400, 404)
    before = snapshot(api.world)
    assert client.post(f"/api/v1/campuses/{uuid4()}/deactivate").status_code == 404
    assert snapshot(api.world) == before


def test_a_campus_is_deactivated_and_reactivated(api: Api) -> None:
    client = api.client("super_admin")
    path = f"/api/v1/campuses/{api.world.other_campus.id}"
    off = client.post(f"{path}/deactivate")
    assert off.status_code == 200, off.text
    assert off.json()["is_active"] is False
    assert client.post(f"{path}/deactivate").status_code == 409
    listed = client.get("/api/v1/campuses", params={"active": False}).json()["items"]
    assert [c["name"] for c in listed] == ["Geelong"]
    on = client.post(f"{path}/reactivate")
    assert (on.status_code, on.json()["is_active"]) == (200, True)


def test_closure_dates_list_the_sessions_already_on_that_day(api: Api) -> None:
    client = api.client("campus_manager")
    path = f"/api/v1/campuses/{api.world.campus.id}/closures"
    added = client.post(path, json={"day": "2026-02-09", "reason": "Storm clean-up"})
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["campus"]["closure_dates"] == [{"day": "2026-02-09", "reason": "Storm clean-up"}]
    [session] = body["sessions_on_day"]
    assert (session["id"], session["scheduled_start_time"]) == (
        str(api.world.sessions[1].id),
        "16:00:00",
    )
    assert client.post(path, json={"day": "2026-02-09", "reason": "Again"}).status_code == 409
    removed = client.delete(f"{path}/2026-02-09")
    assert removed.status_code == 204
    assert removed.content == b""
    assert client.delete(f"{path}/2026-02-09").status_code == 404
    assert client.delete(f"{path}/not-a-date").status_code in (400, 404)


def test_a_bad_closure_is_refused(api: Api) -> None:
    before = snapshot(api.world)
    client = api.client("super_admin")
    path = f"/api/v1/campuses/{api.world.campus.id}/closures"
    assert client.post(path, json={"day": "9 Feb", "reason": "x"}).status_code == 400
    blank = client.post(path, json={"day": "2026-02-09", "reason": ""})
    assert blank.status_code == 422
    assert problem(blank)["field"] == "ClosureDate.reason"
    assert snapshot(api.world) == before


# -- staff -------------------------------------------------------------------------------------


def test_a_super_admin_lists_staff_with_filters(api: Api) -> None:
    client = api.client("super_admin")
    everyone = client.get("/api/v1/staff").json()
    assert everyone["total"] == 7
    assert "password_hash" not in everyone["items"][0]
    leads = client.get("/api/v1/staff", params={"role": "lead_instructor"}).json()["items"]
    assert sorted(s["first_name"] for s in leads) == ["Grace", "Linus"]
    at_geelong = client.get(
        "/api/v1/staff", params={"campus_id": str(api.world.other_campus.id)}
    ).json()["items"]
    assert sorted(s["first_name"] for s in at_geelong) == ["Grace", "Omar"]
    assert client.get("/api/v1/staff", params={"role": "janitor"}).status_code == 400
    assert client.get("/api/v1/staff", params={"campus_id": str(uuid4())}).status_code == 404


def test_a_campus_manager_lists_the_staff_of_their_campus(api: Api) -> None:
    client = api.client("campus_manager")
    mine = client.get("/api/v1/staff").json()["items"]
    assert sorted(s["first_name"] for s in mine) == ["Carmen", "Fran", "Linus", "Tim"]
    elsewhere = client.get("/api/v1/staff", params={"campus_id": str(api.world.other_campus.id)})
    assert elsewhere.status_code == 403
    assert api.client("front_desk").get("/api/v1/staff").status_code == 403


def test_a_super_admin_opens_a_staff_account_who_then_logs_in(api: Api) -> None:
    admin = api.client("super_admin")
    created = admin.post(
        "/api/v1/staff",
        json={
            "email": "Hedy@Rocket.Example",
            "first_name": "Hedy",
            "last_name": "Lamarr",
            "role": "teaching_assistant",
            "hired_date": "2026-01-05",
            "qualifications": [{"name": "WWCC", "reference": "WWC123", "expires_on": "2030-01-01"}],
        },
    )
    assert created.status_code == 201, created.text
    staff = created.json()
    assert (staff["email"], staff["role"], staff["is_active"]) == (
        "hedy@rocket.example",
        "teaching_assistant",
        True,
    )
    assert staff["qualifications"] == [
        {"name": "WWCC", "reference": "WWC123", "expires_on": "2030-01-01"}
    ]
    anonymous = api.client()
    login = {"email": "hedy@rocket.example", "password": "hedy's long password"}
    assert anonymous.post("/api/v1/auth/login", json=login).status_code == 401
    password = admin.post(
        f"/api/v1/staff/{staff['id']}/password", json={"password": login["password"]}
    )
    assert password.status_code == 204, password.text
    assert anonymous.post("/api/v1/auth/login", json=login).status_code == 200
    assigned = admin.post(
        f"/api/v1/staff/{staff['id']}/campuses", json={"campus_id": str(api.world.campus.id)}
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["campus_id"] == str(api.world.campus.id)
    details = admin.get(f"/api/v1/staff/{staff['id']}").json()
    assert details["campus_ids"] == [str(api.world.campus.id)]
    assert details["staff"]["id"] == staff["id"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "x@rocket.example", "first_name": "X", "last_name": "Y"}, 400, "role"),
        (
            {"email": "x@rocket.example", "first_name": "X", "last_name": "Y", "role": "boss"},
            400,
            "role",
        ),
        (
            {
                "email": "x@rocket.example",
                "first_name": "X",
                "last_name": "Y",
                "role": "front_desk",
                "pin": 1,
            },
            400,
            "pin",
        ),
        (
            {"email": "not-an-email", "first_name": "X", "last_name": "Y", "role": "front_desk"},
            422,
            "Staff.email",
        ),
        (
            {
                "email": "x@rocket.example",
                "first_name": "X",
                "last_name": "Y",
                "role": "front_desk",
                "qualifications": [{"name": ""}],
            },
            422,
            "Qualification.name",
        ),
        (
            {
                "email": "x@rocket.example",
                "first_name": "X",
                "last_name": "Y",
                "role": "front_desk",
                "qualifications": [{"name": "A", "extra": 1}],
            },
            400,
            "extra",
        ),
    ],
)
def test_bad_staff_accounts_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, object], status: int, field: str
) -> None:
    before = snapshot(api.world)
    response = api.client("super_admin").post("/api/v1/staff", json=body)
    assert response.status_code == status, response.text
    details = problem(response)
    if status == 422:
        assert details["field"] == field
    else:
        assert field in details["detail"]
    assert snapshot(api.world) == before


def test_a_duplicate_staff_email_is_a_conflict(api: Api) -> None:
    before = snapshot(api.world)
    response = api.client("super_admin").post(
        "/api/v1/staff",
        json={
            "email": "FRAN@rocket.example",
            "first_name": "Fran",
            "last_name": "Again",
            "role": "front_desk",
        },
    )
    assert response.status_code == 409
    assert snapshot(api.world) == before


def test_staff_read_their_own_account_and_a_manager_reads_their_campus_staff(api: Api) -> None:
    tim = api.world.staff["teaching_assistant"]
    own = api.client("teaching_assistant").get(f"/api/v1/staff/{tim.id}")
    assert own.status_code == 200
    assert own.json()["campus_ids"] == [str(api.world.campus.id)]
    assert api.client("campus_manager").get(f"/api/v1/staff/{tim.id}").status_code == 200
    assert api.client("other_manager").get(f"/api/v1/staff/{tim.id}").status_code == 403
    fran = api.world.staff["front_desk"]
    assert api.client("teaching_assistant").get(f"/api/v1/staff/{fran.id}").status_code == 403
    assert api.client("super_admin").get(f"/api/v1/staff/{uuid4()}").status_code == 404


def test_staff_details_roles_and_activity_change(api: Api) -> None:
    admin = api.client("super_admin")
    fran = api.world.staff["front_desk"]
    path = f"/api/v1/staff/{fran.id}"
    patched = admin.patch(path, json={"phone": "0412 345 678", "qualifications": []})
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == "0412 345 678"
    assert patched.json()["first_name"] == "Fran"
    role = admin.post(f"{path}/role", json={"role": "teaching_assistant"})
    assert (role.status_code, role.json()["role"]) == (200, "teaching_assistant")
    assert admin.post(f"{path}/role", json={"role": "teaching_assistant"}).status_code == 409
    off = admin.post(f"{path}/deactivate")
    assert off.status_code == 200, off.text
    assert off.json()["staff"]["is_active"] is False
    assert off.json()["upcoming_sessions"] == []
    inactive = admin.get("/api/v1/staff", params={"active": False}).json()["items"]
    assert [s["id"] for s in inactive] == [str(fran.id)]
    on = admin.post(f"{path}/reactivate")
    assert (on.status_code, on.json()["is_active"]) == (200, True)


def test_deactivating_an_instructor_lists_their_upcoming_sessions(api: Api) -> None:
    linus = api.world.staff["lead_instructor"]
    off = api.client("super_admin").post(f"/api/v1/staff/{linus.id}/deactivate")
    assert off.status_code == 200, off.text
    upcoming = [s["id"] for s in off.json()["upcoming_sessions"]]
    assert upcoming == [str(s.id) for s in api.world.sessions]


def test_a_super_admin_cannot_change_their_own_role(api: Api) -> None:
    before = snapshot(api.world)
    ada = api.world.staff["super_admin"]
    response = api.client("super_admin").post(
        f"/api/v1/staff/{ada.id}/role", json={"role": "front_desk"}
    )
    assert response.status_code == 403
    assert snapshot(api.world) == before


def test_bad_staff_changes_are_refused_and_nothing_is_written(api: Api) -> None:
    before = snapshot(api.world)
    admin = api.client("super_admin")
    path = f"/api/v1/staff/{api.world.staff['front_desk'].id}"
    assert admin.patch(path, json={"role": "super_admin"}).status_code == 400
    assert admin.patch(path, json={"hired_date": "yesterday"}).status_code == 400
    bad = admin.patch(path, json={"email": "nope"})
    assert bad.status_code == 422
    assert problem(bad)["field"] == "Staff.email"
    assert admin.post(f"{path}/role", json={"role": "janitor"}).status_code == 400
    short = admin.post(f"{path}/password", json={"password": "short"})
    assert short.status_code == 422
    assert problem(short)["field"] == "password"
    assert admin.patch(f"/api/v1/staff/{uuid4()}", json={"first_name": "X"}).status_code == 404
    assert snapshot(api.world) == before


def test_staff_set_their_own_password_but_not_anothers(api: Api) -> None:
    fran = api.world.staff["front_desk"]
    tim = api.world.staff["teaching_assistant"]
    client = api.client("teaching_assistant")
    before = snapshot(api.world)
    other = client.post(f"/api/v1/staff/{fran.id}/password", json={"password": "x" * 20})
    assert other.status_code == 403
    assert snapshot(api.world) == before
    own = client.post(f"/api/v1/staff/{tim.id}/password", json={"password": "tim's new password"})
    assert own.status_code == 204
    anonymous = api.client()
    old = {"email": tim.email, "password": PASSWORD}
    assert anonymous.post("/api/v1/auth/login", json=old).status_code == 401
    new = {"email": tim.email, "password": "tim's new password"}
    assert anonymous.post("/api/v1/auth/login", json=new).status_code == 200


def test_campus_assignments_are_added_and_removed(api: Api) -> None:
    admin = api.client("super_admin")
    grace = api.world.staff["other_instructor"]
    path = f"/api/v1/staff/{grace.id}/campuses"
    campus = str(api.world.campus.id)
    assert admin.post(path, json={"campus_id": campus}).status_code == 201
    assert admin.post(path, json={"campus_id": campus}).status_code == 409
    assert admin.post(path, json={"campus_id": str(uuid4())}).status_code == 404
    assert admin.post(path, json={"campus_id": "werribee"}).status_code == 400
    removed = admin.delete(f"{path}/{campus}")
    assert removed.status_code == 204
    assert admin.delete(f"{path}/{campus}").status_code == 404
    with api.world.uow() as uow:
        assert uow.campus_staff.find_assignment(api.world.campus.id, grace.id) is None


def test_only_super_admins_manage_staff_accounts(api: Api) -> None:
    before = snapshot(api.world)
    carmen = api.client("campus_manager")
    fran = api.world.staff["front_desk"]
    assert carmen.patch(f"/api/v1/staff/{fran.id}", json={"first_name": "F"}).status_code == 403
    assert carmen.post(f"/api/v1/staff/{fran.id}/deactivate").status_code == 403
    assert (
        carmen.post(
            "/api/v1/staff",
            json={
                "email": "a@b.example",
                "first_name": "A",
                "last_name": "B",
                "role": "front_desk",
            },
        ).status_code
        == 403
    )
    assert snapshot(api.world) == before
