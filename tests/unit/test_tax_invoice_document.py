"""Tax invoices and adjustment notes (credit notes) as HTML and PDF: rocket_adapters.documents.

Every required element is looked for in both formats: the HTML's text (tags stripped) and the
text pypdf reads back out of the PDF, each with its whitespace collapsed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pypdf
import pytest

from rocket_adapters.documents import formatting as fmt
from rocket_adapters.documents import (
    render_credit_note_html,
    render_credit_note_pdf,
    render_tax_invoice_html,
    render_tax_invoice_pdf,
)
from rocket_adapters.documents.content import prices_include_gst
from rocket_core.errors import ValidationError
from rocket_core.model import (
    CreditNote,
    Family,
    Invoice,
    InvoiceStatus,
    LineItem,
    Organisation,
    OrganisationSettings,
)

ABN = "51824753556"


# --- how the tests read documents ----------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def html_text(html: str) -> str:
    """What a reader of the HTML page sees, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return _squash(" ".join(parser.parts))


def pdf_reader(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    """The text pypdf extracts from every page, whitespace collapsed."""
    return _squash(" ".join(page.extract_text() for page in pdf_reader(data).pages))


# --- the documents' subjects ---------------------------------------------------------------


def make_organisation(**overrides: Any) -> Organisation:
    fields: dict[str, Any] = {
        "name": "Rocket Academy",
        "abn": ABN,
        "billing_email": "accounts@rocket.example",
    }
    return Organisation(**{**fields, **overrides})


def make_family(organisation: Organisation, **overrides: Any) -> Family:
    fields: dict[str, Any] = {
        "organisation_id": organisation.id,
        "family_name": "Nguyễn family",
        "primary_contact_name": "Lan Nguyễn",
        "primary_contact_email": "lan@family.example",
        "street_address": "12 Smith Street",
        "suburb": "Carlton",
        "state": "VIC",
        "postcode": "3053",
    }
    return Family(**{**fields, **overrides})


TUITION = LineItem(description="Python Foundations — Saturday 10am", unit_price=Decimal("1234.50"))
SIBLING = LineItem(description="Sibling discount (10%)", unit_price=Decimal("-123.45"))
MATERIALS = LineItem(description="Robot kit", quantity=2, unit_price=Decimal("25.00"))


def make_invoice(organisation: Organisation, family: Family, **overrides: Any) -> Invoice:
    """GST-exclusive: 1,234.50 - 123.45 + 2 x 25.00 = 1,161.05; GST 116.11 (half up);
    total 1,277.16; 200.00 paid."""
    fields: dict[str, Any] = {
        "organisation_id": organisation.id,
        "family_id": family.id,
        "invoice_number": "INV-2026-000123",
        "issue_date": date(2026, 3, 5),
        "due_date": date(2026, 3, 19),
        "line_items": (TUITION, SIBLING, MATERIALS),
        "discount_amount": Decimal("123.45"),
        "gst_amount": Decimal("116.11"),
        "total_amount": Decimal("1277.16"),
        "amount_paid": Decimal("200.00"),
        "amount_outstanding": Decimal("1077.16"),
        "status": InvoiceStatus.PARTIAL,
    }
    return Invoice(**{**fields, **overrides})


def make_inclusive_invoice(organisation: Organisation, family: Family, **overrides: Any) -> Invoice:
    """GST-inclusive: one 1,100.00 line whose price includes 100.00 GST."""
    fields: dict[str, Any] = {
        "line_items": (
            LineItem(description="Scratch Juniors — Term 2", unit_price=Decimal("1100.00")),
        ),
        "discount_amount": Decimal("0.00"),
        "gst_amount": Decimal("100.00"),
        "total_amount": Decimal("1100.00"),
        "amount_paid": Decimal("0.00"),
        "amount_outstanding": Decimal("1100.00"),
        "status": InvoiceStatus.SENT,
    }
    return make_invoice(organisation, family, **{**fields, **overrides})


def make_credit_note(invoice: Invoice, **overrides: Any) -> CreditNote:
    fields: dict[str, Any] = {
        "organisation_id": invoice.organisation_id,
        "credit_note_number": "CN-2026-000042",
        "family_id": invoice.family_id,
        "invoice_id": invoice.id,
        "issue_date": date(2026, 3, 12),
        "total_amount": Decimal("55.00"),
        "gst_amount": Decimal("5.00"),
        "reason": "Two sessions cancelled by the school",
    }
    return CreditNote(**{**fields, **overrides})


# A reader of one format: (organisation, family, invoice) -> the document's text
InvoiceReader = Callable[[Organisation, Family, Invoice], str]
CreditNoteReader = Callable[[Organisation, Family, CreditNote, Invoice], str]


def _invoice_as_html(organisation: Organisation, family: Family, invoice: Invoice) -> str:
    return html_text(render_tax_invoice_html(organisation, family, invoice))


def _invoice_as_pdf(organisation: Organisation, family: Family, invoice: Invoice) -> str:
    return pdf_text(render_tax_invoice_pdf(organisation, family, invoice))


def _note_as_html(o: Organisation, f: Family, note: CreditNote, invoice: Invoice) -> str:
    return html_text(render_credit_note_html(o, f, note, invoice))


def _note_as_pdf(o: Organisation, f: Family, note: CreditNote, invoice: Invoice) -> str:
    return pdf_text(render_credit_note_pdf(o, f, note, invoice))


@pytest.fixture(params=["html", "pdf"])
def read_invoice(request: pytest.FixtureRequest) -> InvoiceReader:
    return _invoice_as_html if request.param == "html" else _invoice_as_pdf


@pytest.fixture(params=["html", "pdf"])
def read_note(request: pytest.FixtureRequest) -> CreditNoteReader:
    return _note_as_html if request.param == "html" else _note_as_pdf


@pytest.fixture
def organisation() -> Organisation:
    return make_organisation()


@pytest.fixture
def family(organisation: Organisation) -> Family:
    return make_family(organisation)


# --- the tax invoice -----------------------------------------------------------------------

REQUIRED_ON_THE_INVOICE = [
    "Tax invoice",
    "Rocket Academy",
    "ABN 51 824 753 556",
    "Invoice number INV-2026-000123",
    "Issue date 05 March 2026",
    "Due date 19 March 2026",
    # bill to: display name, primary contact, address, e-mail
    "Nguyễn family",
    "Lan Nguyễn",
    "12 Smith Street",
    "Carlton VIC 3053",
    "lan@family.example",
    # each line: description, quantity, unit price, amount
    "Description Quantity Unit price Amount",
    "Python Foundations — Saturday 10am 1 $1,234.50 $1,234.50",
    "Sibling discount (10%) 1 -$123.45 -$123.45",
    "Robot kit 2 $25.00 $50.00",
    # the figures
    "Subtotal $1,161.05",
    "Discount (included above) -$123.45",
    "GST 10% $116.11",
    "Total $1,277.16",
    "Amount paid $200.00",
    "Amount outstanding $1,077.16",
    # how to pay
    "quoting INV-2026-000123 as the reference",
    "accounts@rocket.example",
]


@pytest.mark.parametrize("expected", REQUIRED_ON_THE_INVOICE)
def test_the_tax_invoice_shows_every_required_element(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family, expected: str
) -> None:
    text = read_invoice(organisation, family, make_invoice(organisation, family))
    assert expected in text


def test_the_tax_invoice_reads_in_order(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    text = read_invoice(organisation, family, make_invoice(organisation, family))
    order = ["Tax invoice", "Invoice number", "Python Foundations", "Subtotal", "GST 10%", "Total"]
    positions = [text.index(word) for word in order]
    assert positions == sorted(positions)


def test_gst_exclusive_prices_show_a_gst_line_added_to_the_total(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    text = read_invoice(organisation, family, make_invoice(organisation, family))
    assert "GST 10% $116.11" in text
    assert "Prices exclude GST" in text
    assert "GST included" not in text


def test_gst_inclusive_prices_say_gst_included(read_invoice: InvoiceReader, family: Family) -> None:
    organisation = make_organisation(settings=OrganisationSettings(prices_include_gst=True))
    family = make_family(organisation)
    text = read_invoice(organisation, family, make_inclusive_invoice(organisation, family))
    assert "Scratch Juniors — Term 2 1 $1,100.00 $1,100.00" in text
    assert "Subtotal $1,100.00" in text
    assert "Total (GST included) $1,100.00" in text
    assert "GST included in total $100.00" in text
    assert "includes GST of $100.00" in text
    assert "GST 10%" not in text


def test_the_invoice_figures_decide_the_gst_wording_over_a_changed_setting(
    organisation: Organisation, family: Family
) -> None:
    """An invoice priced GST-exclusive keeps its wording after the school switches setting."""
    switched = make_organisation(settings=OrganisationSettings(prices_include_gst=True))
    assert prices_include_gst(switched, make_invoice(organisation, family)) is False
    assert prices_include_gst(organisation, make_inclusive_invoice(organisation, family)) is True


def test_without_gst_the_organisation_setting_decides(family: Family) -> None:
    exclusive = make_organisation()
    inclusive = make_organisation(settings=OrganisationSettings(prices_include_gst=True))
    free = make_inclusive_invoice(exclusive, family, gst_amount=Decimal("0.00"))
    assert prices_include_gst(exclusive, free) is False
    assert prices_include_gst(inclusive, free) is True


def test_a_gst_rate_other_than_ten_percent_is_named(family: Family) -> None:
    organisation = make_organisation(settings=OrganisationSettings(gst_rate=Decimal("0.125")))
    text = _invoice_as_html(organisation, family, make_invoice(organisation, family))
    assert "GST 12.5% $116.11" in text


def test_a_discount_not_among_the_lines_is_taken_off_the_subtotal(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    """Lines at full price (1,234.50 + 50.00) with the 123.45 discount kept apart."""
    invoice = make_invoice(organisation, family, line_items=(TUITION, MATERIALS))
    text = read_invoice(organisation, family, invoice)
    assert "Subtotal $1,284.50" in text
    assert "Discount -$123.45" in text
    assert "included above" not in text
    assert "Total $1,277.16" in text


def test_no_discount_shows_a_zero_discount(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    invoice = make_inclusive_invoice(organisation, family)
    assert "Discount $0.00" in read_invoice(organisation, family, invoice)


def test_credit_notes_taken_off_an_invoice_are_shown(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    invoice = make_invoice(
        organisation,
        family,
        amount_credited=Decimal("55.00"),
        amount_outstanding=Decimal("1022.16"),
    )
    text = read_invoice(organisation, family, invoice)
    assert "Credited $55.00" in text
    assert "Amount outstanding $1,022.16" in text


def test_a_family_without_a_family_name_is_billed_by_its_contact_and_without_an_address(
    read_invoice: InvoiceReader, organisation: Organisation
) -> None:
    family = Family(
        organisation_id=organisation.id,
        primary_contact_name="Grace Hopper",
        primary_contact_email="grace@family.example",
    )
    text = read_invoice(organisation, family, make_invoice(organisation, family))
    assert "Bill to Grace Hopper grace@family.example" in text.replace("BILL TO", "Bill to")
    assert text.count("Grace Hopper") == 1


def test_a_draft_says_it_is_not_yet_a_valid_tax_invoice(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    invoice = make_inclusive_invoice(organisation, family, status=InvoiceStatus.DRAFT)
    text = read_invoice(organisation, family, invoice)
    assert "DRAFT - not yet issued: not a valid tax invoice until it is sent" in text
    assert "Please pay" not in text


def test_a_void_invoice_says_void_and_asks_for_nothing(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    invoice = make_inclusive_invoice(organisation, family)
    invoice.void()
    text = read_invoice(organisation, family, invoice)
    assert "VOID - this invoice has been cancelled and is not payable" in text
    assert "Amount outstanding $0.00" in text
    assert "Please pay" not in text


def test_a_paid_invoice_thanks_the_family(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    invoice = make_inclusive_invoice(organisation, family)
    invoice.apply_payment(Decimal("1100.00"))
    text = read_invoice(organisation, family, invoice)
    assert "PAID - thank you" in text
    assert "Amount paid $1,100.00" in text
    assert "Amount outstanding $0.00" in text
    assert "Please pay" not in text


def test_an_open_invoice_asks_for_the_outstanding_amount_by_the_due_date(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    text = read_invoice(organisation, family, make_invoice(organisation, family))
    assert "Please pay $1,077.16 by 19 March 2026, quoting INV-2026-000123 as the reference." in (
        text
    )
    assert "ask accounts@rocket.example for bank transfer details" in text


def test_without_a_billing_email_the_organisation_is_named_for_questions(
    read_invoice: InvoiceReader,
) -> None:
    organisation = make_organisation(billing_email=None)
    family = make_family(organisation)
    text = read_invoice(organisation, family, make_invoice(organisation, family))
    assert "Questions about this invoice: please contact Rocket Academy." in text
    assert "bank transfer" not in text


def test_the_invoice_notes_are_shown(
    read_invoice: InvoiceReader, organisation: Organisation, family: Family
) -> None:
    invoice = make_invoice(organisation, family, notes="Term 1 2026\nPaid by instalments")
    text = read_invoice(organisation, family, invoice)
    assert "Notes Term 1 2026 Paid by instalments" in text


# --- escaping ------------------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"


def test_html_escapes_what_families_and_staff_typed(organisation: Organisation) -> None:
    family = make_family(
        organisation,
        family_name=SCRIPT,
        primary_contact_name='Bobby "Tables" & <b>Co</b>',
        street_address="<img src=x onerror=alert(1)>",
    )
    invoice = make_invoice(
        organisation,
        family,
        line_items=(LineItem(description="<i>Robot</i> & kit", unit_price=Decimal("1161.05")),),
        notes="</div><script>steal()</script>",
    )
    html = render_tax_invoice_html(organisation, family, invoice)
    assert "<script" not in html
    assert "<img" not in html
    assert "<i>" not in html
    assert "<b>Co" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "Bobby &#34;Tables&#34; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert "&lt;i&gt;Robot&lt;/i&gt; &amp; kit" in html
    # a reader sees exactly what was typed
    text = html_text(html)
    assert SCRIPT in text
    assert "<i>Robot</i> & kit" in text
    assert "</div><script>steal()</script>" in text


def test_html_escapes_the_credit_note_reason(organisation: Organisation, family: Family) -> None:
    invoice = make_invoice(organisation, family)
    note = make_credit_note(invoice, reason=SCRIPT)
    html = render_credit_note_html(organisation, family, note, invoice)
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_the_pdf_prints_markup_as_plain_text(organisation: Organisation) -> None:
    family = make_family(organisation, family_name=SCRIPT)
    text = pdf_text(
        render_tax_invoice_pdf(organisation, family, make_invoice(organisation, family))
    )
    assert SCRIPT in text


def test_the_html_page_is_complete_and_titled(organisation: Organisation, family: Family) -> None:
    html = render_tax_invoice_html(organisation, family, make_invoice(organisation, family))
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-AU">' in html
    assert '<meta charset="utf-8">' in html
    assert "<title>Tax invoice INV-2026-000123 - Rocket Academy</title>" in html
    assert html.rstrip().endswith("</html>")


# --- the PDF as a file ---------------------------------------------------------------------


def test_the_pdf_is_a_pdf_with_its_metadata(organisation: Organisation, family: Family) -> None:
    data = render_tax_invoice_pdf(organisation, family, make_invoice(organisation, family))
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    meta = pdf_reader(data).metadata
    assert meta is not None
    assert meta.title == "Tax invoice INV-2026-000123"
    assert meta.author == "Rocket Academy"
    assert meta.creation_date == datetime(2026, 3, 5, tzinfo=UTC)


def test_the_same_invoice_gives_the_same_pdf_bytes(
    organisation: Organisation, family: Family
) -> None:
    invoice = make_invoice(organisation, family)
    first = render_tax_invoice_pdf(organisation, family, invoice)
    assert render_tax_invoice_pdf(organisation, family, invoice) == first
    note = make_credit_note(invoice)
    assert render_credit_note_pdf(organisation, family, note, invoice) == render_credit_note_pdf(
        organisation, family, note, invoice
    )


def test_a_long_invoice_runs_over_pages_with_every_line(
    organisation: Organisation, family: Family
) -> None:
    lines = tuple(
        LineItem(
            description=f"Workshop {n:02d} " + "with a long description " * (n % 4),
            unit_price=Decimal("10.00"),
        )
        for n in range(1, 61)
    )
    invoice = make_invoice(
        organisation,
        family,
        line_items=lines,
        discount_amount=Decimal("0.00"),
        gst_amount=Decimal("60.00"),
        total_amount=Decimal("660.00"),
        amount_paid=Decimal("0.00"),
        amount_outstanding=Decimal("660.00"),
        status=InvoiceStatus.SENT,
    )
    data = render_tax_invoice_pdf(organisation, family, invoice)
    reader = pdf_reader(data)
    pages = len(reader.pages)
    assert pages > 1
    text = pdf_text(data)
    assert all(f"Workshop {n:02d}" in text for n in range(1, 61))
    assert "Tax invoice INV-2026-000123 (continued)" in text
    assert f"Page {pages} of {pages}" in text
    assert "Total $660.00" in text


def test_the_pdf_keeps_accents_and_marks_what_its_font_cannot_draw(
    organisation: Organisation,
) -> None:
    family = make_family(organisation, family_name="王 family", primary_contact_name="Zoë Đặng")
    invoice = make_invoice(organisation, family)
    pdf = pdf_text(render_tax_invoice_pdf(organisation, family, invoice))
    assert "Zoë Đặng" in pdf
    assert "? family" in pdf
    assert "王 family" in html_text(render_tax_invoice_html(organisation, family, invoice))


# --- refusals ------------------------------------------------------------------------------

RENDERERS = [
    pytest.param(lambda o, f, n, i: render_tax_invoice_html(o, f, i), id="invoice-html"),
    pytest.param(lambda o, f, n, i: render_tax_invoice_pdf(o, f, i), id="invoice-pdf"),
    pytest.param(render_credit_note_html, id="credit-note-html"),
    pytest.param(render_credit_note_pdf, id="credit-note-pdf"),
]


@pytest.mark.parametrize("render", RENDERERS)
def test_an_organisation_without_an_abn_gets_no_document(render: Callable[..., object]) -> None:
    organisation = make_organisation(abn=None)
    family = make_family(organisation)
    invoice = make_invoice(organisation, family)
    with pytest.raises(ValidationError) as raised:
        render(organisation, family, make_credit_note(invoice), invoice)
    assert raised.value.field == "Organisation.abn"
    assert "required" in raised.value.rule


@pytest.mark.parametrize("render", RENDERERS)
def test_an_invoice_of_another_family_is_refused(
    render: Callable[..., object], organisation: Organisation, family: Family
) -> None:
    other = make_family(organisation, primary_contact_email="other@family.example")
    invoice = make_invoice(organisation, other)
    with pytest.raises(ValidationError) as raised:
        render(organisation, family, make_credit_note(invoice), invoice)
    assert raised.value.field in ("Invoice.family_id", "CreditNote.family_id")


def test_an_invoice_of_another_organisation_is_refused(family: Family) -> None:
    mine, theirs = make_organisation(), make_organisation(name="Other School")
    invoice = make_invoice(theirs, family)
    with pytest.raises(ValidationError) as raised:
        render_tax_invoice_html(mine, family, invoice)
    assert raised.value.field == "Invoice.organisation_id"


def test_a_credit_note_of_another_invoice_is_refused(
    organisation: Organisation, family: Family
) -> None:
    invoice = make_invoice(organisation, family)
    other = make_invoice(organisation, family, invoice_number="INV-2026-000124")
    note = make_credit_note(other)
    for render in (render_credit_note_html, render_credit_note_pdf):
        with pytest.raises(ValidationError) as raised:
            render(organisation, family, note, invoice)
        assert raised.value.field == "CreditNote.invoice_id"


# --- the adjustment note (credit note) -----------------------------------------------------

REQUIRED_ON_THE_NOTE = [
    "Adjustment note (credit note)",
    "Rocket Academy",
    "ABN 51 824 753 556",
    "Credit note number CN-2026-000042",
    "Issue date 12 March 2026",
    "Adjusts tax invoice INV-2026-000123",
    "Invoice issue date 05 March 2026",
    "Nguyễn family",
    "Lan Nguyễn",
    "Carlton VIC 3053",
    "Reason for adjustment Two sessions cancelled by the school",
    "Adjustment to tax invoice INV-2026-000123 1 $55.00 $55.00",
    "Credit before GST $50.00",
    "GST adjustment $5.00",
    "Total credit (GST included) $55.00",
    "Original invoice total $1,277.16",
    "Invoice total after credits $1,222.16",
    "Amount outstanding on invoice $1,022.16",
    "reduces the GST on tax invoice INV-2026-000123 by $5.00",
    "Questions about this adjustment note: accounts@rocket.example.",
]


@pytest.mark.parametrize("expected", REQUIRED_ON_THE_NOTE)
def test_the_adjustment_note_shows_every_required_element(
    read_note: CreditNoteReader, organisation: Organisation, family: Family, expected: str
) -> None:
    invoice = make_invoice(
        organisation,
        family,
        amount_credited=Decimal("55.00"),
        amount_outstanding=Decimal("1022.16"),
    )
    text = read_note(organisation, family, make_credit_note(invoice), invoice)
    assert expected in text
    assert "Tax invoice" not in text


def test_a_credit_note_with_lines_shows_its_lines(
    read_note: CreditNoteReader, organisation: Organisation, family: Family
) -> None:
    invoice = make_invoice(organisation, family)
    note = make_credit_note(
        invoice,
        line_items=(
            LineItem(description="Cancelled session 4", unit_price=Decimal("25.00")),
            LineItem(description="Cancelled session 5", unit_price=Decimal("25.00")),
        ),
    )
    text = read_note(organisation, family, note, invoice)
    assert "Cancelled session 4 1 $25.00 $25.00" in text
    assert "Cancelled session 5 1 $25.00 $25.00" in text
    assert "Adjustment to tax invoice" not in text


def test_the_adjustment_note_pdf_is_a_pdf_dated_on_its_issue(
    organisation: Organisation, family: Family
) -> None:
    invoice = make_invoice(organisation, family)
    data = render_credit_note_pdf(organisation, family, make_credit_note(invoice), invoice)
    assert data.startswith(b"%PDF-")
    meta = pdf_reader(data).metadata
    assert meta is not None
    assert meta.title == "Adjustment note (credit note) CN-2026-000042"
    assert meta.creation_date == datetime(2026, 3, 12, tzinfo=UTC)


# --- formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0"), "$0.00"),
        (Decimal("-0.00"), "$0.00"),
        (Decimal("-30"), "-$30.00"),
        (Decimal("1234567.89"), "$1,234,567.89"),
        (Decimal("0.005"), "$0.01"),
        (Decimal("2.675"), "$2.68"),
        (Decimal("-0.005"), "-$0.01"),
    ],
)
def test_money_is_written_in_dollars_and_cents(amount: Decimal, expected: str) -> None:
    assert fmt.money(amount) == expected


@pytest.mark.parametrize("amount", [12.5, 3, "1.00", Decimal("NaN"), Decimal("Infinity")])
def test_money_must_be_a_finite_decimal(amount: Any) -> None:
    with pytest.raises(TypeError):
        fmt.money(amount)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 5), "05 March 2026"),
        (date(2026, 12, 31), "31 December 2026"),
        (date(2027, 1, 1), "01 January 2027"),
    ],
)
def test_dates_are_day_month_name_year(day: date, expected: str) -> None:
    assert fmt.long_date(day) == expected


@pytest.mark.parametrize("value", ["51824753556", "51 824 753 556", " 5182 4753556"])
def test_an_abn_is_grouped_two_three_three_three(value: str) -> None:
    assert fmt.abn(value) == "51 824 753 556"


@pytest.mark.parametrize("value", ["5182475355", "518247535561", "5182475355x"])
def test_a_malformed_abn_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not an ABN"):
        fmt.abn(value)


def test_the_organisation_abn_is_shown_grouped_however_it_was_typed(family: Family) -> None:
    organisation = make_organisation(abn="51 824 753 556")
    family = make_family(organisation)
    text = _invoice_as_html(organisation, family, make_invoice(organisation, family))
    assert "ABN 51 824 753 556" in text


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(Decimal("0.10"), "10%"), (Decimal("0.125"), "12.5%"), (Decimal("0"), "0%")],
)
def test_rates_are_percentages(rate: Decimal, expected: str) -> None:
    assert fmt.percent(rate) == expected
