"""The billing routes: invoices (list, get, tax invoice as HTML and PDF), manual invoices,
sending, voiding, credit notes and their adjustment notes; bad input writes nothing.

The school is the service tests' world (tests/unit/services/conftest.py) served by the
``api`` fixture; examples_billing.py arranges invoices (the Nguyens are a Werribee family).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from tests.http.conftest import Api, problem
from tests.http.examples_billing import credit_note, draft_invoice, sent_invoice, werribee_family
from tests.unit.services.helpers import snapshot

API = "/api/v1"
LINE = {"description": "Robot kit", "unit_price": "40.00"}


def unchanged(api: Api, call: Any) -> Any:
    """The response of ``call()``, checking that it wrote nothing."""
    before = snapshot(api.world)
    response = call()
    assert snapshot(api.world) == before
    return response


# -- listing ----------------------------------------------------------------------------------


def test_front_desk_lists_one_familys_invoices_a_page_at_a_time(api: Api) -> None:
    first = sent_invoice(api.world, "10.00")
    second = draft_invoice(api.world, "20.00")
    desk = api.client("front_desk")

    response = desk.get(f"{API}/invoices", params={"family_id": str(api.world.family.id)})
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 50, 0)
    assert [item["id"] for item in body["items"]] == [str(first.id), str(second.id)]
    item = body["items"][0]
    assert item["invoice_number"] == first.invoice_number
    assert (item["status"], item["total_amount"], item["gst_amount"]) == ("sent", "11.00", "1.00")
    assert item["amount_outstanding"] == "11.00"
    assert item["line_items"] == [
        {"description": "Robot kit", "quantity": 1, "unit_price": "10.00", "amount": "10.00"}
    ]

    paged = desk.get(
        f"{API}/invoices",
        params={"family_id": str(api.world.family.id), "limit": "1", "offset": "1"},
    ).json()
    assert (paged["total"], [i["id"] for i in paged["items"]]) == (2, [str(second.id)])


def test_invoices_are_filtered_by_status_campus_and_issue_date(api: Api) -> None:
    sent = sent_invoice(api.world, "10.00")
    draft_invoice(api.world, "20.00")
    manager = api.client("campus_manager")

    def ids(**params: str) -> list[str]:
        response = manager.get(f"{API}/invoices", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(status="sent") == [str(sent.id)]
    assert ids(status="paid") == []
    assert len(ids(campus_id=str(api.world.campus.id))) == 2
    assert len(ids(date_from="2026-01-19", date_to="2026-01-19")) == 2
    assert ids(date_from="2026-01-20") == []


def test_front_desk_cannot_list_across_families(api: Api) -> None:
    sent_invoice(api.world)
    response = api.client("front_desk").get(f"{API}/invoices")
    assert response.status_code == 403
    assert "one family at a time" in problem(response)["detail"]


def test_a_manager_cannot_ask_for_another_campus(api: Api) -> None:
    response = api.client("campus_manager").get(
        f"{API}/invoices", params={"campus_id": str(api.world.other_campus.id)}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "unpaid"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"date_from": "19/01/2026"}, "date_from"),
        ({"family_id": "nguyen"}, "family_id"),
    ],
)
def test_bad_list_parameters_are_refused(api: Api, params: dict[str, str], field: str) -> None:
    response = api.client("super_admin").get(f"{API}/invoices", params=params)
    assert response.status_code == 400
    assert field in problem(response)["detail"]


def test_a_date_range_must_not_run_backwards(api: Api) -> None:
    response = api.client("super_admin").get(
        f"{API}/invoices", params={"date_from": "2026-01-20", "date_to": "2026-01-19"}
    )
    assert response.status_code == 422
    assert problem(response)["field"] == "date_to"


# -- one invoice and its documents ------------------------------------------------------------


def test_get_an_invoice(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = api.client("campus_manager").get(f"{API}/invoices/{invoice.id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["family_id"], body["status"]) == (
        str(invoice.id),
        str(api.world.family.id),
        "sent",
    )
    assert (body["issue_date"], body["due_date"]) == ("2026-01-19", "2026-02-02")
    assert body["enrolment_id"] is None


def test_an_unknown_invoice_is_not_found(api: Api) -> None:
    client = api.client("super_admin")
    for path in ("", "/document.html", "/document.pdf", "/credit-notes"):
        response = client.get(f"{API}/invoices/{uuid4()}{path}")
        assert response.status_code == 404, path
        assert problem(response)["detail"] == "Invoice not found"


@pytest.mark.parametrize(
    "who", ["lead_instructor", "teaching_assistant", "other_manager", "other_instructor"]
)
def test_instructors_and_other_campuses_cannot_see_an_invoice(api: Api, who: str) -> None:
    invoice = sent_invoice(api.world)
    response = api.client(who).get(f"{API}/invoices/{invoice.id}")
    assert response.status_code == 403
    problem(response)


def test_the_tax_invoice_as_html(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = api.client("front_desk").get(f"{API}/invoices/{invoice.id}/document.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "style-src 'unsafe-inline'" in response.headers["content-security-policy"]
    assert "Tax invoice" in response.text
    assert invoice.invoice_number in response.text
    assert "Rocket Academy" in response.text


def test_the_tax_invoice_as_pdf(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = api.client("front_desk").get(f"{API}/invoices/{invoice.id}/document.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert invoice.invoice_number in response.headers["content-disposition"]


def test_no_tax_invoice_without_the_organisations_abn(api: Api) -> None:
    invoice = sent_invoice(api.world)
    with api.world.uow() as uow:
        uow.organisations.current().update(abn=None)
        uow.commit()
    for kind in ("html", "pdf"):
        response = api.client("super_admin").get(f"{API}/invoices/{invoice.id}/document.{kind}")
        assert response.status_code == 422
        assert problem(response)["field"] == "Organisation.abn"


def test_documents_are_refused_to_instructors(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = api.client("lead_instructor").get(f"{API}/invoices/{invoice.id}/document.pdf")
    assert response.status_code == 403
    problem(response)


# -- manual invoices, sending, voiding --------------------------------------------------------


def test_front_desk_drafts_and_sends_a_manual_invoice(api: Api) -> None:
    family = werribee_family(api.world)
    desk = api.client("front_desk")
    response = desk.post(
        f"{API}/invoices",
        json={
            "family_id": str(family.id),
            "lines": [{**LINE, "quantity": 2}, {"description": "Stickers", "unit_price": 2.5}],
            "notes": "At the counter",
        },
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["status"], draft["total_amount"], draft["gst_amount"]) == (
        "draft",
        "90.75",
        "8.25",
    )
    assert [line["amount"] for line in draft["line_items"]] == ["80.00", "2.50"]
    assert draft["notes"] == "At the counter"

    sent = desk.post(f"{API}/invoices/{draft['id']}/send")
    assert sent.status_code == 200
    assert (sent.json()["status"], sent.json()["amount_outstanding"]) == ("sent", "90.75")
    again = desk.post(f"{API}/invoices/{draft['id']}/send")
    assert again.status_code == 409
    problem(again)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"lines": [LINE]}, 400, "family_id"),
        ({"family_id": "FAMILY", "lines": [LINE]}, 400, "family_id"),
        ({"family_id": "{family}", "lines": [{**LINE, "unit_price": "forty"}]}, 400, "unit_price"),
        ({"family_id": "{family}", "lines": [{**LINE, "quantity": "two"}]}, 400, "quantity"),
        ({"family_id": "{family}", "lines": [LINE], "discount": "5.00"}, 400, "discount"),
        ({"family_id": "{family}", "lines": []}, 422, "Invoice.line_items"),
        (
            {"family_id": "{family}", "lines": [{**LINE, "unit_price": "-1.00"}]},
            422,
            "LineItem.unit_price",
        ),
        (
            {"family_id": "{family}", "lines": [{**LINE, "unit_price": "1.005"}]},
            422,
            "LineItem.unit_price",
        ),
        ({"family_id": "{family}", "lines": [{**LINE, "quantity": 0}]}, 422, "LineItem.quantity"),
        ({"family_id": "{family}", "lines": [{**LINE, "description": " "}]}, 422, "description"),
    ],
)
def test_bad_manual_invoices_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], status: int, field: str
) -> None:
    family = werribee_family(api.world)
    if body.get("family_id") == "{family}":
        body = {**body, "family_id": str(family.id)}
    response = unchanged(api, lambda: api.client("super_admin").post(f"{API}/invoices", json=body))
    assert response.status_code == status, response.text
    details = problem(response)
    assert field in (details.get("field") or details["detail"])


def test_an_invoice_for_an_unknown_family_is_not_found(api: Api) -> None:
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/invoices", json={"family_id": str(uuid4()), "lines": [LINE]}
        ),
    )
    assert response.status_code == 404
    assert problem(response)["detail"] == "Family not found"


def test_malformed_json_is_refused(api: Api) -> None:
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/invoices",
            content=b'{"family_id": ',
            headers={"content-type": "application/json"},
        ),
    )
    assert response.status_code == 400
    problem(response)


def test_another_campus_cannot_charge_the_family(api: Api) -> None:
    family = werribee_family(api.world)
    response = unchanged(
        api,
        lambda: api.client("other_manager").post(
            f"{API}/invoices", json={"family_id": str(family.id), "lines": [LINE]}
        ),
    )
    assert response.status_code == 403


def test_a_manager_voids_a_sent_invoice(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = api.client("campus_manager").post(
        f"{API}/invoices/{invoice.id}/void", json={"reason": "charged twice"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["amount_outstanding"]) == ("void", "0.00")
    assert "Void: charged twice" in body["notes"]


def test_front_desk_voids_a_sent_invoice_only_with_a_managers_approval(api: Api) -> None:
    invoice = sent_invoice(api.world)
    desk = api.client("front_desk")
    path = f"{API}/invoices/{invoice.id}/void"
    refused = unchanged(api, lambda: desk.post(path, json={"reason": "charged twice"}))
    assert refused.status_code == 403
    manager = api.world.staff["campus_manager"].id
    approved = desk.post(
        path, json={"reason": "charged twice", "approved_by_staff_id": str(manager)}
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "void"


@pytest.mark.parametrize(
    ("body", "status"),
    [({"reason": " "}, 422), ({}, 400), ({"reason": 5}, 400), ({"reason": "x", "why": "y"}, 400)],
)
def test_bad_voids_are_refused(api: Api, body: dict[str, Any], status: int) -> None:
    invoice = sent_invoice(api.world)
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(f"{API}/invoices/{invoice.id}/void", json=body),
    )
    assert response.status_code == status
    problem(response)


def test_voiding_a_void_invoice_is_a_conflict(api: Api) -> None:
    invoice = sent_invoice(api.world)
    client = api.client("super_admin")
    assert client.post(f"{API}/invoices/{invoice.id}/void", json={"reason": "x"}).status_code == 200
    again = unchanged(
        api, lambda: client.post(f"{API}/invoices/{invoice.id}/void", json={"reason": "x"})
    )
    assert again.status_code == 409


# -- credit notes -----------------------------------------------------------------------------


def test_a_manager_issues_a_credit_note_and_reads_it_back(api: Api) -> None:
    invoice = sent_invoice(api.world)
    manager = api.client("campus_manager")
    response = manager.post(
        f"{API}/invoices/{invoice.id}/credit-notes",
        json={"amount": "11.00", "reason": "one item short"},
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["credit_note_number"] == "CN-2026-000001"
    assert (note["total_amount"], note["gst_amount"], note["reason"]) == (
        "11.00",
        "1.00",
        "one item short",
    )
    assert note["invoice_id"] == str(invoice.id)

    assert manager.get(f"{API}/credit-notes/{note['id']}").json() == note
    listed = manager.get(f"{API}/invoices/{invoice.id}/credit-notes")
    assert listed.status_code == 200
    assert listed.json() == [note]
    assert manager.get(f"{API}/invoices/{invoice.id}").json()["amount_outstanding"] == "33.00"


def test_the_adjustment_note_as_html_and_pdf(api: Api) -> None:
    note = credit_note(api.world)
    desk = api.client("front_desk")
    html = desk.get(f"{API}/credit-notes/{note.id}/document.html")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "Adjustment note" in html.text
    assert note.credit_note_number in html.text
    pdf = desk.get(f"{API}/credit-notes/{note.id}/document.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("amount", "status"),
    [("eleven", 400), ("0.00", 422), ("1.001", 422), ("1E+400", 422), ("NaN", 422)],
)
def test_bad_credit_note_amounts_are_refused(api: Api, amount: str, status: int) -> None:
    invoice = sent_invoice(api.world)
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/invoices/{invoice.id}/credit-notes", json={"amount": amount, "reason": "x"}
        ),
    )
    assert response.status_code == status, response.text
    if status == 422:
        assert problem(response)["field"] == "CreditNote.total_amount"


def test_a_credit_note_beyond_what_is_outstanding_is_refused(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/invoices/{invoice.id}/credit-notes", json={"amount": "44.01", "reason": "x"}
        ),
    )
    assert response.status_code in (409, 422)
    problem(response)


def test_front_desk_cannot_issue_a_credit_note_on_its_own(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = unchanged(
        api,
        lambda: api.client("front_desk").post(
            f"{API}/invoices/{invoice.id}/credit-notes", json={"amount": "1.00", "reason": "x"}
        ),
    )
    assert response.status_code == 403


def test_an_unknown_credit_note_is_not_found(api: Api) -> None:
    client = api.client("super_admin")
    for path in ("", "/document.html", "/document.pdf"):
        response = client.get(f"{API}/credit-notes/{uuid4()}{path}")
        assert response.status_code == 404, path
        assert problem(response)["detail"] == "CreditNote not found"
