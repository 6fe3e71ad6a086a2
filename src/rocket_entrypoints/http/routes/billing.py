"""Invoices (JSON, and the tax invoice as HTML and PDF), manual invoices, sending, voiding,
credit notes (and their adjustment notes as HTML and PDF).

Money is a string in JSON ("352.00"); a request may send a string or a number.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import attrs
from litestar import MediaType, Response, get, post

from rocket_adapters.documents import (
    render_credit_note_html,
    render_credit_note_pdf,
    render_tax_invoice_html,
    render_tax_invoice_pdf,
)
from rocket_core.model import CreditNote, Invoice, InvoiceStatus, LineItem
from rocket_core.permissions import Actor
from rocket_core.services.base import actor_for
from rocket_core.services.invoicing import InvoicingService
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page

STAFF = {"access": "staff"}
TAGS = ["billing"]
PDF = "application/pdf"
_CENT = Decimal("0.01")
_LIMIT = Decimal("100000000")
#: The documents carry their styles inline (they are self-contained pages).
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@attrs.frozen
class LineOut:
    """One line of an invoice or credit note: quantity x unit price = amount."""

    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@attrs.frozen
class InvoiceOut:
    """An invoice: its figures (paid, credited, outstanding) and its lines."""

    id: UUID
    invoice_number: str
    family_id: UUID
    enrolment_id: UUID | None
    status: InvoiceStatus
    issue_date: date
    due_date: date
    total_amount: Decimal
    gst_amount: Decimal
    discount_amount: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    amount_outstanding: Decimal
    line_items: list[LineOut]
    notes: str | None
    created_at: datetime


@attrs.frozen
class CreditNoteOut:
    """A credit note (CN-<year>-<6 digits>) taking money off an invoice."""

    id: UUID
    credit_note_number: str
    family_id: UUID
    invoice_id: UUID
    issue_date: date
    total_amount: Decimal
    gst_amount: Decimal
    line_items: list[LineOut]
    reason: str
    created_by_staff_id: UUID | None
    created_at: datetime


@attrs.frozen
class LineIn:
    """A line of a manual invoice (materials, a fee): a positive unit price."""

    description: str
    unit_price: Decimal
    quantity: int = 1


@attrs.frozen
class ManualInvoiceIn:
    """A draft invoice of free lines for a family; sending it issues it."""

    family_id: UUID
    lines: list[LineIn]
    notes: str | None = None


@attrs.frozen
class VoidIn:
    """Why the invoice is voided; front desk names the manager who approved it."""

    reason: str
    approved_by_staff_id: UUID | None = None


@attrs.frozen
class CreditNoteIn:
    """How much (GST included) to take off the invoice and why; front desk names the manager
    who approved it."""

    amount: Decimal
    reason: str
    approved_by_staff_id: UUID | None = None


def money_in(value: Decimal) -> Decimal:
    """An amount from JSON written to the cent ("2.5" -> "2.50"), so that it reads back the
    same; anything else (fractions of a cent, huge or not a number) is left for the use case
    to refuse, naming the field."""
    if value.is_finite() and abs(value) < _LIMIT and value == value.quantize(_CENT):
        return value.quantize(_CENT)
    return value


def _lines(items: tuple[LineItem, ...]) -> list[LineOut]:
    return [
        LineOut(
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            amount=item.amount,
        )
        for item in items
    ]


def invoice_out(invoice: Invoice) -> InvoiceOut:
    """The JSON of an invoice."""
    fields = {f.name: getattr(invoice, f.name) for f in attrs.fields(InvoiceOut)}
    return InvoiceOut(**{**fields, "line_items": _lines(invoice.line_items)})


def _credit_note_out(note: CreditNote) -> CreditNoteOut:
    fields = {f.name: getattr(note, f.name) for f in attrs.fields(CreditNoteOut)}
    return CreditNoteOut(**{**fields, "line_items": _lines(note.line_items)})


def _approver(service: InvoicingService, actor: Actor, staff_id: UUID | None) -> Actor | None:
    if staff_id is None:
        return None
    return actor_for(service.make_uow, actor.organisation_id, staff_id)


def _html(body: str) -> Response[str]:
    return Response(
        body, media_type=MediaType.HTML, headers={"Content-Security-Policy": DOCUMENT_CSP}
    )


def _pdf(body: bytes, number: str) -> Response[bytes]:
    return Response(
        body,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )


# -- invoices ---------------------------------------------------------------------------------


@get("/invoices", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_invoices(
    actor: Actor,
    invoicing: InvoicingService,
    family_id: UUID | None = None,
    status: InvoiceStatus | None = None,
    campus_id: UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InvoiceOut]:
    """Invoices by issue date then number: one family's (``family_id``; front desk must give
    one), or every invoice the caller may view; filtered by status, the families of a campus
    and the issue date (``date_from`` to ``date_to``, inclusive)."""
    invoices = invoicing.list_invoices(
        actor,
        family_id,
        status,
        campus_id=campus_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[invoice_out(i) for i in invoices.items],
        total=invoices.total,
        limit=limit,
        offset=offset,
    )


@get("/invoices/{invoice_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_invoice(invoice_id: UUID, actor: Actor, invoicing: InvoicingService) -> InvoiceOut:
    """One invoice with its lines and figures."""
    return invoice_out(invoicing.get_invoice(actor, invoice_id))


@get(
    "/invoices/{invoice_id:uuid}/document.html",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    media_type=MediaType.HTML,
)
def invoice_html(invoice_id: UUID, actor: Actor, invoicing: InvoicingService) -> Response[str]:
    """The tax invoice as a self-contained HTML page (a draft or void one says so)."""
    document = invoicing.invoice_document(actor, invoice_id)
    return _html(render_tax_invoice_html(document.organisation, document.family, document.invoice))


@get(
    "/invoices/{invoice_id:uuid}/document.pdf",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    media_type=PDF,
)
def invoice_pdf(invoice_id: UUID, actor: Actor, invoicing: InvoicingService) -> Response[bytes]:
    """The tax invoice as a PDF."""
    document = invoicing.invoice_document(actor, invoice_id)
    body = render_tax_invoice_pdf(document.organisation, document.family, document.invoice)
    return _pdf(body, document.invoice.invoice_number)


@post("/invoices", opt=STAFF, sync_to_thread=True, tags=TAGS)
def create_invoice(data: ManualInvoiceIn, actor: Actor, invoicing: InvoicingService) -> InvoiceOut:
    """A draft invoice of free lines (materials, fees) for a family: at least one line, no
    negative line, a total above 0.00. Send it to issue it."""
    lines = [
        LineItem(
            description=line.description,
            quantity=line.quantity,
            unit_price=money_in(line.unit_price),
        )
        for line in data.lines
    ]
    return invoice_out(
        invoicing.create_manual_invoice(actor, data.family_id, lines, notes=data.notes)
    )


@post(
    "/invoices/{invoice_id:uuid}/send", opt=STAFF, sync_to_thread=True, tags=TAGS, status_code=200
)
def send_invoice(invoice_id: UUID, actor: Actor, invoicing: InvoicingService) -> InvoiceOut:
    """Issue a draft: dated today, due in the organisation's due days, charged to the family."""
    return invoice_out(invoicing.send_invoice(actor, invoice_id))


