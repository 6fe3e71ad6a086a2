"""Billing documents as PDF, drawn with fpdf2 (pure Python: installs from PyPI alone).

The text is set in DejaVu Sans, shipped in ``fonts/`` (a subset: Latin with Vietnamese, Greek,
Cyrillic, punctuation and currency signs), embedded in every PDF so the document looks the same
everywhere and its text can be searched and copied. A character the font does not have (a
Chinese family name, an emoji) is printed as "?" in the PDF; the HTML document shows it as is.

The output is deterministic: the creation date in the metadata is the document's issue date, so
the same document gives the same bytes.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace, TTFFont

from rocket_adapters.documents.content import BillingDocument

_FONTS = Path(__file__).parent / "fonts"
_REGULAR = _FONTS / "DejaVuSans.ttf"
_BOLD = _FONTS / "DejaVuSans-Bold.ttf"
_FAMILY = "DejaVuSans"
_MARGIN = 18.0
_LINE = 5.0
_RED = (176, 0, 32)
_GREY = (85, 85, 85)


class _Page(FPDF):
    """A4 pages in the bundled fonts, with the page number at the foot."""

    def __init__(self, heading: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.heading = heading
        self.add_font(_FAMILY, "", str(_REGULAR))
        self.add_font(_FAMILY, "B", str(_BOLD))
        cmaps = [set(font.cmap) for font in self.fonts.values() if isinstance(font, TTFFont)]
        self.printable = frozenset(set.intersection(*cmaps))

    def clean(self, value: str) -> str:
        """``value`` with each character the fonts cannot draw replaced by "?"."""
        return "".join(
            ch if ch == "\n" or ord(ch) in self.printable else "?"
            for ch in unicodedata.normalize("NFC", value)
        )

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(_FAMILY, "", 8)
            self.set_text_color(*_GREY)
            self.cell(0, 6, self.clean(f"{self.heading} (continued)"), align=Align.R)
            self.set_text_color(0, 0, 0)
            self.ln(8)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FAMILY, "", 8)
        self.set_text_color(*_GREY)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align=Align.C)


def render_pdf(document: BillingDocument, *, issued: date) -> bytes:
    """The document as PDF bytes; ``issued`` becomes the creation date in its metadata."""
    pdf = _Page(document.heading)
    pdf.set_creation_date(datetime.combine(issued, time(0, 0), tzinfo=UTC))
    pdf.set_title(pdf.clean(document.heading))
    pdf.set_subject(pdf.clean(f"{document.heading} for {document.recipient_name}"))
    pdf.set_author(pdf.clean(document.supplier_name))
    pdf.set_creator("Rocket")
    pdf.set_lang("en-AU")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.add_page()
    _header(pdf, document)
    if document.banner:
        _banner(pdf, document.banner)
    _parties(pdf, document)
    if document.reason:
        _paragraph(pdf, "Reason for adjustment", document.reason)
    _lines(pdf, document)
    _summary(pdf, document)
    pdf.ln(4)
    _paragraph(pdf, None, document.gst_statement)
    if document.notes:
        _paragraph(pdf, "Notes", document.notes)
    pdf.ln(2)
    pdf.set_draw_color(221, 221, 221)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    for line in document.closing:
        _paragraph(pdf, None, line, gap=0.5)
    return bytes(pdf.output())


def _width(pdf: _Page) -> float:
    return float(pdf.w - pdf.l_margin - pdf.r_margin)


def _header(pdf: _Page, document: BillingDocument) -> None:
    top = pdf.get_y()
    left = _width(pdf) * 0.55
    pdf.set_font(_FAMILY, "B", 14)
    pdf.multi_cell(
        left,
        7,
        pdf.clean(document.supplier_name),
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(_FAMILY, "", 10)
    pdf.cell(
        left, _LINE, pdf.clean(f"ABN {document.supplier_abn}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    if document.supplier_email:
        pdf.cell(
            left, _LINE, pdf.clean(document.supplier_email), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + left, top)
    title, room = pdf.clean(document.title), _width(pdf) - left
    size = 18
    pdf.set_font(_FAMILY, "B", size)
    while size > 12 and pdf.get_string_width(title) > room - 2:
        size -= 1
        pdf.set_font(_FAMILY, "B", size)
    pdf.multi_cell(room, 9, title, align=Align.R)
    bottom = max(bottom, pdf.get_y()) + 2
    pdf.set_draw_color(26, 26, 26)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, bottom, pdf.w - pdf.r_margin, bottom)
    pdf.set_line_width(0.2)
    pdf.set_xy(pdf.l_margin, bottom + 4)


def _banner(pdf: _Page, banner: str) -> None:
    pdf.set_font(_FAMILY, "B", 11)
    pdf.set_text_color(*_RED)
    pdf.set_draw_color(*_RED)
    pdf.multi_cell(0, 7, pdf.clean(banner), align=Align.L, border=1, padding=2, new_x=XPos.LMARGIN)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)


def _parties(pdf: _Page, document: BillingDocument) -> None:
    top = pdf.get_y()
    left = _width(pdf) * 0.5
    pdf.set_font(_FAMILY, "B", 9)
    pdf.set_text_color(*_GREY)
    pdf.cell(left, _LINE, document.recipient_heading.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(_FAMILY, "B", 10)
    pdf.multi_cell(
        left, _LINE, pdf.clean(document.recipient_name), align=Align.L, new_x=XPos.LMARGIN
    )
    pdf.set_font(_FAMILY, "", 10)
    for line in document.recipient_lines:
        pdf.multi_cell(left, _LINE, pdf.clean(line), align=Align.L, new_x=XPos.LMARGIN)
    bottom = pdf.get_y()
    label_width = 42.0
    value_width = _width(pdf) - left - label_width
    pdf.set_y(top)
    for label, value in document.details:
        pdf.set_x(pdf.l_margin + left)
        pdf.set_font(_FAMILY, "B", 10)
        pdf.cell(label_width, _LINE + 1, pdf.clean(label))
        pdf.set_font(_FAMILY, "", 10)
        pdf.cell(value_width, _LINE + 1, pdf.clean(value), align=Align.R)
        pdf.ln(_LINE + 1)
    pdf.set_xy(pdf.l_margin, max(bottom, pdf.get_y()) + 6)


def _lines(pdf: _Page, document: BillingDocument) -> None:
    pdf.set_font(_FAMILY, "", 10)
    pdf.set_draw_color(26, 26, 26)
    with pdf.table(
        col_widths=(94, 22, 29, 29),
        text_align=(Align.L, Align.R, Align.R, Align.R),
        borders_layout=TableBordersLayout.SINGLE_TOP_LINE,
        headings_style=FontFace(emphasis="BOLD"),
        line_height=_LINE + 1,
        padding=1,
    ) as table:
        heading = table.row()
        for title in ("Description", "Quantity", "Unit price", "Amount"):
            heading.cell(title)
        for line in document.lines:
            row = table.row()
            row.cell(pdf.clean(line.description))
            row.cell(line.quantity)
            row.cell(line.unit_price)
            row.cell(line.amount)
    pdf.ln(2)


def _summary(pdf: _Page, document: BillingDocument) -> None:
    label_width, value_width = 62.0, 32.0
    start = pdf.w - pdf.r_margin - label_width - value_width
    row_height = _LINE + 1.5
    if pdf.get_y() + row_height * len(document.summary) > pdf.page_break_trigger:
        pdf.add_page()  # keep the figures together
    pdf.set_draw_color(26, 26, 26)
    for row in document.summary:
        pdf.set_x(start)
        pdf.set_font(_FAMILY, "B" if row.strong else "", 10)
        border = "T" if row.strong else ""
        pdf.cell(label_width, row_height, pdf.clean(row.label), border=border)
        pdf.cell(value_width, row_height, row.value, border=border, align=Align.R)
        pdf.ln(row_height)


def _paragraph(pdf: _Page, heading: str | None, text: str, *, gap: float = 2.0) -> None:
    if heading:
        pdf.set_font(_FAMILY, "B", 10)
        pdf.cell(0, _LINE, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "", 10)
    pdf.multi_cell(0, _LINE, pdf.clean(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(gap)
