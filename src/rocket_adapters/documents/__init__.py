"""Billing documents: tax invoices and adjustment notes (credit notes), as HTML and as PDF.

Both formats are drawn from the same :class:`~rocket_adapters.documents.content.BillingDocument`
built from the domain objects, so they always say the same thing. Jinja2 writes the HTML
(autoescaped); fpdf2 writes the PDF with an embedded font. Both install from PyPI alone.

Every function raises ``rocket_core.errors.ValidationError`` naming ``Organisation.abn`` when the
organisation has no ABN (a tax invoice needs one), and when the objects do not belong together
(an invoice of another family, a credit note of another invoice).
"""

from __future__ import annotations

from rocket_adapters.documents.content import (
    ADJUSTMENT_NOTE_TITLE,
    TAX_INVOICE_TITLE,
    BillingDocument,
    adjustment_note,
    tax_invoice,
)
from rocket_adapters.documents.html import render_html
from rocket_adapters.documents.pdf import render_pdf
from rocket_core.model import CreditNote, Family, Invoice, Organisation

__all__ = [
    "ADJUSTMENT_NOTE_TITLE",
    "TAX_INVOICE_TITLE",
    "BillingDocument",
    "adjustment_note",
    "render_credit_note_html",
    "render_credit_note_pdf",
    "render_tax_invoice_html",
    "render_tax_invoice_pdf",
    "tax_invoice",
]


def render_tax_invoice_html(organisation: Organisation, family: Family, invoice: Invoice) -> str:
    """The tax invoice for ``invoice`` as a self-contained HTML page."""
    return render_html(tax_invoice(organisation, family, invoice))


def render_tax_invoice_pdf(organisation: Organisation, family: Family, invoice: Invoice) -> bytes:
    """The tax invoice for ``invoice`` as PDF bytes (the same for the same invoice)."""
    return render_pdf(tax_invoice(organisation, family, invoice), issued=invoice.issue_date)


def render_credit_note_html(
    organisation: Organisation, family: Family, credit_note: CreditNote, invoice: Invoice
) -> str:
    """The adjustment note for ``credit_note`` (of ``invoice``) as a self-contained HTML page."""
    return render_html(adjustment_note(organisation, family, credit_note, invoice))


def render_credit_note_pdf(
    organisation: Organisation, family: Family, credit_note: CreditNote, invoice: Invoice
) -> bytes:
    """The adjustment note for ``credit_note`` (of ``invoice``) as PDF bytes."""
    return render_pdf(
        adjustment_note(organisation, family, credit_note, invoice),
        issued=credit_note.issue_date,
    )
