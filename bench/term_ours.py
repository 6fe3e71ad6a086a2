"""Child process of the term-invoicing benchmark: one TermInvoicingService.run_term over the
SQL adapter, measured. ``python -m bench.term_ours URL ORGANISATION_ID FIRST LAST TODAY NOW
[trace]`` prints one JSON line. With ``trace``, tracemalloc records the peak of Python
allocations (and slows Python down: timed runs go without it)."""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from datetime import date, datetime
from uuid import UUID

import sqlalchemy as sa

from bench.ours import peak_rss
from rocket_adapters.clock import FixedClock
from rocket_adapters.notification_templates import JinjaTemplateRenderer
from rocket_adapters.sql import Database
from rocket_core.events import EventBus
from rocket_core.services.notifications import NotificationService
from rocket_core.services.term_invoicing import TermInvoicingService


def main(
    url: str, organisation: str, first: str, last: str, today: str, now: str, *flags: str
) -> None:
    trace = "trace" in flags
    at = datetime.fromisoformat(now)
    database = Database(url)
    with database.engine.connect() as connection:  # connect before the clock starts
        connection.execute(sa.text("SELECT 1"))
    bus = EventBus()
    if "outbox" in flags:  # as the container wires it: a notification per invoice
        NotificationService(
            database.unit_of_work, FixedClock(at), bus, JinjaTemplateRenderer()
        ).subscribe()
    service = TermInvoicingService(database.unit_of_work, FixedClock(at), bus)
    rss_before = peak_rss()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    report = service.run_term(
        UUID(organisation),
        first_day=date.fromisoformat(first),
        last_day=date.fromisoformat(last),
        today=date.fromisoformat(today),
    )
    seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    rss_after = peak_rss()
    database.dispose()
    sys.stdout.write(
        json.dumps(
            {
                "seconds": seconds,
                "issued": report.invoices_issued,
                "amount": str(report.amount_invoiced),
                "discounts": report.sibling_discounts,
                "batches": report.batches,
                "traced_peak": traced_peak,
                "rss_before": rss_before,
                "rss_after": rss_after,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