@post(
    "/invoices/{invoice_id:uuid}/void", opt=STAFF, sync_to_thread=True, tags=TAGS, status_code=200
)
def void_invoice(
    invoice_id: UUID, data: VoidIn, actor: Actor, invoicing: InvoicingService
) -> InvoiceOut:
    """Void an invoice with nothing paid on it: a draft is discarded; a sent one stops being
    owed (forgiving money: refund permission and limit)."""
    approver = _approver(invoicing, actor, data.approved_by_staff_id)
    return invoice_out(invoicing.void_invoice(actor, invoice_id, data.reason, approver=approver))


# -- credit notes -----------------------------------------------------------------------------


@post("/invoices/{invoice_id:uuid}/credit-notes", opt=STAFF, sync_to_thread=True, tags=TAGS)
def create_credit_note(
    invoice_id: UUID, data: CreditNoteIn, actor: Actor, invoicing: InvoicingService
) -> CreditNoteOut:
    """Take an amount (at most what is outstanding) off a sent invoice with a credit note."""
    approver = _approver(invoicing, actor, data.approved_by_staff_id)
    return _credit_note_out(
        invoicing.issue_credit_note(
            actor, invoice_id, money_in(data.amount), data.reason, approver=approver
        )
    )


@get("/invoices/{invoice_id:uuid}/credit-notes", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_credit_notes(
    invoice_id: UUID, actor: Actor, invoicing: InvoicingService
) -> list[CreditNoteOut]:
    """An invoice's credit notes by issue date then number."""
    return [_credit_note_out(note) for note in invoicing.list_credit_notes(actor, invoice_id)]


@get("/credit-notes/{credit_note_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_credit_note(
    credit_note_id: UUID, actor: Actor, invoicing: InvoicingService
) -> CreditNoteOut:
    """One credit note."""
    return _credit_note_out(invoicing.get_credit_note(actor, credit_note_id))


@get(
    "/credit-notes/{credit_note_id:uuid}/document.html",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    media_type=MediaType.HTML,
)
def credit_note_html(
    credit_note_id: UUID, actor: Actor, invoicing: InvoicingService
) -> Response[str]:
    """The adjustment note as a self-contained HTML page."""
    document = invoicing.credit_note_document(actor, credit_note_id)
    return _html(
        render_credit_note_html(
            document.organisation, document.family, document.credit_note, document.invoice
        )
    )


@get(
    "/credit-notes/{credit_note_id:uuid}/document.pdf",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    media_type=PDF,
)
def credit_note_pdf(
    credit_note_id: UUID, actor: Actor, invoicing: InvoicingService
) -> Response[bytes]:
    """The adjustment note as a PDF."""
    document = invoicing.credit_note_document(actor, credit_note_id)
    body = render_credit_note_pdf(
        document.organisation, document.family, document.credit_note, document.invoice
    )
    return _pdf(body, document.credit_note.credit_note_number)


ROUTES = [
    list_invoices,
    get_invoice,
    invoice_html,
    invoice_pdf,
    create_invoice,
    send_invoice,
    void_invoice,
    create_credit_note,
    list_credit_notes,
    get_credit_note,
    credit_note_html,
    credit_note_pdf,
]
