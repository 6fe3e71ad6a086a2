"""Messages between staff and families: threads, replies, read flags, bulk announcements.

The data model keeps one row per message (one sender, one recipient, a read flag). A thread
is the messages that share a ``thread_id``; it belongs to exactly one family, and its first
message's subject is its subject (replies carry the same subject). Its participants are the
family and the staff who wrote in it or were written to.

Decisions where the product rules are silent:

- **Who writes first.** Staff start threads (``start_thread``, ``announce``); a family writes
  back in a thread (``receive_from_family``: the entry point of the parents' portal and of
  inbound e-mail, run without a staff member). A family's message goes to the staff member
  who last wrote to the family in that thread, or, when they have been deactivated since, to
  the last one who is still active (the last writer of all when none is).
- **Scope over a family** (``Action.MESSAGE_PARENTS``: super admin and front desk all,
  campus manager campus, lead instructor own cohorts, teaching assistant with approval):
  "campus" means one of the family's children has a *live* enrolment in a cohort at a campus
  the staff member works at, "own" one in a cohort they teach. Live: ``pending_payment``,
  ``enrolled``, ``active`` (a seat) and ``trial`` (a child booked into, or back from, a trial,
  also while waiting for a seat): families whose children come, or are about to come, to the
  cohort. Enquiries, waitlisted enquiries and finished enrolments are not live. The same
  definition picks an announcement's families.
- **Teaching assistants** write (start a thread, reply) with the approval of a staff member
  whose own grant covers the family (``approver_id``: a campus manager of the family's campus,
  the cohort's lead instructor, a front desk or a super admin); the approver is loaded from
  the staff records and recorded in the audit. ``approver_id`` is read only for a role that
  needs approval.
- **Reading.** A staff member sees a thread they take part in (they wrote in it or were
  written to), and every thread of a family their own grant covers; so a teaching assistant
  (whose grant needs an approval) sees only the threads they take part in.
- **Read flags** are per message, for its recipient: only the recipient staff member marks a
  message read (idempotent: a second reading changes nothing); the family's side marks the
  whole thread read at once (``mark_thread_read_by_family``). Each first reading is audited.
- **Times.** A message is never dated before the one it follows in its thread (one
  microsecond after it when the clock says otherwise), so the thread's order is the order of
  writing even when two servers' clocks disagree.
- **Deactivated families.** Staff cannot write to a deactivated family account (Conflict);
  announcements leave such families out. A message from a family is always accepted.
- **Announcements** (``Action.BULK_ANNOUNCEMENTS``) to a cohort or to a campus (every cohort
  there) open one new thread per family, each family once however many of its children are
  in it; no family, no message (an empty list).

Every new message records ``MessageSent`` so that the notification outbox queues the
"new message" notification in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from rocket_core.enrolment_machine import SEAT_HOLDING_STATES, EnrolmentStatus
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.events import MessageSent
from rocket_core.model import Cohort, Family, Message, ParticipantType
from rocket_core.permissions import Action, Actor, Grant, Scope, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service, load_actor
from rocket_core.services.checks import require

#: Enrolments that put a family in a staff member's scope and on announcement lists.
LIVE_STATES = SEAT_HOLDING_STATES | {EnrolmentStatus.TRIAL}

_STAFF, _PARENT = ParticipantType.STAFF, ParticipantType.PARENT
_TICK = timedelta(microseconds=1)


@attrs.frozen(kw_only=True)
class ThreadSummary:
    """One thread of a family as a list shows it."""

    thread_id: UUID
    family_id: UUID
    subject: str
    started_at: datetime
    last_message_at: datetime
    message_count: int
    #: Messages to the family it has not read.
    unread_for_family: int
    #: Messages to the staff member asking that they have not read.
    unread_for_actor: int
    #: The staff who wrote in the thread or were written to.
    staff_ids: frozenset[UUID]


class MessagingService(Service):
    """Threads between staff and families, read flags and bulk announcements."""

    # -- writing ------------------------------------------------------------------------------

    def start_thread(
        self,
        actor: Actor,
        family_id: UUID,
        subject: str,
        body: str,
        approver_id: UUID | None = None,
    ) -> Message:
        """A new thread with the family: its first message, from ``actor`` to the family
        (``Action.MESSAGE_PARENTS`` over the family; a teaching assistant needs
        ``approver_id``)."""
        _require_text("Message.subject", subject)
        _require_text("Message.body", body)
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            approver = self._authorise_writing(uow, actor, family, approver_id)
            message = Message(
                organisation_id=uow.organisation_id,
                sender_type=_STAFF,
                sender_staff_id=actor.staff_id,
                recipient_type=_PARENT,
                recipient_family_id=family.id,
                subject=subject,
                body=body,
                sent_at=self.clock.now(),
            )
            self._send(
                uow,
                actor,
                message,
                "message.start_thread",
                f"{actor.name or 'Staff'} wrote to the {family.display_name} family: {subject}",
                _approval(approver),
            )
            return message

    def reply(
        self, actor: Actor, thread_id: UUID, body: str, approver_id: UUID | None = None
    ) -> Message:
        """A staff reply in a thread, to the thread's family, under the thread's subject
        (the same permission as ``start_thread``)."""
        _require_text("Message.body", body)
        with self.transaction(actor) as uow:
            messages = _thread(uow, thread_id)
            family = uow.families.get(_family_of(messages[0]))
            approver = self._authorise_writing(uow, actor, family, approver_id)
            message = Message(
                organisation_id=uow.organisation_id,
                sender_type=_STAFF,
                sender_staff_id=actor.staff_id,
                recipient_type=_PARENT,
                recipient_family_id=family.id,
                thread_id=thread_id,
                subject=messages[0].subject,
                body=body,
                sent_at=_after(messages, self.clock.now()),
            )
            self._send(
                uow,
                actor,
                message,
                "message.reply",
                f"{actor.name or 'Staff'} replied to the {family.display_name} family:"
                f" {message.subject}",
                _approval(approver),
            )
            return message

    def receive_from_family(
        self, organisation_id: UUID, family_id: UUID, thread_id: UUID, body: str
    ) -> Message:
        """A family writes in one of its threads (the portal, inbound e-mail): the message
        goes to the staff member who last wrote to the family there. A thread of another
        family is not found. Audited with no actor."""
        _require_text("Message.body", body)
        with self.system_transaction(organisation_id) as uow:
            family = uow.families.get(family_id)
            messages = _thread(uow, thread_id)
            if _family_of(messages[0]) != family.id:
                raise NotFound("Thread", thread_id)
            recipient = self._reply_to(uow, messages)
            message = Message(
                organisation_id=uow.organisation_id,
                sender_type=_PARENT,
                sender_family_id=family.id,
                recipient_type=_STAFF,
                recipient_staff_id=recipient,
                thread_id=thread_id,
                subject=messages[0].subject,
                body=body,
                sent_at=_after(messages, self.clock.now()),
            )
            self._send(
                uow,
                None,
                message,
                "message.receive",
                f"The {family.display_name} family replied: {message.subject}",
                {},
            )
            return message

    def announce(
        self,
        actor: Actor,
        subject: str,
        body: str,
        *,
        cohort_id: UUID | None = None,
        campus_id: UUID | None = None,
    ) -> list[Message]:
        """One new thread and message per family with a child holding a live enrolment in
        the cohort, or in any cohort at the campus (give one of them), each family once,
        in family-name order (``Action.BULK_ANNOUNCEMENTS``)."""
        require(
            (cohort_id is None) != (campus_id is None),
            "cohort_id",
            "give a cohort or a campus to announce to (one of them)",
        )
        _require_text("Message.subject", subject)
        _require_text("Message.body", body)
        with self.transaction(actor) as uow:
            target: dict[str, Any]
            if cohort_id is not None:
                cohort = uow.cohorts.get(cohort_id)
                authorise(
                    actor,
                    Action.BULK_ANNOUNCEMENTS,
                    campus_id=cohort.campus_id,
                    cohort_id=cohort.id,
                )
                cohorts, audience = [cohort], cohort.name
                target = {"cohort_id": cohort.id}
            else:
                assert campus_id is not None
                campus = uow.campuses.get(campus_id)
                authorise(actor, Action.BULK_ANNOUNCEMENTS, campus_id=campus.id)
                cohorts, audience = uow.cohorts.list(campus_id=campus.id), campus.name
                target = {"campus_id": campus.id}
            now = self.clock.now()
            sent = []
            for family in _families_in(uow, cohorts):
                message = Message(
                    organisation_id=uow.organisation_id,
                    sender_type=_STAFF,
                    sender_staff_id=actor.staff_id,
                    recipient_type=_PARENT,
                    recipient_family_id=family.id,
                    subject=subject,
                    body=body,
                    sent_at=now,
                )
                self._send(
                    uow,
                    actor,
                    message,
                    "message.announce",
                    f"Announcement to the {family.display_name} family ({audience}): {subject}",
                    target,
                )
                sent.append(message)
            return sent

    # -- read flags ---------------------------------------------------------------------------

    def mark_read(self, actor: Actor, message_id: UUID) -> Message:
        """The recipient staff member has read the message (a second time changes nothing)."""
        with self.transaction(actor) as uow:
            message = uow.messages.get(message_id)
            if message.recipient_staff_id != actor.staff_id:
                raise Forbidden("only the staff member a message was sent to can mark it read")
            if not message.is_read:
                message.mark_read(self.clock.now())
                self.audit(
                    uow,
                    actor,
                    "message.read",
                    message,
                    f"{actor.name or 'Staff'} read: {message.subject}",
                    {"is_read": [False, True]},
                )
            return message

    def mark_thread_read_by_family(
        self, organisation_id: UUID, family_id: UUID, thread_id: UUID
    ) -> int:
        """The family has read its thread: every message to it there is marked read (audited
        with no actor). Returns how many were unread."""
        with self.system_transaction(organisation_id) as uow:
            family = uow.families.get(family_id)
            messages = _thread(uow, thread_id)
            if _family_of(messages[0]) != family.id:
                raise NotFound("Thread", thread_id)
            now = self.clock.now()
            unread = [m for m in messages if m.recipient_family_id == family.id and not m.is_read]
            for message in unread:
                message.mark_read(now)
                self.audit(
                    uow,
                    None,
                    "message.read",
                    message,
                    f"The {family.display_name} family read: {message.subject}",
                    {"is_read": [False, True]},
                )
            return len(unread)

    # -- reading ------------------------------------------------------------------------------

    def thread(self, actor: Actor, thread_id: UUID) -> list[Message]:
        """A thread's messages, oldest first (to a participant, or to staff whose grant
        covers the family)."""
        with self.transaction(actor) as uow:
            messages = _thread(uow, thread_id)
            if not _takes_part(actor, messages):
                family = uow.families.get(_family_of(messages[0]))
                _authorise_family(uow, actor, family, None)
            return messages

    def threads_for_family(self, actor: Actor, family_id: UUID) -> list[ThreadSummary]:
        """The family's threads, latest activity first: all of them for staff whose grant
        covers the family, otherwise the ones ``actor`` takes part in (Forbidden when none)."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            threads: dict[UUID, list[Message]] = {}
            for message in uow.messages.list_for_family(family.id):
                threads.setdefault(message.thread_id, []).append(message)
            try:
                _authorise_family(uow, actor, family, None)
            except Forbidden:
                threads = {key: ms for key, ms in threads.items() if _takes_part(actor, ms)}
                if not threads:
                    raise
            summaries = [_summary(actor, family.id, ms) for ms in threads.values()]
            return sorted(
                summaries, key=lambda s: (s.last_message_at, str(s.thread_id)), reverse=True
            )

    def unread_counts(self, actor: Actor) -> int:
        """How many messages to ``actor`` they have not read."""
        with self.transaction(actor) as uow:
            return uow.messages.count_unread_for_staff(actor.staff_id)

    # -- helpers ------------------------------------------------------------------------------

    def _authorise_writing(
        self, uow: UnitOfWork, actor: Actor, family: Family, approver_id: UUID | None
    ) -> Actor | None:
        """``Action.MESSAGE_PARENTS`` over the family, with the approver a teaching assistant
        needs (loaded from the staff records; returned when it was needed), and an active
        family account."""
        approver = None
        if actor.grant(Action.MESSAGE_PARENTS).scope is Scope.APPROVAL:
            if approver_id is None:
                raise Forbidden(
                    f"{actor.role.value} may message parents only with the approval of a staff"
                    " member who may message the family (approver_id)"
                )
            approver = load_actor(uow, approver_id)
        _authorise_family(uow, actor, family, approver)
        if not family.is_active:
            raise Conflict(f"the family account of {family.display_name} is deactivated")
        return approver

    def _reply_to(self, uow: UnitOfWork, messages: Sequence[Message]) -> UUID:
        """The staff member a family's message goes to (see the module docstring)."""
        writers = [m.sender_staff_id for m in reversed(messages) if m.sender_staff_id is not None]
        if not writers:  # staff open every thread; a thread without one has nobody to tell
            raise Conflict("nobody on the staff has written in this thread: start a new one")
        active = {s.id for s in uow.staff.find_many(set(writers)) if s.is_active}
        return next((w for w in writers if w in active), writers[0])

    def _send(
        self,
        uow: UnitOfWork,
        actor: Actor | None,
        message: Message,
        action: str,
        summary: str,
        changes: dict[str, Any],
    ) -> None:
        """Save a new message with its MessageSent event and its audit entry."""
        message.record(
            MessageSent(
                organisation_id=uow.organisation_id,
                message_id=message.id,
                thread_id=message.thread_id,
                recipient_family_id=message.recipient_family_id,
                recipient_staff_id=message.recipient_staff_id,
            )
        )
        uow.messages.add(message)
        self.audit(
            uow,
            actor,
            action,
            message,
            summary,
            {
                "thread_id": message.thread_id,
                "sender": message.sender_staff_id or message.sender_family_id,
                "recipient": message.recipient_staff_id or message.recipient_family_id,
                "subject": message.subject,
                **changes,
            },
        )


