"""`rocket jobs nightly`: the nightly lifecycle of every organisation (cron or a systemd
timer runs it just after midnight; docs/operations.md)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, cast
from uuid import UUID

import typer
from sqlalchemy.exc import DBAPIError

from rocket_core.errors import RocketError
from rocket_core.ports import LifecycleRepository, UnitOfWork, UnitOfWorkFactory
from rocket_core.services.export import jsonable
from rocket_core.services.lifecycle import DEFAULT_BATCH_SIZE, LifecycleService, NightlyReport
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

jobs_app = typer.Typer(
    name="jobs",
    help=(
        "Scheduled batch jobs, for cron or a systemd timer (docs/operations.md).\n\n"
        "Example: rocket jobs nightly"
    ),
    no_args_is_help=True,
)


class _Observed:
    """A unit of work that reports each committed batch of the nightly job: a transaction of
    ``LifecycleService`` whose ``lifecycle.next_cohort_batch`` found cohorts (the last
    transaction of a run finds none and changes nothing)."""

    def __init__(self, inner: UnitOfWork, committed: Callable[[], None]) -> None:
        self._inner = inner
        self._committed = committed
        self._batch = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def lifecycle(self) -> Any:
        """The lifecycle repository, noting whether this transaction holds a batch."""
        return _BatchNoting(self._inner.lifecycle, self)

    def __enter__(self) -> _Observed:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, traceback)

    def commit(self) -> None:
        self._inner.commit()
        if self._batch:
            self._batch = False
            self._committed()


class _BatchNoting:
    """A lifecycle repository that tells its unit of work when a batch was found."""

    def __init__(self, inner: LifecycleRepository, owner: _Observed) -> None:
        self._inner = inner
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def next_cohort_batch(self, after: UUID | None, size: int) -> UUID | None:
        upto = self._inner.next_cohort_batch(after, size)
        self._owner._batch = upto is not None
        return upto


def observed(make_uow: UnitOfWorkFactory, committed: Callable[[], None]) -> UnitOfWorkFactory:
    """``make_uow`` whose units of work call ``committed()`` after each commit."""

    def make(organisation_id: UUID) -> UnitOfWork:
        return cast(UnitOfWork, _Observed(make_uow(organisation_id), committed))

    return make


def _lifecycle(
    container: Container, committed: Callable[[], None], batch_size: int | None
) -> LifecycleService:
    """The container's lifecycle, over units of work that report their commits."""
    return LifecycleService(
        observed(container.make_uow(), committed),
        container.clock(),
        container.bus(),
        offers=container.enrolment(),
        tokens=container.makeup(),
        invoices=container.invoicing(),
        batch_size=batch_size or DEFAULT_BATCH_SIZE,
    )


def _figures(report: NightlyReport) -> dict[str, int]:
    return {
        "cohorts begun": report.cohorts_begun,
        "enrolments started": report.enrolments_started,
        "enrolments completed": report.enrolments_completed,
        "cohorts completed": report.cohorts_completed,
        "sessions completed": report.sessions_completed,
        "waitlist offers lapsed": report.offers_lapsed,
        "seats offered on": report.seats_offered,
        "makeup tokens expired": report.tokens_expired,
        "invoices overdue": report.invoices_overdue,
        "batches": report.batches,
    }


@jobs_app.command()
def nightly(
    date: str | None = typer.Option(
        None,
        "--date",
        metavar="YYYY-MM-DD",
        help="The day to run for; default today at the organisation's campuses (the "
        "earliest of their time zones' dates).",
    ),
    organisation_id: str | None = typer.Option(
        None, help="Only this organisation (default: every organisation)."
    ),
    batch_size: int | None = batch_size_option("Cohorts", DEFAULT_BATCH_SIZE),
) -> None:
    """The nightly job of every organisation (run it just after midnight).

    Cohorts begin and complete on their dates and their enrolments start and complete with
    them, past sessions are marked held, unpaid waitlist offers past their deadline lapse
    (the seat is offered on), expired makeup tokens are marked, and unpaid invoices past
    their grace period become overdue (the reminder is queued).

    Absence alerts are not sent here: marking a child absent queues the alert with a due
    time, and the dispatcher (`rocket notifications dispatch`) sends it when it is due.

    Safe to re-run: each step only moves what is due, so a second run for the same day
    changes nothing. The work is committed in batches of cohorts; a run stopped part way
    (Ctrl-C, a crash, a kill) keeps the batches committed, and running the same command
    again finishes the job. Run it just after midnight (docs/operations.md).

    Example: rocket jobs nightly --date 2026-11-26
    """
    day = parse_day(date, "--date")
    only = parse_id(organisation_id, "--organisation-id")
    out = Output()
    batches = 0
    failed: list[UUID] = []
    reports: list[NightlyReport] = []
    with reported_errors(), running() as container, stoppable():
        ids = organisations(container, only)
        try:
            for organisation in ids:
                in_organisation = 0

                def committed(organisation: UUID = organisation) -> None:
                    nonlocal batches, in_organisation
                    batches += 1
                    in_organisation += 1
                    out.event(
                        "batch",
                        job="nightly",
                        organisation_id=organisation,
                        batch=in_organisation,
                        batches=batches,
                    )

                service = _lifecycle(container, committed, batch_size)
                try:
                    run_day = day or local_day(container, organisation)
                    report = service.run_nightly(organisation, run_day, container.clock().now())
                except (RocketError, DBAPIError) as error:
                    warn(f"organisation {organisation}: {describe(error)}")
                    failed.append(organisation)
                    continue
                reports.append(report)
                out.event("organisation", job="nightly", changes=report.changes, **jsonable(report))
                out.pairs(
                    f"Nightly job for {report.day}",
                    _figures(report),
                    caption=f"organisation {organisation}",
                )
        except KeyboardInterrupt:
            interrupted(batches)
    out.event(
        "done",
        job="nightly",
        organisations=len(reports),
        failed=len(failed),
        batches=batches,
        changes=sum(report.changes for report in reports),
    )
    out.say(
        f"nightly: {len(reports)} organisation(s), {sum(r.changes for r in reports):,} "
        f"change(s) in {batches} batch(es)"
    )
    if failed:
        fail(
            f"the nightly job failed in {len(failed)} of {len(ids)} organisations: run it again",
            code=EXIT_PARTLY_DONE,
        )
