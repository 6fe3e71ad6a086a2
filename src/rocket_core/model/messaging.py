"""Messaging context: threaded messages between staff and families, and notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

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
    """Notification.status (the outbox)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


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
    template_name: str = attrs.field(validator=c.text(100))
    subject: str = attrs.field(validator=c.text(200))
    body: str = attrs.field(validator=c.text(100_000))
    status: NotificationStatus = attrs.field(
        default=NotificationStatus.QUEUED, validator=c.member_of(NotificationStatus)
    )
    sent_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

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
