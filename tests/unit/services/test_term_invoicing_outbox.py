"""Term invoicing with the notification outbox subscribed (as the container wires it):
every invoice of the run queues its family's "invoice issued" notification in the batch's
transaction, in bulk, once, and a family's preferences are respected."""

from __future__ import annotations

from datetime import date

from tests.unit.services.conftest import World
from tests.unit.services.test_term_invoicing import FIRST, LAST, cohort, enrolment, run

from rocket_adapters.notification_templates import JinjaTemplateRenderer
from rocket_core import model as m
from rocket_core.services.notifications import NotificationService


def outbox(world: World) -> list[m.Notification]:
    with world.uow() as uow:
        return [
            n
            for family in (world.family, world.other_family)
            for n in uow.notifications.list_for_family(family.id)
        ]


def test_each_invoice_of_the_run_queues_one_notification_in_bulk(world: World) -> None:
    NotificationService(world.make_uow, world.clock, world.bus, JinjaTemplateRenderer()).subscribe()
    wednesday = cohort(world, "Term 1 Wed", date(2026, 2, 4), 6, price="300.00")
    made = [
        enrolment(world.child, world.cohort, on=date(2025, 10, 1)),
        enrolment(world.sibling, wednesday, on=date(2025, 10, 3)),
        enrolment(world.other_child, world.cohort, on=date(2025, 10, 2)),
    ]
    world.add(*made)
    with world.uow() as uow:  # the other family wants no invoice e-mails
        uow.families.get(world.other_family.id).notification_opt_outs = frozenset(
            {m.NotificationKind.INVOICE_ISSUED}
        )
        uow.commit()

    report = run(world, batch_size=2, first_day=FIRST, last_day=LAST)

    assert report.invoices_issued == 3
    queued = outbox(world)
    with world.uow() as uow:
        invoices = [i for e in made for i in uow.invoices.list_for_enrolment(e.id)]
    ours = sorted(i.invoice_number for i in invoices if i.family_id == world.family.id)
    assert sorted(n.dedupe_key or "" for n in queued) == sorted(
        f"invoice_issued:{i.id}" for i in invoices if i.family_id == world.family.id
    )
    assert all(n.recipient_family_id == world.family.id for n in queued)
    assert all(n.status is m.NotificationStatus.QUEUED for n in queued)
    assert sorted(number for n in queued for number in ours if number in n.body) == ours
    assert all(world.organisation.name in n.body for n in queued)
    # a second run issues nothing and queues nothing more
    assert run(world, batch_size=2, first_day=FIRST, last_day=LAST).invoices_issued == 0
    assert len(outbox(world)) == len(queued) == 2
