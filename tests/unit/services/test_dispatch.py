"""The notification dispatcher over the memory store: claim, send, record; retries with
backoff, the attempt limit, permanent bounces, lapsed claims and two dispatchers at once.

Notifications are queued directly (``factories.notification``); the notifier is a recording
fake that can be told to fail for an address.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from tests.contracts import factories as f
from tests.unit.services.conftest import World
from tests.unit.services.helpers import snapshot

from rocket_adapters.email import ConsoleNotifier
from rocket_core import model as m
from rocket_core.errors import (
    NotFound,
    PermanentDeliveryFailure,
    TemporaryDeliveryFailure,
    ValidationError,
)
from rocket_core.ports import Notifier, OutgoingMessage
from rocket_core.services.dispatch import DispatchReport, DispatchService

MAI = "mai@family.example"
JO = "jo@family.example"


class Crash(BaseException):
    """The process dies in the middle of a send (not an Exception: nothing catches it)."""


class FakeNotifier(Notifier):
    """Records every call; ``fail[address]`` lists what the next sends to it raise (None: it
    goes), ``always[address]`` what every send to it raises; ``during`` runs inside a send."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[OutgoingMessage] = []
        self.sent: list[OutgoingMessage] = []
        self.fail: dict[str, list[BaseException | None]] = {}
        self.always: dict[str, BaseException] = {}
        self.during: Callable[[OutgoingMessage], None] | None = None

    def send(self, message: OutgoingMessage) -> None:
        with self.lock:
            self.calls.append(message)
            if self.during is not None:
                self.during(message)
            script = self.fail.get(message.to_address)
            outcome = script.pop(0) if script else self.always.get(message.to_address)
            if outcome is not None:
                raise outcome
            self.sent.append(message)


def dispatcher(world: World, notifier: Notifier, **options: Any) -> DispatchService:
    return DispatchService(world.make_uow, world.clock, world.bus, notifier, **options)


def queue(world: World, recipient: m.Family | None = None, **overrides: Any) -> m.Notification:
    """A notification to ``recipient`` (the world's family), queued five minutes ago and due
    since then unless ``due_at`` says otherwise."""
    values: dict[str, Any] = {"created_at": world.clock.now() - timedelta(minutes=5)}
    notification = f.notification(recipient or world.family, **{**values, **overrides})
    with world.uow() as uow:
        uow.notifications.add(notification)
        uow.commit()
    return notification


def load(world: World, notification_id: UUID) -> m.Notification:
    with world.uow() as uow:
        return uow.notifications.get(notification_id)


def load_family(world: World, family_id: UUID) -> m.Family:
    with world.uow() as uow:
        return uow.families.get(family_id)


def audited(world: World, entity_id: UUID) -> list[str]:
    with world.uow() as uow:
        return [entry.action for entry in uow.audit.list_for_entity(entity_id)]


def test_a_due_notification_is_sent_once_to_the_familys_address(world: World) -> None:
    notifier = FakeNotifier()
    queued = queue(world, html_body="<p>Saturday's class is cancelled.</p>")
    service = dispatcher(world, notifier)

    report = service.dispatch(world.org_id)

    assert report == DispatchReport(claimed=1, sent=1)
    [message] = notifier.sent
    assert message == OutgoingMessage(
        channel=m.NotificationChannel.EMAIL,
        to_address=MAI,
        subject=queued.subject,
        text_body=queued.body,
        html_body="<p>Saturday's class is cancelled.</p>",
        reference=queued.id,
        sender_name="Rocket Academy",
    )
    row = load(world, queued.id)
    assert (row.status, row.sent_to, row.sent_at) == (
        m.NotificationStatus.SENT,
        MAI,
        world.clock.now(),
    )
    assert (row.attempts, row.claimed_until, row.last_error) == (1, None, None)
    assert service.dispatch(world.org_id) == DispatchReport()
    assert len(notifier.calls) == 1


def test_a_staff_recipient_gets_it_at_their_e_mail(world: World) -> None:
    notifier = FakeNotifier()
    staff = world.staff["lead_instructor"]
    queued = queue(world, recipient_family_id=None, recipient_staff_id=staff.id)

    assert dispatcher(world, notifier).dispatch(world.org_id).sent == 1

    assert [m.to_address for m in notifier.sent] == [staff.email]
    assert load(world, queued.id).sent_to == staff.email


def test_a_notification_not_yet_due_waits_for_its_time(world: World) -> None:
    notifier = FakeNotifier()
    queued = queue(world, due_at=world.clock.now() + timedelta(hours=1))
    service = dispatcher(world, notifier)

    assert service.dispatch(world.org_id) == DispatchReport()
    world.clock.advance(timedelta(minutes=59, seconds=59))
    assert service.dispatch(world.org_id) == DispatchReport()
    assert notifier.calls == []
    world.clock.advance(timedelta(seconds=1))
    assert service.dispatch(world.org_id).sent == 1
    assert load(world, queued.id).status is m.NotificationStatus.SENT


