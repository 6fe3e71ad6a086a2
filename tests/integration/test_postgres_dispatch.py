"""Two dispatchers at once on Postgres, over the same 1,000 queued notifications.

Each thread runs its own DispatchService over the Postgres Database's units of work and
sends through one shared, thread-safe recording notifier. ``claim_due`` locks the rows it
takes and skips rows another transaction holds (``FOR UPDATE SKIP LOCKED``), and a committed
claim keeps the other dispatcher away: every notification is delivered exactly once, and
every row ends up sent.

Runs with ROCKET_TEST_DATABASE_URL (see conftest.py).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import sqlalchemy as sa

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database
from rocket_adapters.sql import tables as t
from rocket_core import model as m
from rocket_core.events import EventBus
from rocket_core.ports import Notifier, OutgoingMessage
from rocket_core.services.dispatch import DispatchReport, DispatchService

NOTIFICATIONS = 1_000
FAMILIES = 100
NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


class CountingNotifier(Notifier):
    """Counts deliveries per reference, and which thread made them (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.references: Counter[UUID | None] = Counter()
        self.by_thread: Counter[str] = Counter()

    def send(self, message: OutgoingMessage) -> None:
        with self.lock:
            self.references[message.reference] += 1
            self.by_thread[threading.current_thread().name] += 1


def seed(database: Database) -> tuple[UUID, list[UUID]]:
    """An organisation with FAMILIES families and NOTIFICATIONS queued notifications, due at
    spread-out instants before NOW."""
    tag = uuid4().hex[:10]
    org = m.Organisation(name=f"Dispatch Academy {tag}")
    families = [
        m.Family(
            organisation_id=org.id,
            primary_contact_name=f"Parent {n}",
            primary_contact_email=f"parent{n}-{tag}@family.example",
        )
        for n in range(FAMILIES)
    ]
    queued = [
        m.Notification(
            organisation_id=org.id,
            recipient_family_id=families[n % FAMILIES].id,
            template_name="invoice_issued",
            subject=f"Invoice {n}",
            body=f"Invoice {n} is attached.",
            created_at=NOW - timedelta(hours=1, seconds=n),
            dedupe_key=f"invoice_issued:{uuid4()}",
        )
        for n in range(NOTIFICATIONS)
    ]
    with database.unit_of_work(org.id) as uow:
        uow.organisations.add(org)
        for family in families:
            uow.families.add(family)
        uow.commit()
    with database.unit_of_work(org.id) as uow:
        for notification in queued:
            uow.notifications.add(notification)
        uow.commit()
    return org.id, [n.id for n in queued]


def statuses(database: Database, org_id: UUID) -> Counter[str]:
    """The organisation's notifications counted by status, read in SQL."""
    with database.unit_of_work(org_id) as uow:
        found = uow.execute(
            sa.select(t.notifications.c.status).where(t.notifications.c.organisation_id == org_id)
        ).scalars()
        return Counter(str(status) for status in found)


def test_two_dispatchers_deliver_each_of_1000_notifications_exactly_once(
    postgres_database: Database,
) -> None:
    org_id, ids = seed(postgres_database)
    notifier = CountingNotifier()
    barrier = threading.Barrier(2)
    reports: dict[str, DispatchReport] = {}
    failures: list[BaseException] = []

    def run() -> None:
        service = DispatchService(
            postgres_database.unit_of_work, FixedClock(NOW), EventBus(), notifier
        )
        try:
            barrier.wait(timeout=60)
            reports[threading.current_thread().name] = service.dispatch_until_empty(
                org_id, limit=25
            )
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run, name=f"dispatcher-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert notifier.references == Counter(dict.fromkeys(ids, 1))
    assert sum(report.sent for report in reports.values()) == NOTIFICATIONS
    assert sum(report.claimed for report in reports.values()) == NOTIFICATIONS
    assert all(notifier.by_thread[name] > 0 for name in reports)  # both really worked
    assert statuses(postgres_database, org_id) == Counter({"sent": NOTIFICATIONS})
