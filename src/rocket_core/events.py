"""Domain events: facts that entities record and the unit of work collects.

Handlers (notifications, invoices, audit) subscribe to them in the service layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

import attrs

if TYPE_CHECKING:
    from rocket_core.ports import UnitOfWork

_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base of every domain event."""

    organisation_id: UUID


@attrs.frozen(kw_only=True)
class EnrolmentStatusChanged(DomainEvent):
    """An enrolment moved from one status to another by a named trigger."""

    enrolment_id: UUID
    student_id: UUID
    cohort_id: UUID
    trigger: str
    from_status: str
    to_status: str


@attrs.frozen(kw_only=True)
class SessionCancelled(DomainEvent):
    """A session was cancelled; families are told and students get makeup tokens."""

    session_id: UUID
    cohort_id: UUID
    reason: str


@attrs.frozen(kw_only=True)
class EnrolmentAwaitingPayment(DomainEvent):
    """A seat is held for an enrolment until its invoice is paid (billing raises it)."""

    enrolment_id: UUID
    student_id: UUID
    family_id: UUID
    cohort_id: UUID


@attrs.frozen(kw_only=True)
class EnrolmentConfirmed(DomainEvent):
    """Payment received: the student is enrolled (the family is told)."""

    enrolment_id: UUID
    student_id: UUID
    family_id: UUID
    cohort_id: UUID


@attrs.frozen(kw_only=True)
class SeatOffered(DomainEvent):
    """A freed seat was offered to the first waitlisted enrolment, until ``expires_at``."""

    enrolment_id: UUID
    student_id: UUID
    family_id: UUID
    cohort_id: UUID
    expires_at: datetime


@attrs.frozen(kw_only=True)
class OfferLapsed(DomainEvent):
    """An unpaid waitlist offer ran out; the seat passes on."""

    enrolment_id: UUID
    student_id: UUID
    family_id: UUID
    cohort_id: UUID


@attrs.frozen(kw_only=True)
class SessionRescheduled(DomainEvent):
    """A session moved to another day or time."""

    session_id: UUID
    cohort_id: UUID
    starts_at: datetime


@attrs.frozen(kw_only=True)
class StudentMarkedAbsent(DomainEvent):
    """A student was marked absent (not excused) at a session that ended at ``session_end``."""

    attendance_id: UUID
    session_id: UUID
    student_id: UUID
    family_id: UUID
    session_end: datetime


@attrs.frozen(kw_only=True)
class AbsenceCleared(DomainEvent):
    """A student's absent mark was changed (to excused, present...): an absence alert that
    has not gone out yet is withdrawn."""

    attendance_id: UUID
    session_id: UUID
    student_id: UUID


@attrs.frozen(kw_only=True)
class MessageSent(DomainEvent):
    """A message was sent in a thread (its recipient is told, unless it is the sender)."""

    message_id: UUID
    thread_id: UUID
    recipient_family_id: UUID | None
    recipient_staff_id: UUID | None


@attrs.frozen(kw_only=True)
class MakeupTokenIssued(DomainEvent):
    """A student was given a makeup token."""

    token_id: UUID
    student_id: UUID
    enrolment_id: UUID
    reason: str


@attrs.frozen(kw_only=True)
class InvoiceIssued(DomainEvent):
    """An invoice was sent to a family: it is owed by ``due_date`` (the family is told)."""

    invoice_id: UUID
    invoice_number: str
    family_id: UUID
    enrolment_id: UUID | None
    total_amount: Decimal
    due_date: date


@attrs.frozen(kw_only=True)
class InvoiceOverdue(DomainEvent):
    """An invoice is still unpaid past its due date and grace period (a reminder goes out)."""

    invoice_id: UUID
    invoice_number: str
    family_id: UUID
    amount_outstanding: Decimal
    due_date: date


@attrs.frozen(kw_only=True)
class CardPaymentFailed(DomainEvent):
    """A card payment for an invoice was declined or failed at the payment provider (the
    family may be told to update their card)."""

    invoice_id: UUID
    family_id: UUID
    payment_intent_id: str
    reason: str


@attrs.frozen(kw_only=True)
class PaymentRecorded(DomainEvent):
    """Money was received from a family (a receipt can be sent): ``applied`` went to the
    invoices named in ``invoice_ids``, ``credit`` is held for the family."""

    payment_id: UUID
    family_id: UUID
    amount: Decimal
    method: str
    invoice_ids: tuple[UUID, ...]
    applied: Decimal
    credit: Decimal


@attrs.frozen(kw_only=True)
class RefundRecorded(DomainEvent):
    """Money of a payment was given back to its family (``status``: pending while the card
    provider is still paying it out, else succeeded)."""

    refund_id: UUID
    payment_id: UUID
    family_id: UUID
    amount: Decimal
    status: str


Handler = Callable[[DomainEvent], None]
#: A handler that writes in the transaction that recorded the events (the outbox): it is
#: given all of the transaction's events of its type at once, in order, so that a batch
#: (term invoicing's thousands of invoices) is handled with a few queries, not a few per event.
TransactionalHandler = Callable[["UnitOfWork", Sequence[DomainEvent]], None]


class EventBus:
    """Hands domain events to the handlers subscribed to their type (or a base type), in
    subscription order.

    Two kinds of handler:

    - ``subscribe_in_transaction``: runs inside the transaction that recorded the events, just
      before it commits, with its unit of work and the transaction's events of its type (all
      at once, in order). What it writes commits with the change, or rolls back with it; its
      error fails the use case. The notification outbox uses this (DESIGN decision 12).
    - ``subscribe``: runs after the transaction committed, so a failing handler cannot undo
      it: its error is logged and the other handlers still run. These handlers start their
      own transactions and must be idempotent (billing checks what it already did).
    """

    def __init__(self) -> None:
        self._handlers: list[tuple[type[DomainEvent], Handler]] = []
        self._in_transaction: list[tuple[type[DomainEvent], TransactionalHandler]] = []

    def subscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        """Call ``handler`` for every published event of ``event_type`` (or a subclass)."""
        self._handlers.append((event_type, handler))

    def subscribe_in_transaction(
        self, event_type: type[DomainEvent], handler: TransactionalHandler
    ) -> None:
        """Call ``handler(uow, events)`` with the events of ``event_type`` (or a subclass)
        that a transaction recorded, inside it, before it commits (not at all when there are
        none)."""
        self._in_transaction.append((event_type, handler))

    def handle_in_transaction(self, uow: UnitOfWork, events: Iterable[DomainEvent]) -> None:
        """Run the transactional handlers on ``events`` (their errors propagate)."""
        recorded = list(events)
        for event_type, handler in self._in_transaction:
            matching = [event for event in recorded if isinstance(event, event_type)]
            if matching:
                handler(uow, matching)

    def publish(self, events: Iterable[DomainEvent]) -> list[Exception]:
        """Deliver committed ``events`` in order; returns the handlers' errors (also logged)."""
        failures: list[Exception] = []
        for event in events:
            for event_type, handler in self._handlers:
                if isinstance(event, event_type):
                    try:
                        handler(event)
                    except Exception as error:  # one handler must not stop the others
                        _log.exception("handler %r failed on %r", handler, event)
                        failures.append(error)
        return failures