def test_rows_go_earliest_due_first_and_at_most_limit_per_round(world: World) -> None:
    notifier = FakeNotifier()
    now = world.clock.now()
    late = queue(world, due_at=now - timedelta(minutes=1))
    early = queue(world, world.other_family, due_at=now - timedelta(minutes=3))
    service = dispatcher(world, notifier)

    assert service.dispatch(world.org_id, limit=1) == DispatchReport(claimed=1, sent=1)
    assert [m.reference for m in notifier.sent] == [early.id]
    assert service.dispatch(world.org_id, limit=1).sent == 1
    assert [m.reference for m in notifier.sent] == [early.id, late.id]


def test_a_temporary_failure_is_retried_with_a_doubling_backoff(world: World) -> None:
    notifier = FakeNotifier()
    notifier.fail[MAI] = [
        TemporaryDeliveryFailure("451 try again later"),
        TemporaryDeliveryFailure("connection timed out"),
    ]
    queued = queue(world)
    service = dispatcher(world, notifier, backoff_seconds=60)
    start = world.clock.now()

    assert service.dispatch(world.org_id) == DispatchReport(claimed=1, retried=1)
    row = load(world, queued.id)
    assert (row.status, row.attempts, row.due_at) == (
        m.NotificationStatus.QUEUED,
        1,
        start + timedelta(seconds=60),
    )
    assert (row.last_error, row.claimed_until) == ("451 try again later", None)

    world.clock.advance(timedelta(seconds=59))
    assert service.dispatch(world.org_id) == DispatchReport()  # not due yet
    world.clock.advance(timedelta(seconds=1))
    assert service.dispatch(world.org_id).retried == 1
    row = load(world, queued.id)
    assert (row.attempts, row.due_at, row.last_error) == (
        2,
        start + timedelta(seconds=60 + 120),
        "connection timed out",
    )

    world.clock.advance(timedelta(seconds=120))
    assert service.dispatch(world.org_id).sent == 1
    row = load(world, queued.id)
    assert (row.status, row.attempts) == (m.NotificationStatus.SENT, 3)
    assert len(notifier.calls) == 3
    assert audited(world, queued.id) == []  # retries are on the row itself


