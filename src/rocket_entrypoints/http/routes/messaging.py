"""Messages between staff and families: threads, replies, read flags, unread counts and bulk
announcements."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import attrs
from litestar import get, post

from rocket_core.model import Message, ParticipantType
from rocket_core.permissions import Actor
from rocket_core.services.messaging import MessagingService, ThreadSummary
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page

STAFF = {"access": "staff"}
TAGS = ["messaging"]


@attrs.frozen
class MessageOut:
    """One message of a thread. Exactly one of ``sender_staff_id`` / ``sender_family_id``
    (and of the recipients) is set, as ``sender_type`` (``recipient_type``) says."""

    id: UUID
    thread_id: UUID
    sender_type: ParticipantType
    sender_staff_id: UUID | None
    sender_family_id: UUID | None
    recipient_type: ParticipantType
    recipient_staff_id: UUID | None
    recipient_family_id: UUID | None
    subject: str
    body: str
    sent_at: datetime
    is_read: bool
    read_at: datetime | None


@attrs.frozen
class ThreadSummaryOut:
    """A thread of a family as a list shows it, with the unread counts of both sides."""

    thread_id: UUID
    family_id: UUID
    subject: str
    started_at: datetime
    last_message_at: datetime
    message_count: int
    unread_for_family: int
    unread_for_me: int
    staff_ids: list[UUID]


@attrs.frozen
class ThreadIn:
    """The first message of a new thread with the family. A teaching assistant names the
    staff member who approved it (``approver_id``)."""

    subject: str
    body: str
    approver_id: UUID | None = None


@attrs.frozen
class ReplyIn:
    """A reply in a thread (under its subject)."""

    body: str
    approver_id: UUID | None = None


@attrs.frozen
class AnnouncementIn:
    """An announcement: one new thread per family."""

    subject: str
    body: str


@attrs.frozen
class AnnouncementOut:
    """The messages sent, one per family (none when no family has a child there)."""

    sent: int
    messages: list[MessageOut]


@attrs.frozen
class UnreadOut:
    """How many messages to the logged-in staff member they have not read."""

    unread: int


def _message(message: Message) -> MessageOut:
    return MessageOut(**{f.name: getattr(message, f.name) for f in attrs.fields(MessageOut)})


def _summary(summary: ThreadSummary) -> ThreadSummaryOut:
    return ThreadSummaryOut(
        thread_id=summary.thread_id,
        family_id=summary.family_id,
        subject=summary.subject,
        started_at=summary.started_at,
        last_message_at=summary.last_message_at,
        message_count=summary.message_count,
        unread_for_family=summary.unread_for_family,
        unread_for_me=summary.unread_for_actor,
        staff_ids=sorted(summary.staff_ids),
    )


def _announcement(messages: list[Message]) -> AnnouncementOut:
    return AnnouncementOut(sent=len(messages), messages=[_message(m) for m in messages])


@post("/families/{family_id:uuid}/threads", opt=STAFF, sync_to_thread=True, tags=TAGS)
def start_thread(
    family_id: UUID, data: ThreadIn, actor: Actor, messaging: MessagingService
) -> MessageOut:
    """Write to a family: a new thread and its first message."""
    return _message(
        messaging.start_thread(
            actor, family_id, data.subject, data.body, approver_id=data.approver_id
        )
    )


@get("/families/{family_id:uuid}/threads", opt=STAFF, sync_to_thread=True, tags=TAGS)
def family_threads(
    family_id: UUID,
    actor: Actor,
    messaging: MessagingService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ThreadSummaryOut]:
    """The family's threads, latest activity first."""
    summaries = messaging.threads_for_family(actor, family_id)
    return page([_summary(s) for s in summaries], limit, offset)


@post("/threads/{thread_id:uuid}/messages", opt=STAFF, sync_to_thread=True, tags=TAGS)
def reply(thread_id: UUID, data: ReplyIn, actor: Actor, messaging: MessagingService) -> MessageOut:
    """Reply to the family in a thread."""
    return _message(messaging.reply(actor, thread_id, data.body, approver_id=data.approver_id))


@get("/threads/{thread_id:uuid}/messages", opt=STAFF, sync_to_thread=True, tags=TAGS)
def thread(
    thread_id: UUID,
    actor: Actor,
    messaging: MessagingService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MessageOut]:
    """A thread's messages, oldest first."""
    return page([_message(m) for m in messaging.thread(actor, thread_id)], limit, offset)


@post(
    "/messages/{message_id:uuid}/read", opt=STAFF, sync_to_thread=True, tags=TAGS, status_code=200
)
def mark_read(message_id: UUID, actor: Actor, messaging: MessagingService) -> MessageOut:
    """The logged-in staff member (the message's recipient) has read it."""
    return _message(messaging.mark_read(actor, message_id))


@get("/messages/unread-count", opt=STAFF, sync_to_thread=True, tags=TAGS)
def unread_count(actor: Actor, messaging: MessagingService) -> UnreadOut:
    """How many messages to the logged-in staff member are unread."""
    return UnreadOut(unread=messaging.unread_counts(actor))


@post("/cohorts/{cohort_id:uuid}/announcements", opt=STAFF, sync_to_thread=True, tags=TAGS)
def announce_to_cohort(
    cohort_id: UUID,
    data: AnnouncementIn,
    actor: Actor,
    messaging: MessagingService,
) -> AnnouncementOut:
    """Announce to every family with a child in the cohort (one thread per family)."""
    return _announcement(messaging.announce(actor, data.subject, data.body, cohort_id=cohort_id))


@post("/campuses/{campus_id:uuid}/announcements", opt=STAFF, sync_to_thread=True, tags=TAGS)
def announce_to_campus(
    campus_id: UUID,
    data: AnnouncementIn,
    actor: Actor,
    messaging: MessagingService,
) -> AnnouncementOut:
    """Announce to every family with a child in a cohort at the campus (one thread per
    family)."""
    return _announcement(messaging.announce(actor, data.subject, data.body, campus_id=campus_id))


ROUTES = [
    start_thread,
    family_threads,
    reply,
    thread,
    mark_read,
    unread_count,
    announce_to_cohort,
    announce_to_campus,
]
