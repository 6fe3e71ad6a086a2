"""`rocket billing run-term`: the term's tuition invoices, in batches, with a progress bar."""

from __future__ import annotations

from uuid import UUID

import typer
from rich.progress import TaskID
from sqlalchemy.exc import DBAPIError

from rocket_core.errors import RocketError
from rocket_core.services.term_invoicing import (
    DEFAULT_BATCH_SIZE,
    TermInvoicingReport,
    TermInvoicingService,
)
from rocket_entrypoints.cli.common import (
    batch_size_option,
    local_day,
    organisations,
    parse_day,
    parse_id,
    running,
    stoppable,
)
from rocket_entrypoints.cli.errors import (
    EXIT_PARTLY_DONE,
    describe,
    fail,
    interrupted,
    reported_errors,
    warn,
)
from rocket_entrypoints.cli.output import Output
from rocket_entrypoints.container import Container

billing_app = typer.Typer(
    name="billing",
    help=(
        "Billing jobs: the term's tuition invoices.\n\n"
        "Example: rocket billing run-term --first-day 2027-01-25 --last-day 2027-04-02"
    ),
    no_args_is_help=True,
)


def _service(container: Container, batch_size: int | None) -> TermInvoicingService:
    if batch_size is None:
        service: TermInvoicingService = container.term_invoicing()
        return service
    return TermInvoicingService(
        container.make_uow(), container.clock(), container.bus(), batch_size=batch_size
    )


def _figures(report: TermInvoicingReport) -> dict[str, object]:
    return {
        "invoices issued": report.invoices_issued,
        "amount invoiced": f"{report.amount_invoiced:,.2f}",
        "families charged": report.families_charged,
        "sibling discounts": report.sibling_discounts,
        "already invoiced (skipped)": report.already_invoiced,
        "without a price (skipped)": report.unpriced,
        "batches": report.batches,
    }


def _status(report: TermInvoicingReport) -> str:
    return (
        f"{report.batches} batches, {report.invoices_issued:,} invoices, "
        f"{report.amount_invoiced:,.2f}"
    )


@billing_app.command("run-term")
def run_term(
    first_day: str = typer.Option(
        ...,
        metavar="YYYY-MM-DD",
        help="The term's first day: cohorts starting from this day are invoiced.",
    ),
    last_day: str = typer.Option(
        ...,
        metavar="YYYY-MM-DD",
        help="The term's last day: cohorts starting up to this day are invoiced.",
    ),
    today: str | None = typer.Option(
        None,
        metavar="YYYY-MM-DD",
        help="The invoices' issue date (sessions before it are not charged); default today "
        "at the organisation's campuses.",
    ),
    organisation_id: str | None = typer.Option(
        None, help="Only this organisation (default: every organisation)."
    ),
    batch_size: int | None = batch_size_option("Families", DEFAULT_BATCH_SIZE),
) -> None:
    """Issue the term's tuition invoices (idempotent, in batches, resumable).

    Every enrolled or pending-payment enrolment in a cohort starting between --first-day and
    --last-day that has no invoice yet gets one (sibling discounts for children charged
    together, late starts prorated), sent and dated --today. Each family is told through the
    notification outbox.

    Safe to re-run: an enrolment with an invoice is skipped, so nothing is issued twice. The
    work is committed in batches of families; a run stopped part way (Ctrl-C, a crash, a
    kill) keeps the batches committed, and running the same command again finishes it.
    Enrolments without any price are skipped and counted: set a price and run it again.

    Example: rocket billing run-term --first-day 2027-01-25 --last-day 2027-04-02
    """
    first = parse_day(first_day, "--first-day")
    last = parse_day(last_day, "--last-day")
    issue_day = parse_day(today, "--today")
    only = parse_id(organisation_id, "--organisation-id")
    assert first is not None
    assert last is not None
    if last < first:
        raise typer.BadParameter(f"{last} is before --first-day {first}", param_hint="--last-day")
    out = Output()
    batches = 0
    failed: list[UUID] = []
    reports: list[TermInvoicingReport] = []
    with reported_errors(), running() as container, stoppable():
        ids = organisations(container, only)
        service = _service(container, batch_size)
        with out.progress() as progress:
            try:
                for organisation in ids:
                    task = (
                        None
                        if progress is None
                        else progress.add_task(
                            f"organisation {str(organisation)[:8]}", total=None, status="reading"
                        )
                    )

                    def on_batch(
                        report: TermInvoicingReport,
                        organisation: UUID = organisation,
                        task: TaskID | None = task,
                    ) -> None:
                        nonlocal batches
                        batches += 1
                        out.event(
                            "batch",
                            job="run-term",
                            organisation_id=organisation,
                            batches=batches,
                            **_json_figures(report),
                        )
                        if progress is not None and task is not None:
                            progress.update(task, status=_status(report))

                    try:
                        report = service.run_term(
                            organisation,
                            first_day=first,
                            last_day=last,
                            today=issue_day or local_day(container, organisation),
                            on_batch=on_batch,
                        )
                    except (RocketError, DBAPIError) as error:
                        warn(f"organisation {organisation}: {describe(error)}")
                        failed.append(organisation)
                        continue
                    reports.append(report)
                    if progress is not None and task is not None:
                        progress.update(task, total=1, completed=1, status=_status(report))
                    out.event(
                        "organisation",
                        job="run-term",
                        organisation_id=organisation,
                        **_json_figures(report),
                    )
            except KeyboardInterrupt:
                interrupted(batches)
    for report in reports:
        out.pairs(
            f"Term {report.first_day} to {report.last_day}",
            _figures(report),
            caption=f"issued {report.today}, organisation {report.organisation_id}",
        )
    issued = sum(report.invoices_issued for report in reports)
    out.event(
        "done",
        job="run-term",
        organisations=len(reports),
        failed=len(failed),
        batches=batches,
        invoices_issued=issued,
    )
    out.say(f"run-term: {len(reports)} organisation(s), {issued:,} invoice(s) issued")
    if failed:
        fail(
            f"term invoicing failed in {len(failed)} of {len(ids)} organisations: run it again",
            code=EXIT_PARTLY_DONE,
        )


def _json_figures(report: TermInvoicingReport) -> dict[str, object]:
    return {
        "invoices_issued": report.invoices_issued,
        "amount_invoiced": report.amount_invoiced,
        "families_charged": report.families_charged,
        "sibling_discounts": report.sibling_discounts,
        "already_invoiced": report.already_invoiced,
        "unpriced": report.unpriced,
        "organisation_batches": report.batches,
    }
