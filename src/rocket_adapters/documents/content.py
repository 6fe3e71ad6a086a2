"""What a tax invoice or an adjustment note says, worked out once from the domain objects.

The HTML and the PDF renderers both draw a :class:`BillingDocument`, so the two always carry the
same words and figures. Every figure is formatted here from a Decimal (never a float).

Australian requirements (ATO, tax invoices of $1,000 or less, and adjustment notes) met by every
document: the words "Tax invoice" (or "Adjustment note"), the supplier's name and ABN, the date
of issue, each item with its quantity and price, the GST amount (or a statement that the total
includes GST), and the total; the buyer is named as well (required from $1,000). A tax invoice
over $82.50 needs the ABN; we decided simply that every document needs it, so an organisation
without an ABN gets a ValidationError naming ``Organisation.abn`` instead of a document.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from rocket_adapters.documents import formatting as fmt
from rocket_core.errors import ValidationError
from rocket_core.model import CreditNote, Family, Invoice, InvoiceStatus, LineItem, Organisation

TAX_INVOICE_TITLE = "Tax invoice"
ADJUSTMENT_NOTE_TITLE = "Adjustment note (credit note)"
_ZERO = Decimal("0.00")


@attrs.frozen(kw_only=True)
class DocumentLine:
    """One row of the items table, already formatted."""

    description: str
    quantity: str
    unit_price: str
    amount: str


@attrs.frozen(kw_only=True)
class SummaryRow:
    """A row under the items table (subtotal, discount, GST, total, paid, outstanding)."""

    label: str
    value: str
    strong: bool = False


@attrs.frozen(kw_only=True)
class BillingDocument:
    """Everything a billing document shows, as text, in reading order."""

    kind: str  # "tax_invoice" or "adjustment_note": picks the HTML template
    title: str
    number: str
    banner: str | None
    supplier_name: str
    supplier_abn: str
    supplier_email: str | None
    details: tuple[tuple[str, str], ...]
    recipient_heading: str
    recipient_name: str
    recipient_lines: tuple[str, ...]
    lines: tuple[DocumentLine, ...]
    summary: tuple[SummaryRow, ...]
    gst_statement: str
    reason: str | None
    notes: str | None
    closing: tuple[str, ...]

    @property
    def heading(self) -> str:
        """Title and number, for the HTML <title> and the PDF metadata."""
        return f"{self.title} {self.number}"


def _supplier_abn(organisation: Organisation) -> str:
    if organisation.abn is None or not organisation.abn.strip():
        raise ValidationError(
            "Organisation.abn",
            "is required on a tax invoice or adjustment note: set the organisation's ABN first",
        )
    return fmt.abn(organisation.abn)


def _check_same(field: str, actual: object, expected: object, what: str) -> None:
    if actual != expected:
        raise ValidationError(field, f"must be {what}")


def _recipient_lines(family: Family) -> tuple[str, ...]:
    lines: list[str] = []
    if family.family_name:
        lines.append(family.primary_contact_name)
    if family.street_address:
        lines.extend(part.strip() for part in family.street_address.splitlines() if part.strip())
    locality = " ".join(part for part in (family.suburb, family.state, family.postcode) if part)
    if locality:
        lines.append(locality)
    lines.append(family.primary_contact_email)
    return tuple(lines)


def _line(item: LineItem) -> DocumentLine:
    return DocumentLine(
        description=item.description,
        quantity=str(item.quantity),
        unit_price=fmt.money(item.unit_price),
        amount=fmt.money(item.amount),
    )


def prices_include_gst(organisation: Organisation, invoice: Invoice) -> bool:
    """Whether the invoice's line prices include GST.

    The invoice does not record the setting it was priced under, so its figures decide when they
    can: GST-exclusive lines add up to ``total - gst`` (before or after the discount), inclusive
    ones to ``total``. When both or neither fit (no GST, no lines), the organisation's current
    setting decides.
    """
    total, gst, discount = invoice.total_amount, invoice.gst_amount, invoice.discount_amount
    lines = invoice.lines_total
    exclusive = lines in (total - gst, total - gst + discount)
    inclusive = lines in (total, total + discount)
    if exclusive != inclusive:
        return inclusive
    return organisation.settings.prices_include_gst


def _invoice_summary(organisation: Organisation, invoice: Invoice) -> tuple[SummaryRow, ...]:
    inclusive = prices_include_gst(organisation, invoice)
    total, gst, discount = invoice.total_amount, invoice.gst_amount, invoice.discount_amount
    before_gst = total if inclusive else total - gst
    rows: list[SummaryRow] = []
    if discount > _ZERO and invoice.lines_total == before_gst:
        # the discount is a line of its own above: say so, do not take it off twice
        rows.append(SummaryRow(label="Subtotal", value=fmt.money(before_gst)))
        rows.append(SummaryRow(label="Discount (included above)", value=fmt.money(-discount)))
    else:
        rows.append(SummaryRow(label="Subtotal", value=fmt.money(before_gst + discount)))
        rows.append(SummaryRow(label="Discount", value=fmt.money(-discount)))
    if inclusive:
        rows.append(SummaryRow(label="Total (GST included)", value=fmt.money(total), strong=True))
        rows.append(SummaryRow(label="GST included in total", value=fmt.money(gst)))
    else:
        rate = fmt.percent(organisation.settings.gst_rate)
        rows.append(SummaryRow(label=f"GST {rate}", value=fmt.money(gst)))
        rows.append(SummaryRow(label="Total", value=fmt.money(total), strong=True))
    rows.append(SummaryRow(label="Amount paid", value=fmt.money(invoice.amount_paid)))
    if invoice.amount_credited > _ZERO:
        rows.append(SummaryRow(label="Credited", value=fmt.money(invoice.amount_credited)))
    rows.append(
        SummaryRow(
            label="Amount outstanding", value=fmt.money(invoice.amount_outstanding), strong=True
        )
    )
    return tuple(rows)


def _gst_statement(organisation: Organisation, invoice: Invoice) -> str:
    if prices_include_gst(organisation, invoice):
        return (
            f"GST included: prices include GST; the total of {fmt.money(invoice.total_amount)}"
            f" includes GST of {fmt.money(invoice.gst_amount)}."
        )
    rate = fmt.percent(organisation.settings.gst_rate)
    return (
        f"Prices exclude GST; GST {rate} of {fmt.money(invoice.gst_amount)} is added,"
        f" for a total of {fmt.money(invoice.total_amount)}."
    )


def _contact(organisation: Organisation, what: str) -> str:
    if organisation.billing_email:
        return f"Questions about this {what}: {organisation.billing_email}."
    return f"Questions about this {what}: please contact {organisation.name}."


def _invoice_banner(invoice: Invoice) -> str | None:
    if invoice.status is InvoiceStatus.DRAFT:
        return "DRAFT - not yet issued: not a valid tax invoice until it is sent"
    if invoice.status is InvoiceStatus.VOID:
        return "VOID - this invoice has been cancelled and is not payable"
    if invoice.status is InvoiceStatus.PAID:
        return "PAID - thank you"
    return None


def _payment_instructions(organisation: Organisation, invoice: Invoice) -> tuple[str, ...]:
    lines: list[str] = []
    if invoice.is_open and invoice.amount_outstanding > _ZERO:
        lines.append(
            f"Please pay {fmt.money(invoice.amount_outstanding)} by"
            f" {fmt.long_date(invoice.due_date)}, quoting {invoice.invoice_number} as the"
            " reference."
        )
        if organisation.billing_email:
            lines.append(
                "Pay by card from your parent account, or ask"
                f" {organisation.billing_email} for bank transfer details."
            )
    lines.append(_contact(organisation, "invoice"))
    return tuple(lines)


def tax_invoice(organisation: Organisation, family: Family, invoice: Invoice) -> BillingDocument:
    """The tax invoice for ``invoice``, billed to ``family`` by ``organisation``.

    A draft says DRAFT and a void invoice VOID in a banner above the items; staff can preview
    either. Raises ValidationError when the organisation has no ABN, or when the three objects do
    not belong together.
    """
    supplier_abn = _supplier_abn(organisation)
    _check_same(
        "Invoice.organisation_id", invoice.organisation_id, organisation.id, "the organisation's"
    )
    _check_same("Invoice.family_id", invoice.family_id, family.id, "the family billed")
    return BillingDocument(
        kind="tax_invoice",
        title=TAX_INVOICE_TITLE,
        number=invoice.invoice_number,
        banner=_invoice_banner(invoice),
        supplier_name=organisation.name,
        supplier_abn=supplier_abn,
        supplier_email=organisation.billing_email,
        details=(
            ("Invoice number", invoice.invoice_number),
            ("Issue date", fmt.long_date(invoice.issue_date)),
            ("Due date", fmt.long_date(invoice.due_date)),
        ),
        recipient_heading="Bill to",
        recipient_name=family.display_name,
        recipient_lines=_recipient_lines(family),
        lines=tuple(_line(item) for item in invoice.line_items),
        summary=_invoice_summary(organisation, invoice),
        gst_statement=_gst_statement(organisation, invoice),
        reason=None,
        notes=invoice.notes,
        closing=_payment_instructions(organisation, invoice),
    )


def adjustment_note(
    organisation: Organisation, family: Family, credit_note: CreditNote, invoice: Invoice
) -> BillingDocument:
    """The adjustment note (the ATO's name for a credit note) for ``credit_note``.

    It names the tax invoice it adjusts, the reason, the amount of the adjustment and its GST,
    and the invoice's original and adjusted totals. A credit note without lines shows one line:
    the adjustment of the invoice, for its whole amount. Amounts are shown as positive credits.
    """
    supplier_abn = _supplier_abn(organisation)
    _check_same(
        "CreditNote.organisation_id",
        credit_note.organisation_id,
        organisation.id,
        "the organisation's",
    )
    _check_same("CreditNote.invoice_id", credit_note.invoice_id, invoice.id, "the invoice given")
    _check_same("CreditNote.family_id", credit_note.family_id, family.id, "the family credited")
    _check_same("Invoice.family_id", invoice.family_id, family.id, "the family credited")
    total, gst = credit_note.total_amount, credit_note.gst_amount
    if credit_note.line_items:
        lines = tuple(_line(item) for item in credit_note.line_items)
    else:
        lines = (
            DocumentLine(
                description=f"Adjustment to tax invoice {invoice.invoice_number}",
                quantity="1",
                unit_price=fmt.money(total),
                amount=fmt.money(total),
            ),
        )
    summary = (
        SummaryRow(label="Credit before GST", value=fmt.money(total - gst)),
        SummaryRow(label="GST adjustment", value=fmt.money(gst)),
        SummaryRow(label="Total credit (GST included)", value=fmt.money(total), strong=True),
        SummaryRow(label="Original invoice total", value=fmt.money(invoice.total_amount)),
        SummaryRow(
            label="Invoice total after credits",
            value=fmt.money(invoice.total_amount - invoice.amount_credited),
        ),
        SummaryRow(
            label="Amount outstanding on invoice", value=fmt.money(invoice.amount_outstanding)
        ),
    )
    return BillingDocument(
        kind="adjustment_note",
        title=ADJUSTMENT_NOTE_TITLE,
        number=credit_note.credit_note_number,
        banner=None,
        supplier_name=organisation.name,
        supplier_abn=supplier_abn,
        supplier_email=organisation.billing_email,
        details=(
            ("Credit note number", credit_note.credit_note_number),
            ("Issue date", fmt.long_date(credit_note.issue_date)),
            ("Adjusts tax invoice", invoice.invoice_number),
            ("Invoice issue date", fmt.long_date(invoice.issue_date)),
        ),
        recipient_heading="Credit to",
        recipient_name=family.display_name,
        recipient_lines=_recipient_lines(family),
        lines=lines,
        summary=summary,
        gst_statement=(
            f"This adjustment reduces the GST on tax invoice {invoice.invoice_number}"
            f" by {fmt.money(gst)}."
        ),
        reason=credit_note.reason,
        notes=None,
        closing=(_contact(organisation, "adjustment note"),),
    )
