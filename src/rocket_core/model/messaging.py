"""Messaging context: threaded messages between staff and families, and notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core.errors import InvalidTransition
from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now


class ParticipantType(StrEnum):
    """Message.sender_type and Message.recipient_type."""

    STAFF = "staff"
    PARENT = "parent"


class NotificationChannel(StrEnum):
    """Notification.type: how a notification travels."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class NotificationStatus(StrEnum):
    """Notification.status (the outbox). ``cancelled``: withdrawn before it was due (an
    absence alert whose absence was excused in the meantime); it is never sent."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class NotificationKind(StrEnum):
    """What a notification is about; also the name of its template."""

    ENROLMENT_CONFIRMED = "enrolment_confirmed"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_OVERDUE = "invoice_overdue"
    CHILD_ABSENT = "child_absent"
    SESSION_CANCELLED = "session_cancelled"
    WAITLIST_OFFER = "waitlist_offer"
    NEW_MESSAGE = "new_message"

    @property
    def is_critical(self) -> bool:
        """Critical kinds always go: a family cannot switch them off."""
        return self in CRITICAL_KINDS


#: Kinds a family cannot switch off (product rules: session cancelled, waitlist offer).
CRITICAL_KINDS = frozenset({NotificationKind.SESSION_CANCELLED, NotificationKind.WAITLIST_OFFER})


def _one_party(kind: ParticipantType, staff_id: UUID | None, family_id: UUID | None) -> bool:
    if kind is ParticipantType.STAFF:
        return staff_id is not None and family_id is None
    return family_id is not None and staff_id is None


@attrs.define(slots=False, eq=False, kw_only=True)
class Message(Entity):
    """One message of a thread, from a staff member or a parent to a staff member or a parent.

    The id that matches the sender or recipient type is set, and only that one.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    sender_type: ParticipantType = attrs.field(validator=c.member_of(ParticipantType))
    sender_staff_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    sender_family_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    recipient_type: ParticipantType = attrs.field(validator=c.member_of(ParticipantType))
    recipient_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    recipient_family_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    thread_id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    subject: str = attrs.field(validator=c.text(200))
    body: str = attrs.field(validator=c.text(100_000))
    is_read: bool = attrs.field(default=False, validator=c.of_type(bool))
    read_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    sent_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            _one_party(self.sender_type, self.sender_staff_id, self.sender_family_id),
            "Message.sender_type",
            "names exactly one sender of that type",
        )
        c.require(
            _one_party(self.recipient_type, self.recipient_staff_id, self.recipient_family_id),
            "Message.recipient_type",
            "names exactly one recipient of that type",
        )
        c.require(self.is_read == (self.read_at is not None), "Message.read_at", "set when read")

    def mark_read(self, at: datetime) -> None:
        """The recipient has read it (the first reading counts)."""
        c.aware(self, attrs.fields(Message).read_at, at)
        if not self.is_read:
            self.is_read = True
            self.read_at = at


@attrs.define(slots=False, eq=False, kw_only=True)
class Notification(Entity):
    """A system notification to one family or one staff member, queued in the outbox."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    recipient_family_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    recipient_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    type: NotificationChannel = attrs.field(
        default=NotificationChannel.EMAIL, validator=c.member_of(NotificationChannel)
    )
    #: The NotificationKind's value: which template rendered it.
    template_name: str = attrs.field(validator=c.text(100))
    subject: str = attrs.field(validator=c.text(200))
    #: The plain-text body; ``html_body`` is the same message as HTML.
    body: str = attrs.field(validator=c.text(100_000))
    html_body: str | None = attrs.field(default=None, validator=c.optional(c.text(200_000)))
    status: NotificationStatus = attrs.field(
        default=NotificationStatus.QUEUED, validator=c.member_of(NotificationStatus)
    )
    #: Idempotency: one notification per key in an organisation (e.g.
    #: ``invoice_issued:<invoice id>``), so a handler that runs twice queues it once.
    dedupe_key: str | None = attrs.field(default=None, validator=c.optional(c.text(200)))
    #: Delivery attempts so far, and why the last one failed.
    attempts: int = attrs.field(default=0, validator=c.whole_number(0))
    last_error: str | None = attrs.field(default=None, validator=c.optional(c.text(500)))
    #: A dispatcher claimed it until then; after that, another dispatcher may take it over.
    claimed_until: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    #: The address it was sent to (resolved when it is sent).
    sent_to: str | None = attrs.field(default=None, validator=c.optional(c.text(255)))
    sent_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    #: Not sent before this instant (an absence alert waits an hour; a retry backs off);
    #: by default as soon as it is queued.
    due_at: datetime = attrs.field(
        default=attrs.Factory(lambda self: self.created_at, takes_self=True), validator=c.aware
    )
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    @property
    def kind(self) -> NotificationKind:
        """The kind of notification (its template's name)."""
        return NotificationKind(self.template_name)

    @property
    def is_pending(self) -> bool:
        """Still queued: it may yet be sent (or cancelled)."""
        return self.status is NotificationStatus.QUEUED

    def claim(self, until: datetime) -> None:
        """A dispatcher takes it for one attempt, until ``until``."""
        self._require_pending("claim")
        self.attempts += 1
        self.claimed_until = until

    def mark_sent(self, to: str, at: datetime) -> None:
        """It was handed to the recipient's mail server."""
        self._require_pending("mark as sent")
        self.update(status=NotificationStatus.SENT, sent_to=to, sent_at=at, claimed_until=None)

    def retry_at(self, when: datetime, error: str) -> None:
        """A temporary failure: try again at ``when``."""
        self._require_pending("retry")
        self.update(due_at=when, last_error=error[:500], claimed_until=None)

    def fail(self, error: str) -> None:
        """It will not be sent: a permanent failure, or too many attempts."""
        self._require_pending("fail")
        self.update(status=NotificationStatus.FAILED, last_error=error[:500], claimed_until=None)

    def cancel(self, reason: str) -> None:
        """Withdraw it before it went out (a no-op once it is no longer queued)."""
        if self.is_pending:
            self.update(
                status=NotificationStatus.CANCELLED, last_error=reason[:500], claimed_until=None
            )

    def _require_pending(self, action: str) -> None:
        if not self.is_pending:
            raise InvalidTransition("Notification", self.id, self.status.value, action)

    def __attrs_post_init__(self) -> None:
        c.require(
            (self.recipient_family_id is None) != (self.recipient_staff_id is None),
            "Notification.recipient_family_id",
            "exactly one recipient: a family or a staff member",
        )
        c.require(
            (self.status is NotificationStatus.SENT) == (self.sent_at is not None),
            "Notification.sent_at",
            "is set exactly when the notification was sent",
        )
        c.require(
            self.template_name in NotificationKind.__members__.values(),
            "Notification.template_name",
            "must be a notification kind: " + ", ".join(NotificationKind),
        )
