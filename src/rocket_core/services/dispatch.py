"""The notification dispatcher: sends the outbox's due notifications through the Notifier.

Use cases queue ``Notification`` rows in the same transaction as the change they announce
(DESIGN.md decision 12); ``DispatchService.dispatch`` sends what is due, in rounds:

1. **Claim** (one transaction): up to ``limit`` queued notifications that are due and not
   claimed (``uow.notifications.claim_due``) are each claimed for ``lease_seconds``
   (``Notification.claim``: one more attempt, ``claimed_until`` set); the address (a
   family's primary e-mail, a staff member's e-mail) and the sender's name (the
   organisation's name) are resolved. A row that cannot go out is failed now, without
   sending: a family marked undeliverable, a deactivated staff member, a recipient that no
   longer exists, a channel other than e-mail (SMS and push have no adapter yet). A row
   whose family has since switched that kind off is cancelled (critical kinds always go).
   If the commit meets a Conflict (on SQLite or in memory, another dispatcher claimed the
   same rows first), the round claims nothing and the caller runs again.
2. **Send** (outside any transaction, so no database lock is held during network I/O): one
   ``Notifier.send`` per claimed row, with ``reference`` = the notification's id.
3. **Record** (one short transaction per notification, right after its send): the row is
   reloaded and changed only if it is still queued under OUR claim (same attempt number and
   claim expiry). Success: ``mark_sent``. ``TemporaryDeliveryFailure`` (and any unexpected
   error of the notifier, which is logged): ``retry_at(now + backoff)``, the backoff starting
   at ``backoff_seconds`` and doubling per attempt up to 6 hours, or ``fail`` once the row
   has had ``max_attempts`` attempts. ``PermanentDeliveryFailure``: ``fail``, and a family
   recipient is marked undeliverable (nothing more is sent to it until staff clear the
   flag); a staff recipient's row just fails. Failures and undeliverable families are
   audited (no actor: a system job).

Delivery guarantee, plainly:

- **Never sent twice by two dispatchers at once.** A claim is committed before anything is
  sent, and ``claim_due`` skips claimed rows: on Postgres with row locks (``FOR UPDATE SKIP
  LOCKED``), on SQLite and in memory because the second claim of a row fails its version
  check at commit. Two dispatchers therefore send disjoint sets of rows.
- **Never lost.** If the process dies after the send and before step 3 commits (or step 3
  fails), the row stays queued with a claim that expires ``lease_seconds`` later; the next
  round then claims it again and SENDS IT AGAIN. This is the one case of a duplicate, and
  it is recognisable: the copy carries the same ``reference`` (the SMTP adapter makes it the
  Message-ID, ``<notification id@domain>``), so mail clients and people can see it is the
  same message. At-least-once delivery with an idempotency key, not exactly-once: no
  e-mail system can offer more.
- **A slow batch does not outlive its claim.** A round sends only while at least half of
  its lease remains; the rest of its rows keep their claim and are taken again when it
  lapses (that attempt counts), so a dispatcher never sends a row another one may have
  re-claimed.

``dispatch_until_empty`` repeats rounds until one claims nothing (what a ``--loop`` job
runs), retrying a round that lost its claims to another dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from rocket_core.errors import (
    Conflict,
    InvalidTransition,
    PermanentDeliveryFailure,
    TemporaryDeliveryFailure,
    ValidationError,
)
from rocket_core.events import EventBus
from rocket_core.model import (
    Family,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Staff,
)
from rocket_core.ports import Clock, Notifier, OutgoingMessage, UnitOfWork, UnitOfWorkFactory
from rocket_core.services.base import Service
from rocket_core.services.checks import by_id

_log = logging.getLogger(__name__)

#: The longest pause between two attempts, however many attempts came before.
MAX_BACKOFF = timedelta(hours=6)
#: How many times a round whose claim met a Conflict is run again by ``dispatch_until_empty``.
CONFLICT_RETRIES = 10
#: How many times step 3 is tried when its commit meets a Conflict.
RECORD_TRIES = 3
UNDELIVERABLE = "family is marked undeliverable"


@attrs.frozen(kw_only=True)
class DispatchReport:
    """What one or more dispatch rounds did.

    ``claimed``: rows taken (including those failed or cancelled at once without sending);
    ``sent``, ``retried``, ``failed``: rows now sent, waiting for another attempt, failed
    (for any reason); ``undeliverable``: families newly marked undeliverable by a permanent
    bounce; ``cancelled``: rows withdrawn unsent because the family had switched that kind
    off since it was queued. Rows claimed but neither sent, retried, failed nor cancelled
    were left for a later round (a slow batch) or changed by someone else while being sent.
    """

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    undeliverable: int = 0
    cancelled: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        """The totals of two reports."""
        return DispatchReport(
            **{
                field.name: getattr(self, field.name) + getattr(other, field.name)
                for field in attrs.fields(DispatchReport)
            }
        )


@attrs.frozen(kw_only=True)
class _Claim:
    """A row this round claimed, with what identifies our claim and what to send."""

    notification_id: UUID
    attempts: int
    claimed_until: datetime
    family_id: UUID | None
    message: OutgoingMessage


@attrs.frozen(kw_only=True)
class _Round:
    """Step 1's outcome: the claims to send, and what was done without sending."""

    claims: tuple[_Claim, ...] = ()
    failed: int = 0
    cancelled: int = 0
    contended: bool = False


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(f"DispatchService.{name}", "must be a whole number >= 1")


