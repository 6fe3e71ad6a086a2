"""The family and student routes: the directory, accounts, children, medical information only
for those who teach or manage the child, and bad input refused with nothing written."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from tests.http.conftest import Api, problem
from tests.http.examples_enrolments import enrol
from tests.unit.services.helpers import snapshot

from rocket_core import model as m
from rocket_core.model import EnrolmentStatus as S

FAMILIES = "/api/v1/families"


def stored_family(api: Api, family_id: Any) -> m.Family:
    with api.world.uow() as uow:
        return uow.families.get(family_id)


def stored_student(api: Api, student_id: Any) -> m.Student:
    with api.world.uow() as uow:
        return uow.students.get(UUID(str(student_id)))


def refused(api: Api, who: str, method: str, url: str, status: int, **kwargs: Any) -> Any:
    """The call answers ``status`` problem details and writes nothing; the problem."""
    before = snapshot(api.world)
    response = api.client(who).request(method, url, **kwargs)
    assert response.status_code == status, response.text
    body = problem(response)
    assert snapshot(api.world) == before
    return body


# -- the directory ----------------------------------------------------------------------------


def test_the_directory_is_a_page_of_families_by_name(api: Api) -> None:
    response = api.client("front_desk").get(FAMILIES)
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 50, 0)
    assert [f["display_name"] for f in body["items"]] == ["Nguyen", "Smith"]
    nguyen = body["items"][0]
    assert nguyen["id"] == str(api.world.family.id)
    assert nguyen["primary_contact_email"] == "mai@family.example"
    assert nguyen["is_active"] is True
    assert "account_balance" not in nguyen  # money is billing's
    page = api.client("front_desk").get(FAMILIES, params={"limit": 1, "offset": 1}).json()
    assert ([f["display_name"] for f in page["items"]], page["total"]) == (["Smith"], 2)


def test_the_directory_searches_and_filters(api: Api) -> None:
    admin = api.client("super_admin")
    found = admin.get(FAMILIES, params={"search": "JO@family"}).json()
    assert [f["display_name"] for f in found["items"]] == ["Smith"]
    assert admin.post(f"{FAMILIES}/{api.world.other_family.id}/deactivate").status_code == 200
    active = admin.get(FAMILIES, params={"active": "true"}).json()
    assert [f["display_name"] for f in active["items"]] == ["Nguyen"]
    closed = admin.get(FAMILIES, params={"active": "false"}).json()
    assert [f["display_name"] for f in closed["items"]] == ["Smith"]


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"active": "maybe"}]
)
def test_bad_directory_queries_are_refused(api: Api, params: dict[str, Any]) -> None:
    body = refused(api, "super_admin", "GET", FAMILIES, 400, params=params)
    assert next(iter(params)) in body["detail"]


def test_instructors_have_no_directory(api: Api) -> None:
    assert refused(api, "lead_instructor", "GET", FAMILIES, 403)["title"] == "Forbidden"


# -- accounts ---------------------------------------------------------------------------------


def test_open_read_change_and_close_a_family(api: Api) -> None:
    desk = api.client("front_desk")
    created = desk.post(
        FAMILIES,
        json={
            "primary_contact_name": "Priya Patel",
            "primary_contact_email": "Priya@Example.com",
            "family_name": "Patel",
            "postcode": "3030",
        },
    )
    assert created.status_code == 201, created.text
    family = created.json()
    assert family["primary_contact_email"] == "priya@example.com"
    assert (family["family_name"], family["postcode"], family["suburb"]) == ("Patel", "3030", None)
    url = f"{FAMILIES}/{family['id']}"
    assert desk.get(url).json() == family

    changed = desk.patch(url, json={"suburb": "Werribee", "family_name": None})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    # only the fields sent change; null clears an optional field
    assert (body["suburb"], body["family_name"], body["postcode"]) == ("Werribee", None, "3030")
    assert body["display_name"] == "Priya Patel"
    assert body["version"] == family["version"] + 1

    closed = desk.post(f"{url}/deactivate")
    assert closed.status_code == 200
    assert closed.json()["is_active"] is False


def test_an_email_already_in_use_is_a_conflict(api: Api) -> None:
    body = refused(
        api,
        "campus_manager",
        "POST",
        FAMILIES,
        409,
        json={"primary_contact_name": "Someone", "primary_contact_email": "MAI@family.example"},
    )
    assert "already the primary e-mail of family Nguyen" in body["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"primary_contact_name": "A"}, "primary_contact_email"),  # missing
        ({"primary_contact_name": "A", "primary_contact_email": 5}, "primary_contact_email"),
        (
            {"primary_contact_name": "A", "primary_contact_email": "a@x.example", "pets": 2},
            "pets",
        ),
    ],
)
def test_malformed_families_are_refused(api: Api, body: dict[str, Any], field: str) -> None:
    problem_ = refused(api, "super_admin", "POST", FAMILIES, 400, json=body)
    assert field in problem_["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"primary_contact_name": "A", "primary_contact_email": "not-an-email"}, "email"),
        ({"primary_contact_name": " ", "primary_contact_email": "a@x.example"}, "name"),
        (
            {"primary_contact_name": "A", "primary_contact_email": "a@x.example", "state": "XX"},
            "Family.state",
        ),
    ],
)
def test_invalid_families_are_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    problem_ = refused(api, "super_admin", "POST", FAMILIES, 422, json=body)
    assert field in problem_["field"]


def test_a_family_patch_refuses_bad_input_and_writes_nothing(api: Api) -> None:
    url = f"{FAMILIES}/{api.world.family.id}"
    assert "suburb" in refused(api, "super_admin", "PATCH", url, 400, json={"suburb": 3})["detail"]
    assert (
        "balance"
        in refused(api, "super_admin", "PATCH", url, 400, json={"account_balance": "0.00"})[
            "detail"
        ]
    )
    body = refused(api, "super_admin", "PATCH", url, 422, json={"suburb": "X", "postcode": "30"})
    assert body["field"] == "Family.postcode"
    assert stored_family(api, api.world.family.id).suburb is None  # all or nothing
    body = refused(api, "super_admin", "PATCH", url, 400, json={"primary_contact_name": None})
    assert "primary_contact_name" in body["detail"]


def test_a_new_primary_email_clears_the_undeliverable_flag(api: Api) -> None:
    with api.world.uow() as uow:
        uow.families.get(api.world.family.id).mark_undeliverable(
            "mailbox gone", api.world.clock.now()
        )
        uow.commit()
    url = f"{FAMILIES}/{api.world.family.id}"
    assert api.client("super_admin").get(url).json()["undeliverable_reason"] == "mailbox gone"
    body = api.client("super_admin").patch(url, json={"primary_contact_email": "mai@new.example"})
    assert (body.json()["undeliverable_at"], body.json()["undeliverable_reason"]) == (None, None)


def test_unknown_families_are_not_found(api: Api) -> None:
    missing = f"{FAMILIES}/00000000-0000-4000-8000-000000000000"
    for method, url, kwargs in [
        ("GET", missing, {}),
        ("PATCH", missing, {"json": {"suburb": "X"}}),
        ("POST", f"{missing}/deactivate", {}),
        ("GET", f"{missing}/students", {}),
        (
            "POST",
            f"{missing}/students",
            {"json": {"first_name": "A", "last_name": "B", "date_of_birth": "2017-01-01"}},
        ),
    ]:
        assert refused(api, "super_admin", method, url, 404, **kwargs)["detail"] == (
            "Family not found"
        )


def test_a_family_with_a_live_enrolment_cannot_close(api: Api) -> None:
    enrol(api.world, api.world.child, S.PENDING_PAYMENT)
    body = refused(
        api, "campus_manager", "POST", f"{FAMILIES}/{api.world.family.id}/deactivate", 409
    )
    assert "live enrolment" in body["detail"]


def test_campus_roles_change_only_families_in_their_scope(api: Api) -> None:
    enrol(api.world, api.world.child)  # the Nguyens learn at Werribee
    url = f"{FAMILIES}/{api.world.family.id}"
    refused(api, "other_manager", "PATCH", url, 403, json={"suburb": "Geelong"})
    assert api.client("other_manager").get(url).status_code == 200  # but may read it
    assert api.client("campus_manager").patch(url, json={"suburb": "Werribee"}).status_code == 200


# -- children ---------------------------------------------------------------------------------


def with_medical(api: Api, student: m.Student) -> None:
    with api.world.uow() as uow:
        uow.students.get(student.id).update(
            medical_info="Peanut allergy", dietary_restrictions="No nuts"
        )
        uow.commit()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("campus_manager", [("Kim", "Peanut allergy"), ("An", None)]),
        ("lead_instructor", [("Kim", "Peanut allergy")]),
        ("front_desk", [("Kim", None), ("An", None)]),
        ("other_manager", []),
    ],
)
def test_a_familys_children_as_each_reader_may_see_them(
    api: Api, who: str, expected: list[tuple[str, str | None]]
) -> None:
    enrol(api.world, api.world.child)
    with_medical(api, api.world.child)
    with_medical(api, api.world.sibling)
    response = api.client(who).get(f"{FAMILIES}/{api.world.family.id}/students")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(s["first_name"], s["medical_info"]) for s in items] == expected
    for item in items:
        assert item["sensitive_shown"] is (item["medical_info"] is not None)


def test_add_read_change_and_deactivate_a_child(api: Api) -> None:
    desk = api.client("front_desk")
    added = desk.post(
        f"{FAMILIES}/{api.world.family.id}/students",
        json={
            "first_name": "Bao",
            "last_name": "Nguyen",
            "date_of_birth": "2019-04-02",
            "gender": "male",
            "medical_info": "Asthma",
        },
    )
    assert added.status_code == 201, added.text
    child = added.json()
    # front desk records medical information but never reads it back
    assert (child["sensitive_shown"], child["medical_info"]) == (False, None)
    assert stored_student(api, child["id"]).medical_info == "Asthma"
    assert (child["display_name"], child["gender"], child["family_id"]) == (
        "Bao Nguyen",
        "male",
        str(api.world.family.id),
    )
    url = f"/api/v1/students/{child['id']}"
    admin = api.client("super_admin")
    assert admin.get(url).json()["medical_info"] == "Asthma"

    changed = admin.patch(url, json={"preferred_name": "Bobo", "medical_info": None})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["display_name"], body["medical_info"], body["gender"]) == (
        "Bobo Nguyen",
        None,
        "male",
    )
    closed = admin.post(f"{url}/deactivate")
    assert (closed.status_code, closed.json()["is_active"]) == (200, False)


def test_a_childs_profile_follows_the_privacy_rule(api: Api) -> None:
    enrol(api.world, api.world.child)
    with_medical(api, api.world.child)
    url = f"/api/v1/students/{api.world.child.id}"
    shown = api.client("teaching_assistant").get(url).json()
    assert (shown["sensitive_shown"], shown["dietary_restrictions"]) == (True, "No nuts")
    hidden = api.client("front_desk").get(url).json()
    assert (hidden["sensitive_shown"], hidden["dietary_restrictions"]) == (False, None)
    refused(api, "other_manager", "GET", url, 403)
    # the lead instructor may read but not change the record
    refused(api, "lead_instructor", "PATCH", url, 403, json={"pronouns": "she/her"})


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"first_name": "A", "last_name": "B"}, 400, "date_of_birth"),
        ({"first_name": "A", "last_name": "B", "date_of_birth": "1 May"}, 400, "date_of_birth"),
        (
            {"first_name": "A", "last_name": "B", "date_of_birth": "2017-01-01", "gender": "x"},
            400,
            "gender",
        ),
        (
            {"first_name": "A", "last_name": "B", "date_of_birth": "2017-01-01", "balance": 1},
            400,
            "balance",
        ),
        ({"first_name": "A", "last_name": "B", "date_of_birth": "2099-01-01"}, 422, "birth"),
        ({"first_name": "", "last_name": "B", "date_of_birth": "2017-01-01"}, 422, "first_name"),
    ],
)
def test_bad_children_are_refused(api: Api, body: dict[str, Any], status: int, field: str) -> None:
    url = f"{FAMILIES}/{api.world.family.id}/students"
    problem_ = refused(api, "super_admin", "POST", url, status, json=body)
    assert field in (problem_.get("field") or problem_["detail"])


def test_a_child_patch_refuses_bad_input_and_writes_nothing(api: Api) -> None:
    url = f"/api/v1/students/{api.world.child.id}"
    assert (
        "allow_photo"
        in refused(api, "super_admin", "PATCH", url, 400, json={"allow_photo": "yes please"})[
            "detail"
        ]
    )
    body = refused(
        api, "super_admin", "PATCH", url, 422, json={"pronouns": "she/her", "photo_url": "ftp://x"}
    )
    assert body["field"] == "Student.photo_url"
    assert stored_student(api, api.world.child.id).pronouns is None


def test_unknown_students_are_not_found_and_enrolled_ones_stay_active(api: Api) -> None:
    missing = "/api/v1/students/00000000-0000-4000-8000-000000000000"
    for method, url, kwargs in [
        ("GET", missing, {}),
        ("PATCH", missing, {"json": {"pronouns": "they"}}),
        ("POST", f"{missing}/deactivate", {}),
    ]:
        assert refused(api, "super_admin", method, url, 404, **kwargs)["detail"] == (
            "Student not found"
        )
    enrol(api.world, api.world.child)
    url = f"/api/v1/students/{api.world.child.id}/deactivate"
    assert "withdraw it first" in refused(api, "super_admin", "POST", url, 409)["detail"]
