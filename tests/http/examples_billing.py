"""Examples of the billing routes: invoices (JSON, HTML, PDF), manual invoices, sending,
voiding and credit notes.

Every example first makes the Nguyens (``world.family``) a Werribee family (an enquiry for Kim
in the world's cohort), so the campus roles of Werribee cover them. Then, by the matrix:

- viewing (VIEW_INVOICES): super admin; campus manager of the family's campus; front desk
  one family at a time. Not the other campus's manager, not the instructors.
- charging (create, send; RECORD_PAYMENTS): super admin, campus manager, front desk.
- forgiving (void a sent invoice, credit notes; REFUND, $500 limit for a campus manager):
  super admin and campus manager; front desk only with a manager's approval (none here).

The arrangements call the use cases over a private event bus, so nothing else (credit applied
automatically, the notification outbox) reacts to them.
"""

from __future__ import annotations

from decimal import Decimal

from tests.http.routing import Example, example
from tests.unit.services.conftest import World

from rocket_core import model as m
from rocket_core.events import EventBus
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.invoicing import InvoicingService

VIEWS = frozenset({"super_admin", "campus_manager", "front_desk"})
CHARGES = frozenset({"super_admin", "campus_manager", "front_desk"})
FORGIVES = frozenset({"super_admin", "campus_manager"})


def invoicing(world: World) -> InvoicingService:
    """The invoicing use cases over the world's store, on a bus of their own."""
    return InvoicingService(world.make_uow, world.clock, EventBus())


def werribee_family(world: World) -> m.Family:
    """The Nguyens with an enquiry for Kim at Werribee (once)."""
    with world.uow() as uow:
        live = uow.enrolments.find_live(world.child.id, world.cohort.id)
    if live is None:
        EnrolmentService(world.make_uow, world.clock, EventBus()).enquire(
            world.actor("super_admin"), world.child.id, world.cohort.id
        )
    return world.family


def draft_invoice(world: World, price: str = "40.00") -> m.Invoice:
    """A draft manual invoice of the Nguyens (one line; GST is added: 44.00 for 40.00)."""
    family = werribee_family(world)
    line = m.LineItem(description="Robot kit", quantity=1, unit_price=Decimal(price))
    return invoicing(world).create_manual_invoice(world.actor("super_admin"), family.id, [line])


def sent_invoice(world: World, price: str = "40.00") -> m.Invoice:
    """A sent manual invoice of the Nguyens."""
    draft = draft_invoice(world, price)
    return invoicing(world).send_invoice(world.actor("super_admin"), draft.id)


def credit_note(world: World) -> m.CreditNote:
    """A credit note of 10.00 on a sent invoice of the Nguyens."""
    invoice = sent_invoice(world)
    return invoicing(world).issue_credit_note(
        world.actor("super_admin"), invoice.id, Decimal("10.00"), "kit not delivered"
    )


@example("GET /api/v1/invoices")
def list_invoices(world: World) -> Example:
    sent_invoice(world)
    return Example(
        method="GET",
        path="/api/v1/invoices",
        query={"family_id": str(world.family.id)},
        allowed=VIEWS,
    )


@example("GET /api/v1/invoices/{invoice_id:uuid}")
def get_invoice(world: World) -> Example:
    invoice = sent_invoice(world)
    return Example(method="GET", path=f"/api/v1/invoices/{invoice.id}", allowed=VIEWS)


@example("GET /api/v1/invoices/{invoice_id:uuid}/document.html")
def invoice_html(world: World) -> Example:
    invoice = sent_invoice(world)
    return Example(method="GET", path=f"/api/v1/invoices/{invoice.id}/document.html", allowed=VIEWS)


@example("GET /api/v1/invoices/{invoice_id:uuid}/document.pdf")
def invoice_pdf(world: World) -> Example:
    invoice = sent_invoice(world)
    return Example(method="GET", path=f"/api/v1/invoices/{invoice.id}/document.pdf", allowed=VIEWS)


@example("POST /api/v1/invoices")
def create_invoice(world: World) -> Example:
    family = werribee_family(world)
    return Example(
        method="POST",
        path="/api/v1/invoices",
        body={
            "family_id": str(family.id),
            "lines": [{"description": "Robot kit", "unit_price": "40.00", "quantity": 2}],
        },
        allowed=CHARGES,
        ok=201,
        writes=True,
    )


@example("POST /api/v1/invoices/{invoice_id:uuid}/send")
def send_invoice(world: World) -> Example:
    invoice = draft_invoice(world)
    return Example(
        method="POST",
        path=f"/api/v1/invoices/{invoice.id}/send",
        allowed=CHARGES,
        writes=True,
    )


@example("POST /api/v1/invoices/{invoice_id:uuid}/void")
def void_invoice(world: World) -> Example:
    # a sent invoice: voiding it forgives 44.00 (REFUND), unlike a draft (RECORD_PAYMENTS)
    invoice = sent_invoice(world)
    return Example(
        method="POST",
        path=f"/api/v1/invoices/{invoice.id}/void",
        body={"reason": "charged twice"},
        allowed=FORGIVES,
        writes=True,
    )


@example("POST /api/v1/invoices/{invoice_id:uuid}/credit-notes")
def create_credit_note(world: World) -> Example:
    invoice = sent_invoice(world)
    return Example(
        method="POST",
        path=f"/api/v1/invoices/{invoice.id}/credit-notes",
        body={"amount": "11.00", "reason": "one item short"},
        allowed=FORGIVES,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/invoices/{invoice_id:uuid}/credit-notes")
def list_credit_notes(world: World) -> Example:
    note = credit_note(world)
    return Example(
        method="GET", path=f"/api/v1/invoices/{note.invoice_id}/credit-notes", allowed=VIEWS
    )


@example("GET /api/v1/credit-notes/{credit_note_id:uuid}")
def get_credit_note(world: World) -> Example:
    note = credit_note(world)
    return Example(method="GET", path=f"/api/v1/credit-notes/{note.id}", allowed=VIEWS)


@example("GET /api/v1/credit-notes/{credit_note_id:uuid}/document.html")
def credit_note_html(world: World) -> Example:
    note = credit_note(world)
    return Example(
        method="GET", path=f"/api/v1/credit-notes/{note.id}/document.html", allowed=VIEWS
    )


@example("GET /api/v1/credit-notes/{credit_note_id:uuid}/document.pdf")
def credit_note_pdf(world: World) -> Example:
    note = credit_note(world)
    return Example(method="GET", path=f"/api/v1/credit-notes/{note.id}/document.pdf", allowed=VIEWS)