def test_the_backoff_doubles_per_attempt_and_stops_at_six_hours(world: World) -> None:
    service = dispatcher(world, FakeNotifier(), backoff_seconds=60)
    assert [service.backoff_after(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert service.backoff_after(9) == timedelta(seconds=60 * 256)
    assert service.backoff_after(10) == timedelta(hours=6)  # 60 s * 512 is more than 6 h
    assert service.backoff_after(10_000) == timedelta(hours=6)


def test_it_fails_once_the_attempts_reach_the_limit(world: World) -> None:
    notifier = FakeNotifier()
    notifier.always[MAI] = TemporaryDeliveryFailure("421 service not available")
    queued = queue(world)
    service = dispatcher(world, notifier, max_attempts=3)

    reports = []
    for _ in range(3):
        reports.append(service.dispatch(world.org_id))
        world.clock.advance(timedelta(hours=6))

    assert [r.retried for r in reports] == [1, 1, 0]
    assert reports[-1] == DispatchReport(claimed=1, failed=1)
    row = load(world, queued.id)
    assert row.status is m.NotificationStatus.FAILED
    assert row.attempts == 3
    assert row.last_error == "gave up after 3 attempts: 421 service not available"
    assert audited(world, queued.id) == ["notification.fail"]
    assert service.dispatch(world.org_id) == DispatchReport()
    assert len(notifier.calls) == 3
    assert not load_family(world, world.family.id).is_undeliverable  # not a bounce


def test_a_permanent_bounce_flags_the_family_and_its_later_rows_fail_unsent(
    world: World,
) -> None:
    notifier = FakeNotifier()
    notifier.always[MAI] = PermanentDeliveryFailure("550 5.1.1 mailbox unavailable")
    now = world.clock.now()
    first = queue(world, due_at=now - timedelta(minutes=3))
    later = queue(world, due_at=now - timedelta(minutes=2))
    other = queue(world, world.other_family, due_at=now - timedelta(minutes=1))
    service = dispatcher(world, notifier)

    assert service.dispatch(world.org_id, limit=1) == DispatchReport(
        claimed=1, failed=1, undeliverable=1
    )
    row = load(world, first.id)
    assert (row.status, row.last_error) == (
        m.NotificationStatus.FAILED,
        "550 5.1.1 mailbox unavailable",
    )
    family = load_family(world, world.family.id)
    assert family.undeliverable_at == now
    assert family.undeliverable_reason == "550 5.1.1 mailbox unavailable"
    assert audited(world, first.id) == ["notification.fail"]
    assert audited(world, world.family.id) == ["family.mark_undeliverable"]

    assert service.dispatch(world.org_id) == DispatchReport(claimed=2, sent=1, failed=1)
    assert [m.to_address for m in notifier.calls] == [MAI, JO]  # nothing more to Mai
    row = load(world, later.id)
    assert (row.status, row.attempts, row.last_error) == (
        m.NotificationStatus.FAILED,
        0,
        "family is marked undeliverable",
    )
    assert audited(world, later.id) == ["notification.fail"]
    assert load(world, other.id).status is m.NotificationStatus.SENT
    assert not load_family(world, world.other_family.id).is_undeliverable


def test_a_permanent_failure_to_a_staff_member_just_fails_the_row(world: World) -> None:
    notifier = FakeNotifier()
    staff = world.staff["front_desk"]
    notifier.always[staff.email] = PermanentDeliveryFailure("550 no such user")
    queued = queue(world, recipient_family_id=None, recipient_staff_id=staff.id)

    assert dispatcher(world, notifier).dispatch(world.org_id) == DispatchReport(claimed=1, failed=1)
    assert load(world, queued.id).status is m.NotificationStatus.FAILED
    assert audited(world, queued.id) == ["notification.fail"]


def test_a_lapsed_claim_is_sent_again_with_the_same_reference(world: World) -> None:
    notifier = FakeNotifier()
    notifier.fail[MAI] = [Crash()]
    queued = queue(world)
    service = dispatcher(world, notifier, lease_seconds=300)
    claimed_at = world.clock.now()

    with pytest.raises(Crash):  # died after handing the message over, before recording it
        service.dispatch(world.org_id)
    row = load(world, queued.id)
    assert (row.status, row.attempts, row.claimed_until) == (
        m.NotificationStatus.QUEUED,
        1,
        claimed_at + timedelta(seconds=300),
    )

    world.clock.advance(timedelta(seconds=299))
    assert service.dispatch(world.org_id) == DispatchReport()  # still claimed: nobody takes it
    world.clock.advance(timedelta(seconds=1))
    assert service.dispatch(world.org_id) == DispatchReport(claimed=1, sent=1)

    assert [m.reference for m in notifier.calls] == [queued.id, queued.id]
    row = load(world, queued.id)
    assert (row.status, row.attempts) == (m.NotificationStatus.SENT, 2)


def test_a_slow_batch_stops_sending_when_half_its_lease_is_gone(world: World) -> None:
    notifier = FakeNotifier()
    notifier.during = lambda message: world.clock.advance(timedelta(seconds=200))
    first = queue(world, due_at=world.clock.now() - timedelta(minutes=2))
    second = queue(world, world.other_family, due_at=world.clock.now() - timedelta(minutes=1))
    service = dispatcher(world, notifier, lease_seconds=300)

    assert service.dispatch(world.org_id) == DispatchReport(claimed=2, sent=1)
    assert [m.reference for m in notifier.calls] == [first.id]
    assert load(world, second.id).claimed_until is not None  # left under its claim

    world.clock.advance(timedelta(seconds=100))  # the claim lapses
    assert service.dispatch(world.org_id) == DispatchReport(claimed=1, sent=1)
    assert load(world, second.id).status is m.NotificationStatus.SENT


def test_a_row_cancelled_while_it_was_being_sent_stays_cancelled(world: World) -> None:
    notifier = FakeNotifier()
    queued = queue(world, template_name="child_absent")

    def excuse_meanwhile(message: OutgoingMessage) -> None:
        with world.uow() as uow:
            uow.notifications.get(queued.id).cancel("the absence was excused")
            uow.commit()

    notifier.during = excuse_meanwhile

    assert dispatcher(world, notifier).dispatch(world.org_id) == DispatchReport(claimed=1)
    row = load(world, queued.id)
    assert (row.status, row.last_error) == (
        m.NotificationStatus.CANCELLED,
        "the absence was excused",
    )


def test_a_kind_the_family_switched_off_meanwhile_is_cancelled_unsent(world: World) -> None:
    notifier = FakeNotifier()
    absent = queue(world, template_name="child_absent")
    critical = queue(world, template_name="session_cancelled")
    with world.uow() as uow:
        uow.families.get(world.family.id).update(
            notification_opt_outs={m.NotificationKind.CHILD_ABSENT}
        )
        uow.commit()

    report = dispatcher(world, notifier).dispatch(world.org_id)

    assert report == DispatchReport(claimed=2, sent=1, cancelled=1)
    assert [m.reference for m in notifier.calls] == [critical.id]
    assert load(world, absent.id).status is m.NotificationStatus.CANCELLED
    assert audited(world, absent.id) == ["notification.cancel"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"type": m.NotificationChannel.SMS}, "the sms channel is not supported yet"),
        ({"recipient_family_id": None, "recipient_staff_id": "deactivated"}, "deactivated"),
    ],
)
def test_rows_that_cannot_go_fail_without_being_sent(
    world: World, overrides: dict[str, Any], reason: str
) -> None:
    if overrides.get("recipient_staff_id") == "deactivated":
        with world.uow() as uow:
            uow.staff.get(world.staff["front_desk"].id).deactivate()
            uow.commit()
        overrides = {**overrides, "recipient_staff_id": world.staff["front_desk"].id}
    notifier = FakeNotifier()
    queued = queue(world, **overrides)

    assert dispatcher(world, notifier).dispatch(world.org_id) == DispatchReport(claimed=1, failed=1)
    assert notifier.calls == []
    row = load(world, queued.id)
    assert row.status is m.NotificationStatus.FAILED
    assert reason in (row.last_error or "")