class DispatchService(Service):
    """Sends due notifications through a Notifier (see the module docstring for the rounds,
    the retries and the delivery guarantee)."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus,
        notifier: Notifier,
        *,
        max_attempts: int = 5,
        backoff_seconds: int = 60,
        lease_seconds: int = 300,
    ) -> None:
        super().__init__(make_uow, clock, bus)
        _positive("max_attempts", max_attempts)
        _positive("backoff_seconds", backoff_seconds)
        _positive("lease_seconds", lease_seconds)
        self.notifier = notifier
        self.max_attempts = max_attempts
        self.backoff = timedelta(seconds=backoff_seconds)
        self.lease = timedelta(seconds=lease_seconds)

    def backoff_after(self, attempts: int) -> timedelta:
        """The pause before the next attempt after ``attempts`` attempts: ``backoff_seconds``
        after the first, doubling each time, at most 6 hours."""
        doublings = min(max(attempts - 1, 0), 30)  # far past the cap, without overflowing
        return min(self.backoff * (1 << doublings), MAX_BACKOFF)

    def dispatch(self, organisation_id: UUID, limit: int = 100) -> DispatchReport:
        """One round: claim up to ``limit`` due notifications of the organisation, send each,
        record each outcome. NotFound for an unknown organisation."""
        return self._dispatch(organisation_id, limit)[0]

    def dispatch_until_empty(self, organisation_id: UUID, limit: int = 100) -> DispatchReport:
        """Rounds of ``dispatch`` until one claims nothing; the totals. A round that lost
        its claims to another dispatcher (a Conflict) is run again, up to 10 times in a
        row."""
        total = DispatchReport()
        contended = 0
        while True:
            report, lost = self._dispatch(organisation_id, limit)
            total += report
            if lost:
                contended += 1
                if contended > CONFLICT_RETRIES:
                    return total
                continue
            contended = 0
            if report.claimed == 0:
                return total

    # -- the three steps ----------------------------------------------------------------

    def _dispatch(self, organisation_id: UUID, limit: int) -> tuple[DispatchReport, bool]:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("DispatchService.limit", "must be a whole number >= 1")
        claimed = self._claim(organisation_id, limit)
        if claimed.contended:
            return DispatchReport(), True
        sent = retried = failed = undeliverable = 0
        for claim in claimed.claims:
            # Send only while half the lease remains: past that, the claim could run out
            # during the send and another dispatcher could take the row again.
            if self.clock.now() >= claim.claimed_until - self.lease / 2:
                continue
            outcome = self._send(claim)
            result = self._record(organisation_id, claim, outcome)
            sent += result == "sent"
            retried += result == "retried"
            failed += result in ("failed", "undeliverable")
            undeliverable += result == "undeliverable"
        report = DispatchReport(
            claimed=len(claimed.claims) + claimed.failed + claimed.cancelled,
            sent=sent,
            retried=retried,
            failed=failed + claimed.failed,
            undeliverable=undeliverable,
            cancelled=claimed.cancelled,
        )
        if report.claimed:
            _log.info("dispatched notifications of %s: %s", organisation_id, report)
        return report, False

    def _claim(self, organisation_id: UUID, limit: int) -> _Round:
        """Step 1: claim due rows, resolve their addresses, fail those that cannot go."""
        try:
            with self.system_transaction(organisation_id) as uow:
                return self._claim_in(uow, limit)
        except InvalidTransition:
            raise
        except Conflict as error:
            _log.info("another dispatcher claimed the same notifications first: %s", error)
            return _Round(contended=True)

    def _claim_in(self, uow: UnitOfWork, limit: int) -> _Round:
        now = self.clock.now()
        sender = uow.organisations.current().name
        due = uow.notifications.claim_due(now, limit)
        families = by_id(uow.families.find_many(_ids(due, "recipient_family_id")))
        staff = by_id(uow.staff.find_many(_ids(due, "recipient_staff_id")))
        claims: list[_Claim] = []
        failed = cancelled = 0
        for notification in due:
            if not _claimable(notification, now):
                continue  # changed since the lookup (the memory store's select is not atomic)
            family_id, staff_id = notification.recipient_family_id, notification.recipient_staff_id
            family = None if family_id is None else families.get(family_id)
            member = None if staff_id is None else staff.get(staff_id)
            if family is not None and not family.wants(notification.kind):
                notification.cancel(f"the family switched off {notification.kind.value}")
                self._audit_outcome(uow, notification, "cancelled")
                cancelled += 1
                continue
            refusal = _refusal(notification, family, member)
            if refusal is not None:
                notification.fail(refusal)
                self._audit_outcome(uow, notification, "failed")
                failed += 1
                continue
            notification.claim(now + self.lease)
            assert notification.claimed_until is not None
            address = _address(family, member)
            claims.append(
                _Claim(
                    notification_id=notification.id,
                    attempts=notification.attempts,
                    claimed_until=notification.claimed_until,
                    family_id=notification.recipient_family_id,
                    message=OutgoingMessage(
                        channel=notification.type,
                        to_address=address,
                        subject=notification.subject,
                        text_body=notification.body,
                        html_body=notification.html_body,
                        reference=notification.id,
                        sender_name=sender,
                    ),
                )
            )
        return _Round(claims=tuple(claims), failed=failed, cancelled=cancelled)

    def _send(self, claim: _Claim) -> Exception | None:
        """Step 2: hand the message to the notifier; the failure, or None when it went."""
        try:
            self.notifier.send(claim.message)
        except (TemporaryDeliveryFailure, PermanentDeliveryFailure) as error:
            return error
        except Exception as error:
            # A bug or an unforeseen error of the notifier must not stop the batch nor leave
            # the row to be re-claimed forever: it counts as a temporary failure.
            _log.exception("notifier failed unexpectedly on notification %s", claim.notification_id)
            return TemporaryDeliveryFailure(f"unexpected {type(error).__name__}: {error}")
        return None

    def _record(self, organisation_id: UUID, claim: _Claim, outcome: Exception | None) -> str:
        """Step 3: record the outcome if the row is still ours; what was recorded."""
        for attempt in range(1, RECORD_TRIES + 1):
            try:
                with self.system_transaction(organisation_id) as uow:
                    return self._record_in(uow, claim, outcome)
            except InvalidTransition:
                raise
            except Conflict as error:
                if attempt == RECORD_TRIES:
                    # The row keeps our claim, which lapses: it will be sent again (the
                    # same reference), never lost.
                    _log.warning(
                        "could not record the outcome of notification %s: %s",
                        claim.notification_id,
                        error,
                    )
        return "unrecorded"

    def _record_in(self, uow: UnitOfWork, claim: _Claim, outcome: Exception | None) -> str:
        now = self.clock.now()
        notification = uow.notifications.find(claim.notification_id)
        if (
            notification is None
            or notification.status is not NotificationStatus.QUEUED
            or notification.attempts != claim.attempts
            or notification.claimed_until != claim.claimed_until
        ):
            _log.warning(
                "notification %s changed while it was being sent; outcome not recorded",
                claim.notification_id,
            )
            return "unrecorded"
        if outcome is None:
            notification.mark_sent(claim.message.to_address, now)
            return "sent"
        error = str(outcome) or type(outcome).__name__
        if isinstance(outcome, PermanentDeliveryFailure):
            notification.fail(error)
            self._audit_outcome(uow, notification, "failed")
            family = None if claim.family_id is None else uow.families.find(claim.family_id)
            if family is None or family.is_undeliverable:
                return "failed"
            family.mark_undeliverable(error, now)
            self.audit(
                uow,
                None,
                "family.mark_undeliverable",
                family,
                f"E-mail to {family.primary_contact_email} bounced permanently: {error}",
                {"undeliverable_reason": [None, family.undeliverable_reason]},
            )
            return "undeliverable"
        if notification.attempts >= self.max_attempts:
            notification.fail(f"gave up after {notification.attempts} attempts: {error}")
            self._audit_outcome(uow, notification, "failed")
            return "failed"
        notification.retry_at(now + self.backoff_after(notification.attempts), error)
        return "retried"

    def _audit_outcome(self, uow: UnitOfWork, notification: Notification, status: str) -> None:
        self.audit(
            uow,
            None,
            f"notification.{'cancel' if status == 'cancelled' else 'fail'}",
            notification,
            f"Notification {notification.template_name} {status}: {notification.last_error}",
            {
                "status": [NotificationStatus.QUEUED.value, status],
                "attempts": notification.attempts,
                "last_error": notification.last_error,
            },
        )


def _claimable(notification: Notification, now: datetime) -> bool:
    """What ``claim_due`` promises, checked again on the row as this transaction holds it."""
    return (
        notification.is_pending
        and notification.due_at <= now
        and (notification.claimed_until is None or notification.claimed_until <= now)
    )


def _refusal(notification: Notification, family: Family | None, member: Staff | None) -> str | None:
    """Why the row cannot be sent at all, or None."""
    if notification.type is not NotificationChannel.EMAIL:
        return f"the {notification.type.value} channel is not supported yet"
    if notification.recipient_family_id is not None:
        if family is None:
            return "the family no longer exists"
        if family.is_undeliverable:
            return UNDELIVERABLE
        return None
    if member is None:
        return "the staff member no longer exists"
    if not member.is_active:
        return "the staff member is deactivated"
    return None


def _address(family: Family | None, member: Staff | None) -> str:
    if family is not None:
        return family.primary_contact_email
    assert member is not None  # _refusal let it through
    return member.email


def _ids(notifications: Iterable[Notification], field: str) -> set[UUID]:
    return {value for n in notifications if (value := getattr(n, field)) is not None}
