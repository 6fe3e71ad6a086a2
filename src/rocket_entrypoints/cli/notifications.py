"""`rocket notifications dispatch`: the outbox dispatcher, once or as a long-running loop."""

from __future__ import annotations

import time
from uuid import UUID

import attrs
import typer
from sqlalchemy.exc import DBAPIError

from rocket_core.errors import RocketError
from rocket_core.services.dispatch import DispatchReport, DispatchService
from rocket_entrypoints.cli.common import organisations, parse_id, running, stoppable
from rocket_entrypoints.cli.errors import (
    EXIT_PARTLY_DONE,
    describe,
    fail,
    interrupted,
    reported_errors,
    warn,
)
from rocket_entrypoints.cli.output import Output

notifications_app = typer.Typer(
    name="notifications",
    help=(
        "The notification outbox: use cases queue e-mails in the transaction of the change; "
        "the dispatcher sends them.\n\n"
        "Example: rocket notifications dispatch --loop"
    ),
    no_args_is_help=True,
)


def _figures(report: DispatchReport) -> dict[str, int]:
    return {field.name: getattr(report, field.name) for field in attrs.fields(DispatchReport)}


@notifications_app.command()
def dispatch(
    limit: int = typer.Option(
        100, min=1, max=10_000, help="Notifications claimed at a time in an organisation."
    ),
    loop: bool = typer.Option(
        False,
        "--loop",
        help="Keep going until stopped (Ctrl-C or SIGTERM), sleeping --interval seconds "
        "whenever nothing was due.",
    ),
    interval: float = typer.Option(
        30.0, min=0.1, help="With --loop: seconds to sleep when nothing was due."
    ),
    organisation_id: str | None = typer.Option(
        None, help="Only this organisation (default: every organisation)."
    ),
) -> None:
    """Send the due notifications of every organisation (the outbox dispatcher).

    E-mail through ROCKET_SMTP_HOST, or written to the log without it: claim up to --limit rows,
    send each outside any transaction, record each outcome; again until nothing is due. Failed
    sends are retried later with a growing backoff; a permanent bounce flags the family
    undeliverable.

    Without --loop it stops when nothing is left to send (for cron: every minute); with
    --loop it runs until stopped (a systemd service), picking up organisations added since.
    Several dispatchers may run at once: they never send the same notification together. A
    dispatcher killed mid-send leaves its rows claimed for 5 minutes; they are then sent
    again (the same Message-ID), never lost.

    Example: rocket notifications dispatch --loop --interval 15
    """
    only = parse_id(organisation_id, "--organisation-id")
    out = Output()
    rounds = 0
    total = DispatchReport()
    failed: set[UUID] = set()
    with reported_errors(), running() as container, stoppable():
        service: DispatchService = container.dispatch()
        try:
            while True:
                rounds += 1
                done = DispatchReport()
                for organisation in organisations(container, only):
                    try:
                        report = service.dispatch_until_empty(organisation, limit)
                    except (RocketError, DBAPIError) as error:
                        warn(f"organisation {organisation}: {describe(error)}")
                        failed.add(organisation)
                        continue
                    failed.discard(organisation)
                    done += report
                    if report.claimed:
                        out.event(
                            "organisation",
                            job="dispatch",
                            organisation_id=organisation,
                            **_figures(report),
                        )
                total += done
                if not loop:
                    break
                if done.claimed:
                    out.event("round", job="dispatch", round=rounds, **_figures(done))
                    out.say(_line(f"round {rounds}", done))
                else:
                    time.sleep(interval)
        except KeyboardInterrupt:
            if not loop:
                interrupted(rounds, "round")
            out.event("stopped", job="dispatch", rounds=rounds, **_figures(total))
            out.say(_line(f"stopped after {rounds} round(s)", total))
            return
    out.event("done", job="dispatch", **_figures(total))
    out.say(_line("dispatch", total))
    if failed:
        fail(
            f"the dispatcher failed in {len(failed)} organisation(s): run it again",
            code=EXIT_PARTLY_DONE,
        )


def _line(what: str, report: DispatchReport) -> str:
    return (
        f"{what}: {report.sent} sent, {report.retried} to retry, {report.failed} failed "
        f"({report.undeliverable} newly undeliverable), {report.cancelled} cancelled"
    )