def test_an_unexpected_notifier_error_counts_as_temporary_and_the_batch_goes_on(
    world: World,
) -> None:
    notifier = FakeNotifier()
    notifier.fail[MAI] = [RuntimeError("bug in the adapter")]
    broken = queue(world, due_at=world.clock.now() - timedelta(minutes=2))
    fine = queue(world, world.other_family, due_at=world.clock.now() - timedelta(minutes=1))

    report = dispatcher(world, notifier).dispatch(world.org_id)

    assert report == DispatchReport(claimed=2, sent=1, retried=1)
    assert load(world, broken.id).last_error == "unexpected RuntimeError: bug in the adapter"
    assert load(world, fine.id).status is m.NotificationStatus.SENT


def test_dispatch_until_empty_sends_everything_due_in_rounds(world: World) -> None:
    notifier = FakeNotifier()
    queued = [queue(world, world.family if n % 2 else world.other_family) for n in range(7)]

    report = dispatcher(world, notifier).dispatch_until_empty(world.org_id, limit=3)

    assert report == DispatchReport(claimed=7, sent=7)
    assert sorted(m.reference for m in notifier.sent) == sorted(n.id for n in queued)  # type: ignore[type-var]


def test_two_dispatchers_in_threads_never_send_a_row_twice(world: World) -> None:
    notifier = FakeNotifier()
    queued = [queue(world, world.family if n % 2 else world.other_family) for n in range(120)]
    services = [dispatcher(world, notifier), dispatcher(world, notifier)]
    barrier = threading.Barrier(2)
    reports: list[DispatchReport] = []
    failures: list[BaseException] = []

    def run(service: DispatchService) -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(service.dispatch_until_empty(world.org_id, limit=7))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    counts = Counter(message.reference for message in notifier.calls)
    assert counts == Counter({n.id: 1 for n in queued})
    assert sum(r.sent for r in reports) == 120
    with world.uow() as uow:
        statuses = {uow.notifications.get(n.id).status for n in queued}
    assert statuses == {m.NotificationStatus.SENT}


def test_bad_settings_and_limits_are_refused_naming_the_field(world: World) -> None:
    for option, value in [
        ("max_attempts", 0),
        ("max_attempts", 2.5),
        ("backoff_seconds", 0),
        ("lease_seconds", -1),
        ("lease_seconds", True),
    ]:
        with pytest.raises(ValidationError) as refused:
            dispatcher(world, FakeNotifier(), **{option: value})
        assert refused.value.field == f"DispatchService.{option}"
    queue(world)
    before = snapshot(world)
    service = dispatcher(world, FakeNotifier())
    for limit in (0, -5, 1.5, True):
        with pytest.raises(ValidationError) as refused:
            service.dispatch(world.org_id, limit=limit)  # type: ignore[arg-type]
        assert refused.value.field == "DispatchService.limit"
    assert snapshot(world) == before


def test_an_unknown_organisation_is_not_found(world: World) -> None:
    before = snapshot(world)
    with pytest.raises(NotFound):
        dispatcher(world, FakeNotifier()).dispatch(m.new_id())
    assert snapshot(world) == before


def test_the_console_notifier_logs_each_message_and_counts_it_sent(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    queued = queue(world, body="\nKim was absent today.\nPlease let us know why.")
    caplog.set_level(logging.INFO, logger="rocket.notifications")

    assert dispatcher(world, ConsoleNotifier()).dispatch(world.org_id).sent == 1

    [record] = [r for r in caplog.records if r.name == "rocket.notifications"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"notification {queued.id} to {MAI}: Class cancelled | Kim was absent today."
    )
    assert load(world, queued.id).status is m.NotificationStatus.SENT
