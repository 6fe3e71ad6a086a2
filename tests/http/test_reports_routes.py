"""The dashboard and the CSV reports over HTTP: JSON and CSV shapes, money as plain decimals,
bad input (400 for the wrong types, 422 naming the parameter, 404 for an unknown campus) with
nothing written, and who may ask (the service tests walk every role)."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import uuid4

import pytest
from tests.http.conftest import PASSWORD, Api, problem
from tests.unit.services.helpers import ROLES, snapshot
from tests.unit.services.test_reports import arrange as arrange_school

DASHBOARD = "/api/v1/dashboard"
FIGURES = {
    "active_enrolments",
    "new_enrolments",
    "attendance_rate",
    "trial_conversion",
    "capacity_fill",
    "revenue",
    "outstanding_invoices",
}


def arrange(api: Api) -> None:
    """The reporting scenario of the service tests; its clock is three weeks on, so everyone
    logs in again (before any client is made)."""
    arrange_school(api.world)
    auth = api.container.auth()
    for who in ROLES:
        api.tokens[who] = auth.login(api.world.staff[who].email, PASSWORD).token


def rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_dashboard_of_a_campus(api: Api) -> None:
    arrange(api)

    response = api.client("campus_manager").get(
        DASHBOARD, params={"campus_id": str(api.world.campus.id)}
    )

    assert response.status_code == 200, response.text
    board = response.json()
    assert set(board) >= FIGURES
    assert (board["campus_id"], board["today"]) == (str(api.world.campus.id), "2026-02-10")
    assert board["active_enrolments"] == {
        "value": 2,
        "previous": 2,
        "window": {
            "first_day": "2026-01-01",
            "last_day": "2026-03-31",
            "previous_first_day": "2025-10-03",
            "previous_last_day": "2025-12-31",
        },
    }
    assert board["revenue"]["net"] == "295.00"
    assert board["revenue"]["previous_received"] == "300.00"
    assert board["outstanding_invoices"]["amount"] == "340.00"
    assert board["attendance_rate"]["rate"] == "0.6667"
    assert board["trial_conversion"]["rate"] == "0.0000"
    assert board["capacity_fill"]["cohorts"] == [
        {
            "cohort_id": str(api.world.cohort.id),
            "cohort_name": "Scratch Basics - Term 1 Mon",
            "campus_id": str(api.world.campus.id),
            "seats_held": 2,
            "max_capacity": 3,
            "fill": "0.6667",
        }
    ]


def test_a_date_range_and_the_instructors_view(api: Api) -> None:
    arrange(api)

    response = api.client("lead_instructor").get(
        DASHBOARD, params={"date_from": "2025-11-01", "date_to": "2025-11-30"}
    )

    assert response.status_code == 200, response.text
    board = response.json()
    assert board["revenue"] is None
    assert board["outstanding_invoices"] is None
    assert board["attendance_rate"]["window"]["previous_first_day"] == "2025-10-02"
    assert (board["attendance_rate"]["part"], board["attendance_rate"]["whole"]) == (0, 0)
    assert board["campus_id"] is None


def test_the_super_admins_dashboard_of_the_organisation(api: Api) -> None:
    arrange(api)

    board = api.client("super_admin").get(DASHBOARD).json()

    assert board["revenue"]["received"] == "390.00"
    assert board["capacity_fill"]["fill"] == "0.4286"
    assert len(board["capacity_fill"]["cohorts"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-02-01"}, "date_to"),
        ({"date_to": "2026-02-01"}, "date_from"),
        ({"date_from": "2026-02-02", "date_to": "2026-02-01"}, "date_to"),
        ({"date_from": "0001-01-01", "date_to": "2026-02-01"}, "date_from"),
        ({"date_from": "2000-01-01", "date_to": "2026-02-01"}, "date_to"),
    ],
)
@pytest.mark.parametrize(
    "path", [DASHBOARD, "/api/v1/reports/enrolments.csv", "/api/v1/reports/revenue.csv"]
)
def test_bad_periods_are_422_naming_the_parameter(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    before = snapshot(api.world)

    response = api.client("super_admin").get(path, params=params)

    assert response.status_code == 422
    assert problem(response)["field"] == field
    assert snapshot(api.world) == before


@pytest.mark.parametrize(
    "params",
    [
        {"campus_id": "werribee"},
        {"campus_id": "1234"},
        {"date_from": "next week", "date_to": "2026-02-01"},
        {"date_from": "2026-02-30", "date_to": "2026-03-01"},
        {"date_from": "2026-02-01T00:00:00", "date_to": "2026-02-02"},
    ],
)
def test_wrong_types_are_400(api: Api, params: dict[str, str]) -> None:
    before = snapshot(api.world)

    response = api.client("super_admin").get(DASHBOARD, params=params)

    assert response.status_code == 400
    assert problem(response)["errors"]
    assert snapshot(api.world) == before


@pytest.mark.parametrize(
    "path", [DASHBOARD, "/api/v1/reports/attendance.csv", "/api/v1/reports/revenue.csv"]
)
def test_an_unknown_campus_is_404(api: Api, path: str) -> None:
    response = api.client("super_admin").get(path, params={"campus_id": str(uuid4())})

    assert response.status_code == 404
    assert problem(response)["detail"].startswith("Campus")


@pytest.mark.parametrize(
    ("who", "path", "params"),
    [
        ("other_manager", DASHBOARD, "campus"),
        ("campus_manager", DASHBOARD, None),
        ("front_desk", DASHBOARD, None),
        ("other_instructor", DASHBOARD, "campus"),
        ("front_desk", "/api/v1/reports/revenue.csv", "campus"),
        ("lead_instructor", "/api/v1/reports/revenue.csv", None),
        ("campus_manager", "/api/v1/reports/revenue.csv", None),
        ("other_manager", "/api/v1/reports/enrolments.csv", "campus"),
    ],
)
def test_refused(api: Api, who: str, path: str, params: str | None) -> None:
    query = {"campus_id": str(api.world.campus.id)} if params else {}

    response = api.client(who).get(path, params=query)

    assert response.status_code == 403
    assert problem(response)["title"] == "Forbidden"


def test_anonymous_callers_must_log_in(api: Api) -> None:
    for path in (DASHBOARD, "/api/v1/reports/enrolments.csv"):
        assert api.client().get(path).status_code == 401


def test_the_enrolment_report(api: Api) -> None:
    arrange(api)

    response = api.client("front_desk").get(
        "/api/v1/reports/enrolments.csv", params={"campus_id": str(api.world.campus.id)}
    )

    found = rows(response)
    assert response.headers["content-disposition"] == (
        'attachment; filename="enrolments-2026-01-01-2026-03-31.csv"'
    )
    assert response.text.startswith("enrolment_id,status,enrolment_date,")
    assert [(r["student_name"], r["status"], r["is_trial"]) for r in found] == [
        ("An Nguyen", "pending_payment", "false"),
        ("Kim Nguyen", "active", "false"),
        ("Alex Smith", "trial", "true"),
    ]
    assert found[1]["start_date"] == "2026-02-02"
    assert found[1]["end_date"] == ""
    assert found[1]["enrolment_date"] == "2026-01-10T11:00:00+11:00"
    assert found[1]["campus_name"] == "Werribee"


def test_the_revenue_report(api: Api) -> None:
    arrange(api)

    found = rows(api.client("super_admin").get("/api/v1/reports/revenue.csv"))

    assert [(r["kind"], r["amount"], r["status"]) for r in found] == [
        ("payment", "40.00", "received"),
        ("payment", "300.00", "received"),
        ("payment", "50.00", "received"),
        ("refund", "-20.00", "succeeded"),
        ("refund", "-5.00", "pending"),
    ]
    # text a spreadsheet would run as a formula is quoted
    assert found[1]["reference_number"] == "'=SUM(A1)"
    assert found[1]["invoice_number"] == "INV-2026-000001"
    assert found[2]["invoice_number"] == found[2]["campus_id"] == ""


def test_the_attendance_report_of_a_teaching_assistant(api: Api) -> None:
    arrange(api)

    found = rows(
        api.client("teaching_assistant").get(
            "/api/v1/reports/attendance.csv",
            params={"date_from": "2026-02-01", "date_to": "2026-02-28"},
        )
    )

    assert [(r["session_date"], r["student_name"], r["status"]) for r in found] == [
        ("2026-02-02", "Kim Nguyen", "present"),
        ("2026-02-09", "Kim Nguyen", "late"),
        ("2026-02-09", "Alex Smith", "present"),
    ]
    assert found[0]["session_number"] == "1"


def test_an_empty_report_still_has_its_header(api: Api) -> None:
    response = api.client("super_admin").get("/api/v1/reports/attendance.csv")

    assert rows(response) == []
    assert response.text == (
        "session_date,session_id,session_number,cohort_id,cohort_name,campus_id,campus_name,"
        "student_id,student_name,status,recorded_at,recorded_by_staff_id,attendance_id\r\n"
    )