# -- pure helpers and lookups -----------------------------------------------------------------


def _require_text(field: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    require(bool(value.strip()), field, "is required and cannot be blank")


def _approval(approver: Actor | None) -> dict[str, Any]:
    return {} if approver is None else {"approved_by_staff_id": approver.staff_id}


def _thread(uow: UnitOfWork, thread_id: UUID) -> list[Message]:
    """A thread's messages, oldest first; NotFound when there are none."""
    messages = uow.messages.list_thread(thread_id)
    if not messages:
        raise NotFound("Thread", thread_id)
    return messages


def _family_of(message: Message) -> UUID:
    """The family a message was written to or by (every thread has one)."""
    family_id = message.recipient_family_id or message.sender_family_id
    assert family_id is not None  # a message always has a family at one end
    return family_id


def _after(messages: Sequence[Message], now: datetime) -> datetime:
    """``now``, or just after the thread's last message if that is not earlier."""
    last = max(m.sent_at for m in messages)
    return now if now > last else last + _TICK


def _takes_part(actor: Actor, messages: Iterable[Message]) -> bool:
    return any(actor.staff_id in (m.sender_staff_id, m.recipient_staff_id) for m in messages)


def _live_cohorts(uow: UnitOfWork, family_id: UUID) -> list[Cohort]:
    """The cohorts where one of the family's children has a live enrolment."""
    cohort_ids = {
        enrolment.cohort_id
        for child in uow.students.list_for_family(family_id)
        for enrolment in uow.enrolments.list_for_student(child.id)
        if enrolment.status in LIVE_STATES
    }
    cohorts = uow.cohorts.find_many(cohort_ids) if cohort_ids else []
    return sorted(cohorts, key=lambda c: str(c.id))


def _covers(who: Actor, cohort: Cohort) -> bool:
    """Whether ``who``'s own grant to message parents reaches a family in ``cohort``."""
    scope = who.grant(Action.MESSAGE_PARENTS).scope
    return (
        scope is Scope.ALL
        or (scope is Scope.CAMPUS and cohort.campus_id in who.campus_ids)
        or (scope is Scope.OWN and cohort.id in who.cohort_ids)
    )


def _authorise_family(
    uow: UnitOfWork, actor: Actor, family: Family, approver: Actor | None
) -> Grant:
    """``Action.MESSAGE_PARENTS`` over the family: through a live enrolment of one of its
    children that the actor's (or, for an approval, the approver's) grant covers."""
    grant = actor.grant(Action.MESSAGE_PARENTS)
    deciding = approver if grant.scope is Scope.APPROVAL and approver is not None else actor
    scope = deciding.grant(Action.MESSAGE_PARENTS).scope
    target = None
    if scope in (Scope.CAMPUS, Scope.OWN):
        target = next((c for c in _live_cohorts(uow, family.id) if _covers(deciding, c)), None)
        if target is None:
            who = f"the approver {deciding.name}" if deciding is approver else deciding.name
            where = "at the campuses they work at" if scope is Scope.CAMPUS else "they teach"
            raise Forbidden(
                f"the {family.display_name} family is outside the scope of {who}: a"
                f" {deciding.role.value} may message parents only of families with a child"
                f" enrolled in a cohort {where}"
            )
    return authorise(
        actor,
        Action.MESSAGE_PARENTS,
        campus_id=None if target is None else target.campus_id,
        cohort_id=None if target is None else target.id,
        family_id=family.id,
        approver=approver,
    )


def _families_in(uow: UnitOfWork, cohorts: Iterable[Cohort]) -> list[Family]:
    """The active families with a child holding a live enrolment in one of ``cohorts``, each
    once, by name."""
    student_ids = {
        enrolment.student_id
        for cohort in cohorts
        for enrolment in uow.enrolments.list_for_cohort(cohort.id, statuses=LIVE_STATES)
    }
    students = uow.students.find_many(student_ids) if student_ids else []
    family_ids = {student.family_id for student in students}
    families = uow.families.find_many(family_ids) if family_ids else []
    return sorted(
        (f for f in families if f.is_active), key=lambda f: (f.display_name.lower(), str(f.id))
    )


def _summary(actor: Actor, family_id: UUID, messages: list[Message]) -> ThreadSummary:
    """A thread's summary for ``actor`` (``messages`` oldest first)."""
    staff: set[UUID] = set()
    for m in messages:
        staff.update(x for x in (m.sender_staff_id, m.recipient_staff_id) if x is not None)
    return ThreadSummary(
        thread_id=messages[0].thread_id,
        family_id=family_id,
        subject=messages[0].subject,
        started_at=messages[0].sent_at,
        last_message_at=max(m.sent_at for m in messages),
        message_count=len(messages),
        unread_for_family=sum(
            1 for m in messages if m.recipient_family_id == family_id and not m.is_read
        ),
        unread_for_actor=sum(
            1 for m in messages if m.recipient_staff_id == actor.staff_id and not m.is_read
        ),
        staff_ids=frozenset(staff),
    )
