"""The payment routes: recording payments (where the money went), reading them, refunds within
the limits, applying credit and the family ledger; bad input writes nothing.

The school is the service tests' world served by the ``api`` fixture; examples_billing.py and
examples_payments.py arrange invoices and payments (the Nguyens are a Werribee family). One
client per test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from tests.http.conftest import Api, problem
from tests.http.examples_billing import draft_invoice, sent_invoice, werribee_family
from tests.http.examples_payments import cash
from tests.unit.services.helpers import snapshot

API = "/api/v1"


def unchanged(api: Api, call: Any) -> Any:
    """The response of ``call()``, checking that it wrote nothing."""
    before = snapshot(api.world)
    response = call()
    assert snapshot(api.world) == before
    return response


def payment_body(api: Api, **changes: Any) -> dict[str, Any]:
    family = werribee_family(api.world)
    return {"family_id": str(family.id), "amount": "50.00", "method": "cash", **changes}


# -- recording --------------------------------------------------------------------------------


def test_front_desk_records_a_payment_that_pays_an_invoice_and_leaves_credit(api: Api) -> None:
    invoice = sent_invoice(api.world)  # 44.00
    response = api.client("front_desk").post(
        f"{API}/payments",
        json=payment_body(
            api,
            amount="50.00",
            method="bank_transfer",
            invoice_id=str(invoice.id),
            reference_number="NGUYEN-0119",
            notes="term 1",
        ),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    payment = body["payment"]
    assert (payment["amount"], payment["payment_method"], payment["invoice_id"]) == (
        "50.00",
        "bank_transfer",
        str(invoice.id),
    )
    assert (payment["reference_number"], payment["notes"]) == ("NGUYEN-0119", "term 1")
    assert payment["recorded_by_staff_id"] == str(api.world.staff["front_desk"].id)
    assert payment["payment_date"] == "2026-01-19T09:00:00Z"
    [allocation] = body["allocations"]
    assert (allocation["invoice_number"], allocation["amount"], allocation["still_applied"]) == (
        invoice.invoice_number,
        "44.00",
        "44.00",
    )
    assert (body["credit"], body["refunded"], body["refunds"]) == ("6.00", "0.00", [])
    with api.world.uow() as uow:
        assert uow.invoices.get(invoice.id).status.value == "paid"


def test_a_payment_may_be_dated_in_the_past_and_amounts_read_back_in_cents(api: Api) -> None:
    response = api.client("campus_manager").post(
        f"{API}/payments",
        json=payment_body(api, amount=12.5, paid_at="2026-01-18T10:00:00+11:00"),
    )
    assert response.status_code == 201, response.text
    payment = response.json()["payment"]
    assert payment["amount"] == "12.50"
    assert datetime.fromisoformat(payment["payment_date"]) == datetime(2026, 1, 17, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"amount": "fifty"}, 400, "amount"),
        ({"method": "bitcoin"}, 400, "method"),
        ({"family_id": "nguyen"}, 400, "family_id"),
        ({"paid_at": "yesterday"}, 400, "paid_at"),
        ({"tip": "5.00"}, 400, "tip"),
        ({"amount": "0.00"}, 422, "Payment.amount"),
        ({"amount": "-5.00"}, 422, "Payment.amount"),
        ({"amount": "5.001"}, 422, "Payment.amount"),
        ({"amount": "1E+400"}, 422, "Payment.amount"),
        ({"amount": "Infinity"}, 422, "Payment.amount"),
        ({"paid_at": "2026-01-20T09:00:00Z"}, 422, "Payment.payment_date"),
        ({"paid_at": "2026-01-18T09:00:00"}, 422, "Payment.payment_date"),
        ({"reference_number": "x" * 101}, 422, "Payment.reference_number"),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_written(
    api: Api, changes: dict[str, Any], status: int, field: str
) -> None:
    body = payment_body(api, **changes)
    response = unchanged(api, lambda: api.client("super_admin").post(f"{API}/payments", json=body))
    assert response.status_code == status, response.text
    details = problem(response)
    assert field in (details.get("field") or details["detail"])


def test_a_missing_amount_is_refused(api: Api) -> None:
    body = payment_body(api)
    del body["amount"]
    response = unchanged(api, lambda: api.client("super_admin").post(f"{API}/payments", json=body))
    assert response.status_code == 400
    assert "amount" in problem(response)["detail"]


def test_a_payment_for_an_unknown_family_or_invoice_is_not_found(api: Api) -> None:
    client = api.client("super_admin")
    for changes, entity in (
        ({"family_id": str(uuid4())}, "Family"),
        ({"invoice_id": str(uuid4())}, "Invoice"),
    ):
        body = payment_body(api, **changes)
        response = unchanged(api, lambda b=body: client.post(f"{API}/payments", json=b))
        assert response.status_code == 404
        assert problem(response)["detail"] == f"{entity} not found"


def test_paying_a_draft_invoice_is_a_conflict(api: Api) -> None:
    draft = draft_invoice(api.world)
    body = payment_body(api, invoice_id=str(draft.id))
    response = unchanged(api, lambda: api.client("super_admin").post(f"{API}/payments", json=body))
    assert response.status_code == 409
    problem(response)


@pytest.mark.parametrize("who", ["other_manager", "lead_instructor", "teaching_assistant"])
def test_who_may_not_record_a_payment(api: Api, who: str) -> None:
    body = payment_body(api)
    response = unchanged(api, lambda: api.client(who).post(f"{API}/payments", json=body))
    assert response.status_code == 403
    problem(response)


# -- reading ----------------------------------------------------------------------------------


def test_get_a_payment(api: Api) -> None:
    payment = cash(api.world, "30.00")
    response = api.client("front_desk").get(f"{API}/payments/{payment.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["payment"]["id"] == str(payment.id)
    assert (body["allocations"], body["credit"]) == ([], "30.00")


def test_an_unknown_payment_is_not_found(api: Api) -> None:
    response = api.client("super_admin").get(f"{API}/payments/{uuid4()}")
    assert response.status_code == 404
    assert problem(response)["detail"] == "Payment not found"


def test_a_familys_payments_a_page_at_a_time_and_by_date(api: Api) -> None:
    first = cash(api.world, "10.00")
    second = cash(api.world, "20.00")
    client = api.client("campus_manager")
    path = f"{API}/families/{api.world.family.id}/payments"

    body = client.get(path).json()
    assert body["total"] == 2
    assert {item["id"] for item in body["items"]} == {str(first.id), str(second.id)}
    assert {item["amount"] for item in body["items"]} == {"10.00", "20.00"}
    paged = client.get(path, params={"limit": "1", "offset": "1"}).json()
    assert (paged["total"], len(paged["items"]), paged["offset"]) == (2, 1, 1)
    # 09:00 UTC on 19 January is 20:00 the same day in Melbourne
    assert client.get(path, params={"date_from": "2026-01-19"}).json()["total"] == 2
    assert client.get(path, params={"date_to": "2026-01-18"}).json()["total"] == 0
    backwards = client.get(path, params={"date_from": "2026-01-20", "date_to": "2026-01-19"})
    assert (backwards.status_code, problem(backwards)["field"]) == (422, "date_to")
    assert client.get(path, params={"date_from": "soon"}).status_code == 400


def test_payments_of_an_unknown_family_are_not_found(api: Api) -> None:
    client = api.client("super_admin")
    for what in ("payments", "refunds", "ledger"):
        response = client.get(f"{API}/families/{uuid4()}/{what}")
        assert response.status_code == 404, what
        assert problem(response)["detail"] == "Family not found"


@pytest.mark.parametrize("who", ["other_manager", "lead_instructor", "teaching_assistant"])
def test_who_may_not_see_a_familys_payments(api: Api, who: str) -> None:
    payment = cash(api.world)
    client = api.client(who)
    for path in (
        f"{API}/payments/{payment.id}",
        f"{API}/families/{api.world.family.id}/payments",
        f"{API}/families/{api.world.family.id}/refunds",
        f"{API}/families/{api.world.family.id}/ledger",
    ):
        assert client.get(path).status_code == 403, path


# -- refunds ----------------------------------------------------------------------------------


def test_a_manager_refunds_part_of_a_payment(api: Api) -> None:
    payment = cash(api.world, "50.00")
    client = api.client("campus_manager")
    response = client.post(
        f"{API}/payments/{payment.id}/refunds", json={"amount": "20.00", "reason": "paid twice"}
    )
    assert response.status_code == 201, response.text
    refund = response.json()
    assert (refund["amount"], refund["status"], refund["reason"]) == (
        "20.00",
        "succeeded",
        "paid twice",
    )
    assert refund["payment_id"] == str(payment.id)
    assert refund["approved_by_staff_id"] is None

    details = client.get(f"{API}/payments/{payment.id}").json()
    assert (details["refunded"], details["credit"]) == ("20.00", "30.00")
    assert details["refunds"] == [refund]
    listed = client.get(f"{API}/families/{api.world.family.id}/refunds").json()
    assert (listed["total"], listed["items"]) == (1, [refund])


def test_a_manager_cannot_refund_above_the_limit(api: Api) -> None:
    payment = cash(api.world, "900.00")
    response = unchanged(
        api,
        lambda: api.client("campus_manager").post(
            f"{API}/payments/{payment.id}/refunds", json={"amount": "500.01", "reason": "x"}
        ),
    )
    assert response.status_code == 403
    assert "500.00" in problem(response)["detail"]


def test_a_super_admin_refunds_above_the_limit(api: Api) -> None:
    payment = cash(api.world, "900.00")
    response = api.client("super_admin").post(
        f"{API}/payments/{payment.id}/refunds", json={"amount": "800.00", "reason": "moved away"}
    )
    assert response.status_code == 201


def test_front_desk_refunds_only_with_a_managers_approval(api: Api) -> None:
    payment = cash(api.world, "50.00")
    desk = api.client("front_desk")
    path = f"{API}/payments/{payment.id}/refunds"
    alone = unchanged(api, lambda: desk.post(path, json={"amount": "5.00", "reason": "x"}))
    assert alone.status_code == 403
    manager = str(api.world.staff["campus_manager"].id)
    approved = desk.post(
        path, json={"amount": "5.00", "reason": "x", "approved_by_staff_id": manager}
    )
    assert approved.status_code == 201
    assert approved.json()["approved_by_staff_id"] == manager


def test_a_refund_never_exceeds_the_payment(api: Api) -> None:
    payment = cash(api.world, "50.00")
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/payments/{payment.id}/refunds", json={"amount": "50.01", "reason": "x"}
        ),
    )
    assert response.status_code == 409
    problem(response)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"amount": "five", "reason": "x"}, 400, "amount"),
        ({"reason": "x"}, 400, "amount"),
        ({"amount": "5.00", "reason": "x", "method": "cash"}, 400, "method"),
        ({"amount": "0.00", "reason": "x"}, 422, "Refund.amount"),
        ({"amount": "1E+400", "reason": "x"}, 422, "Refund.amount"),
        ({"amount": "5.00", "reason": " "}, 422, "Refund.reason"),
    ],
)
def test_bad_refunds_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], status: int, field: str
) -> None:
    payment = cash(api.world)
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(f"{API}/payments/{payment.id}/refunds", json=body),
    )
    assert response.status_code == status, response.text
    details = problem(response)
    assert field in (details.get("field") or details["detail"])


def test_a_refund_of_an_unknown_payment_is_not_found(api: Api) -> None:
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/payments/{uuid4()}/refunds", json={"amount": "5.00", "reason": "x"}
        ),
    )
    assert response.status_code == 404


# -- credit and the ledger --------------------------------------------------------------------


def test_credit_pays_an_open_invoice(api: Api) -> None:
    cash(api.world, "30.00")
    invoice = sent_invoice(api.world)  # 44.00, sent after the credit: left open
    response = api.client("front_desk").post(
        f"{API}/families/{api.world.family.id}/apply-credit", json={"invoice_id": str(invoice.id)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["status"], body["amount_paid"], body["amount_outstanding"]) == (
        str(invoice.id),
        "partial",
        "30.00",
        "14.00",
    )


def test_applying_credit_without_credit_is_a_conflict(api: Api) -> None:
    invoice = sent_invoice(api.world)
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/families/{api.world.family.id}/apply-credit",
            json={"invoice_id": str(invoice.id)},
        ),
    )
    assert response.status_code == 409
    assert "no credit" in problem(response)["detail"]


@pytest.mark.parametrize(("body", "status"), [({}, 400), ({"invoice_id": "INV-2026-000001"}, 400)])
def test_bad_credit_requests_are_refused(api: Api, body: dict[str, Any], status: int) -> None:
    cash(api.world)
    response = unchanged(
        api,
        lambda: api.client("super_admin").post(
            f"{API}/families/{api.world.family.id}/apply-credit", json=body
        ),
    )
    assert response.status_code == status
    problem(response)


def test_the_ledger_has_a_running_balance(api: Api) -> None:
    invoice = sent_invoice(api.world)  # 44.00
    payment = cash(api.world, "50.00")
    response = api.client("front_desk").get(f"{API}/families/{api.world.family.id}/ledger")
    assert response.status_code == 200
    body = response.json()
    assert [
        (e["kind"], e["entity_id"], e["amount"], e["balance"], e["on"]) for e in body["entries"]
    ] == [
        ("charge", str(invoice.id), "44.00", "44.00", "2026-01-19"),
        ("payment", str(payment.id), "-50.00", "-6.00", "2026-01-19"),
    ]
    assert body["entries"][0]["reference"] == invoice.invoice_number
    assert (body["balance"], body["account_balance"], body["outstanding"], body["credit"]) == (
        "-6.00",
        "-6.00",
        "0.00",
        "6.00",
    )
    assert body["family_id"] == str(api.world.family.id)
