"""Billing documents as HTML: Jinja2 templates with autoescaping, so whatever a family or a
line description contains is shown as text, never run as markup."""

from __future__ import annotations

from functools import cache

import jinja2

from rocket_adapters.documents.content import BillingDocument

_TEMPLATES = {"tax_invoice": "tax_invoice.html.j2", "adjustment_note": "credit_note.html.j2"}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("rocket_adapters.documents", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(document: BillingDocument) -> str:
    """A complete, self-contained HTML page (styles inline, printable on A4)."""
    template = _environment().get_template(_TEMPLATES[document.kind])
    return template.render(doc=document)
