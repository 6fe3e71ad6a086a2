"""Messages between staff and families: threads, replies, read flags and unread counts per
reader, a family's replies, bulk announcements, and who may message whom.

The school is ``world`` (tests/unit/services/conftest.py). ``school(world)`` enrols the Nguyen
child (world.child) in the world's Monday cohort at Werribee (lead instructor Linus, assistant
Tim; campus manager Carmen, front desk Fran) and the Smith child (world.other_child) in a
Geelong cohort taught by Grace (campus manager Omar). The clock stands still unless a test
moves it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, add_cohort, elsewhere, snapshot, walk
from tests.unit.services.test_enrolment import (
    active,
    add_student,
    audit_entries,
    enquiry,
    other_school,
    published,
    refused,
    seated,
)
from tests.unit.services.test_enrolment import service as enrolments

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.events import MessageSent
from rocket_core.model import EnrolmentStatus as S
from rocket_core.ports import UnitOfWork
from rocket_core.services.messaging import LIVE_STATES, MessagingService

#: Who may message the Nguyen family (a child in the Werribee cohort) without approval.
NGUYEN_WRITERS = {"super_admin", "campus_manager", "lead_instructor", "front_desk"}
#: Who may message the Smith family (a child in Grace's Geelong cohort) without approval.
SMITH_WRITERS = {"super_admin", "other_manager", "other_instructor", "front_desk"}
#: Who may send announcements to Werribee and its cohorts.
WERRIBEE_ANNOUNCERS = {"super_admin", "campus_manager"}

MINUTE = timedelta(minutes=1)


def svc(world: World) -> MessagingService:
    return MessagingService(world.make_uow, world.clock, world.bus)


def school(world: World) -> m.Cohort:
    """Enrol the Nguyen child at Werribee and the Smith child at Geelong; the Geelong cohort."""
    active(world, world.child)
    geelong, _ = elsewhere(world, "other_instructor", date(2026, 2, 3), time(16), time(17))
    active(world, world.other_child, geelong)
    return geelong


def staff_id(world: World, who: str) -> UUID:
    return world.staff[who].id


def start(
    world: World,
    who: str = "super_admin",
    family: m.Family | None = None,
    *,
    subject: str = "Robot kits",
    body: str = "Please bring the robot kit on Monday.",
    approver: str | None = None,
) -> m.Message:
    return svc(world).start_thread(
        world.actor(who),
        (family or world.family).id,
        subject,
        body,
        approver_id=None if approver is None else staff_id(world, approver),
    )


def from_family(
    world: World, thread_id: UUID, body: str = "Thanks!", family: m.Family | None = None
) -> m.Message:
    return svc(world).receive_from_family(
        world.org_id, (family or world.family).id, thread_id, body
    )


def load(world: World, message_id: UUID) -> m.Message:
    with world.uow() as uow:
        return uow.messages.get(message_id)


def unread(world: World, who: str) -> int:
    return svc(world).unread_counts(world.actor(who))


def family_unread(world: World, family: m.Family | None = None) -> int:
    with world.uow() as uow:
        return uow.messages.count_unread_for_family((family or world.family).id)


def deactivate_staff(world: World, who: str) -> None:
    with world.uow() as uow:
        uow.staff.get(staff_id(world, who)).deactivate()
        uow.commit()


def unchanged(world: World, call: Callable[[], object]) -> object:
    """``call()`` succeeds and writes nothing."""
    before = snapshot(world)
    result = call()
    assert snapshot(world) == before
    return result


# -- threads --------------------------------------------------------------------------------


def test_a_new_thread_is_one_message_from_the_staff_member_to_the_family(world: World) -> None:
    school(world)
    message = start(world, "lead_instructor", subject="Robot kits", body="Bring the kit.")

    saved = load(world, message.id)
    assert (saved.sender_type, saved.sender_staff_id, saved.sender_family_id) == (
        m.ParticipantType.STAFF,
        staff_id(world, "lead_instructor"),
        None,
    )
    assert (saved.recipient_type, saved.recipient_family_id, saved.recipient_staff_id) == (
        m.ParticipantType.PARENT,
        world.family.id,
        None,
    )
    assert (saved.subject, saved.body) == ("Robot kits", "Bring the kit.")
    assert (saved.is_read, saved.read_at, saved.sent_at) == (False, None, world.clock.now())
    thread = svc(world).thread(world.actor("lead_instructor"), saved.thread_id)
    assert [x.id for x in thread] == [saved.id]
    [entry] = audit_entries(world, message.id)
    assert (entry.action, entry.actor_staff_id) == (
        "message.start_thread",
        staff_id(world, "lead_instructor"),
    )
    assert entry.changes["thread_id"] == str(message.thread_id)
    assert entry.changes["recipient"] == str(world.family.id)
    assert "Nguyen" in entry.summary


def test_each_new_thread_has_its_own_id(world: World) -> None:
    school(world)
    first, second = start(world), start(world)
    assert first.thread_id != second.thread_id
    assert first.id != second.id


def test_a_reply_stays_in_the_thread_under_its_subject(world: World) -> None:
    school(world)
    first = start(world, "campus_manager", subject="Excursion")
    world.clock.advance(MINUTE)

    reply = svc(world).reply(world.actor("lead_instructor"), first.thread_id, "Permission slip?")

    saved = load(world, reply.id)
    assert saved.thread_id == first.thread_id
    assert saved.subject == "Excursion"
    assert (saved.sender_staff_id, saved.recipient_family_id) == (
        staff_id(world, "lead_instructor"),
        world.family.id,
    )
    assert saved.sent_at == world.clock.now()
    thread = svc(world).thread(world.actor("super_admin"), first.thread_id)
    assert [x.id for x in thread] == [first.id, reply.id]
    assert [e.action for e in audit_entries(world, reply.id)] == ["message.reply"]


def test_messages_are_never_dated_before_the_one_they_follow(world: World) -> None:
    school(world)
    first = start(world)
    # The clock has not moved (or another server's clock is behind): the reply still
    # comes after the message it answers, so the thread keeps the order of writing.
    reply = svc(world).reply(world.actor("lead_instructor"), first.thread_id, "And gloves.")
    world.clock.advance(-MINUTE)
    answer = from_family(world, first.thread_id)
    assert reply.sent_at == first.sent_at + timedelta(microseconds=1)
    assert answer.sent_at == reply.sent_at + timedelta(microseconds=1)
    thread = svc(world).thread(world.actor("super_admin"), first.thread_id)
    assert [x.id for x in thread] == [first.id, reply.id, answer.id]
    # The family's reply goes to the last staff writer, whom the order identifies.
    assert answer.recipient_staff_id == staff_id(world, "lead_instructor")


def test_a_familys_reply_goes_to_the_staff_member_who_last_wrote_to_it(world: World) -> None:
    school(world)
    first = start(world, "campus_manager")
    world.clock.advance(MINUTE)
    answer = from_family(world, first.thread_id, "Which kit?")
    assert answer.recipient_staff_id == staff_id(world, "campus_manager")
    world.clock.advance(MINUTE)
    svc(world).reply(world.actor("lead_instructor"), first.thread_id, "The blue one.")
    world.clock.advance(MINUTE)

    again = from_family(world, first.thread_id, "Got it, thanks")

    saved = load(world, again.id)
    assert (saved.sender_type, saved.sender_family_id, saved.sender_staff_id) == (
        m.ParticipantType.PARENT,
        world.family.id,
        None,
    )
    assert (saved.recipient_type, saved.recipient_staff_id) == (
        m.ParticipantType.STAFF,
        staff_id(world, "lead_instructor"),
    )
    assert (saved.thread_id, saved.subject) == (first.thread_id, first.subject)
    assert (unread(world, "lead_instructor"), unread(world, "campus_manager")) == (1, 1)
    [entry] = audit_entries(world, again.id)
    assert (entry.action, entry.actor_staff_id) == ("message.receive", None)


def test_a_deactivated_writer_is_skipped_for_the_last_active_one(world: World) -> None:
    school(world)
    first = start(world, "campus_manager")
    world.clock.advance(MINUTE)
    svc(world).reply(world.actor("lead_instructor"), first.thread_id, "Kits on Monday.")
    deactivate_staff(world, "lead_instructor")
    world.clock.advance(MINUTE)

    answer = from_family(world, first.thread_id, "Linus has left?")
    assert answer.recipient_staff_id == staff_id(world, "campus_manager")

    # When nobody who wrote is active any more, the last writer still gets it (not lost).
    deactivate_staff(world, "campus_manager")
    world.clock.advance(MINUTE)
    last = from_family(world, first.thread_id, "Hello?")
    assert last.recipient_staff_id == staff_id(world, "lead_instructor")


def test_a_family_cannot_write_in_another_familys_thread(world: World) -> None:
    school(world)
    first = start(world)  # to the Nguyens
    refused(world, NotFound, lambda: from_family(world, first.thread_id, family=world.other_family))
    refused(world, NotFound, lambda: from_family(world, uuid4()))
    refused(
        world,
        NotFound,
        lambda: svc(world).receive_from_family(world.org_id, uuid4(), first.thread_id, "Hi"),
    )


def test_a_thread_is_seen_within_its_organisation_only(world: World) -> None:
    school(world)
    first = start(world)
    other = other_school(world)
    refused(
        world,
        NotFound,
        lambda: svc(world).receive_from_family(
            other.organisation.id, world.family.id, first.thread_id, "Hi"
        ),
    )
    refused(
        world,
        NotFound,
        lambda: svc(world).receive_from_family(
            world.org_id, other.student.family_id, first.thread_id, "Hi"
        ),
    )
    refused(world, NotFound, lambda: start(world, family=_family(world, other)))


def _family(world: World, other: Any) -> m.Family:
    with world.store.unit_of_work(other.organisation.id) as uow:
        return uow.families.get(other.student.family_id)


# -- read flags and unread counts ------------------------------------------------------------


def test_read_flags_and_unread_counts_are_per_reader(world: World) -> None:
    school(world)
    first = start(world, "lead_instructor")
    world.clock.advance(MINUTE)
    svc(world).reply(world.actor("lead_instructor"), first.thread_id, "And a snack.")
    assert family_unread(world) == 2
    assert unread(world, "lead_instructor") == 0  # the sender has nothing to read

    world.clock.advance(MINUTE)
    answer = from_family(world, first.thread_id)
    assert unread(world, "lead_instructor") == 1
    others = [who for who in ROLES if who != "lead_instructor"]
    assert [unread(world, who) for who in others] == [0] * len(others)

    world.clock.advance(MINUTE)
    read = svc(world).mark_read(world.actor("lead_instructor"), answer.id)
    assert (read.is_read, read.read_at) == (True, world.clock.now())
    saved = load(world, answer.id)
    assert (saved.is_read, saved.read_at) == (True, world.clock.now())
    assert unread(world, "lead_instructor") == 0
    assert family_unread(world) == 2  # the family's own flags are its own
    assert [e.action for e in audit_entries(world, answer.id)] == [
        "message.receive",
        "message.read",
    ]


def test_marking_read_twice_changes_nothing(world: World) -> None:
    school(world)
    first = start(world, "lead_instructor")
    answer = from_family(world, first.thread_id)
    read_at = world.clock.now()
    svc(world).mark_read(world.actor("lead_instructor"), answer.id)
    world.clock.advance(MINUTE)
    again = unchanged(
        world, lambda: svc(world).mark_read(world.actor("lead_instructor"), answer.id)
    )
    assert isinstance(again, m.Message)
    assert again.read_at == read_at


def test_the_family_reads_a_whole_thread_at_once(world: World) -> None:
    school(world)
    first = start(world)
    world.clock.advance(MINUTE)
    svc(world).reply(world.actor("lead_instructor"), first.thread_id, "Reminder")
    other_thread = start(world, subject="Invoices")
    world.clock.advance(MINUTE)
    answer = from_family(world, first.thread_id)
    assert family_unread(world) == 3

    count = svc(world).mark_thread_read_by_family(world.org_id, world.family.id, first.thread_id)

    assert count == 2
    assert family_unread(world) == 1  # the other thread is still unread
    assert not load(world, other_thread.id).is_read
    assert not load(world, answer.id).is_read  # the staff member's message, not the family's
    thread = svc(world).thread(world.actor("super_admin"), first.thread_id)
    to_family = [x for x in thread if x.recipient_family_id == world.family.id]
    assert all(x.read_at == world.clock.now() for x in to_family)
    entries = [e for x in to_family for e in audit_entries(world, x.id)]
    assert [(e.action, e.actor_staff_id) for e in entries if e.action == "message.read"] == [
        ("message.read", None),
        ("message.read", None),
    ]
    again = unchanged(
        world,
        lambda: svc(world).mark_thread_read_by_family(
            world.org_id, world.family.id, first.thread_id
        ),
    )
    assert again == 0


def test_the_family_cannot_mark_another_familys_thread_read(world: World) -> None:
    school(world)
    first = start(world)
    refused(
        world,
        NotFound,
        lambda: svc(world).mark_thread_read_by_family(
            world.org_id, world.other_family.id, first.thread_id
        ),
    )
    refused(
        world,
        NotFound,
        lambda: svc(world).mark_thread_read_by_family(world.org_id, world.family.id, uuid4()),
    )


@pytest.mark.parametrize("who", ROLES)
def test_only_the_recipient_marks_a_message_read(world: World, who: str) -> None:
    school(world)
    first = start(world, "lead_instructor")
    answer = from_family(world, first.thread_id)
    walk(world, who, {"lead_instructor"}, lambda a: svc(world).mark_read(a, answer.id))
    assert load(world, answer.id).is_read is (who == "lead_instructor")


def test_a_message_to_the_family_is_not_marked_read_by_staff(world: World) -> None:
    school(world)
    first = start(world, "lead_instructor")
    refused(
        world, Forbidden, lambda: svc(world).mark_read(world.actor("lead_instructor"), first.id)
    )
    refused(world, NotFound, lambda: svc(world).mark_read(world.actor("super_admin"), uuid4()))


def test_thread_summaries_of_a_family(world: World) -> None:
    school(world)
    first = start(world, "lead_instructor", subject="Robot kits")
    world.clock.advance(MINUTE)
    answer = from_family(world, first.thread_id)
    world.clock.advance(MINUTE)
    second = start(world, "campus_manager", subject="Invoices")
    start(world, "front_desk", family=world.other_family, subject="Not theirs")

    summaries = svc(world).threads_for_family(world.actor("lead_instructor"), world.family.id)

    assert [s.thread_id for s in summaries] == [second.thread_id, first.thread_id]
    newest, oldest = summaries
    assert (newest.subject, newest.message_count, newest.last_message_at) == (
        "Invoices",
        1,
        second.sent_at,
    )
    assert (newest.unread_for_family, newest.unread_for_actor) == (1, 0)
    assert newest.staff_ids == {staff_id(world, "campus_manager")}
    assert (oldest.subject, oldest.message_count) == ("Robot kits", 2)
    assert (oldest.started_at, oldest.last_message_at) == (first.sent_at, answer.sent_at)
    assert (oldest.unread_for_family, oldest.unread_for_actor) == (1, 1)
    assert oldest.family_id == world.family.id
    # Per reader: the campus manager has nothing unread in the first thread.
    by_manager = svc(world).threads_for_family(world.actor("campus_manager"), world.family.id)
    assert [s.unread_for_actor for s in by_manager] == [0, 0]


# -- announcements ---------------------------------------------------------------------------


def test_an_announcement_to_a_cohort_is_one_message_per_family(world: World) -> None:
    school(world)
    active(world, world.sibling)  # the Nguyens have two children in the cohort
    third = m.Family(
        organisation_id=world.org_id,
        family_name="Adeyemi",
        primary_contact_name="Tola Adeyemi",
        primary_contact_email="tola@family.example",
    )
    world.add(third)
    seated(world, add_student(world, family=third))  # pending payment: a seat

    sent = svc(world).announce(
        world.actor("campus_manager"),
        "No class on Labour Day",
        "Monday 9 March is a public holiday.",
        cohort_id=world.cohort.id,
    )

    assert [x.recipient_family_id for x in sent] == [third.id, world.family.id]  # by name
    assert len({x.thread_id for x in sent}) == 2
    for message in sent:
        saved = load(world, message.id)
        assert (saved.sender_staff_id, saved.subject, saved.body) == (
            staff_id(world, "campus_manager"),
            "No class on Labour Day",
            "Monday 9 March is a public holiday.",
        )
        [entry] = audit_entries(world, message.id)
        assert entry.action == "message.announce"
        assert entry.changes["cohort_id"] == str(world.cohort.id)
    assert family_unread(world) == 1
    assert family_unread(world, world.other_family) == 0  # Geelong: not in the cohort


def test_only_live_enrolments_put_a_family_on_the_list(world: World) -> None:
    cohort = add_cohort(world, capacity=8, name="Scratch Basics - Term 1 Wed")
    families: dict[str, m.Family] = {}

    def family(name: str) -> m.Student:
        families[name] = m.Family(
            organisation_id=world.org_id,
            family_name=name,
            primary_contact_name=f"Parent {name}",
            primary_contact_email=f"{name.lower()}@family.example",
        )
        world.add(families[name])
        return add_student(world, family=families[name])

    enquiry(world, family("Enquiry"), cohort)
    trial = enquiry(world, family("Trial"), cohort)
    with world.uow() as uow:
        session = uow.sessions.list_for_cohort(cohort.id)[0]
    enrolments(world).book_trial(world.actor("super_admin"), trial.id, session.id)
    seated(world, family("Pending"), cohort)
    active(world, family("Active"), cohort)
    dropped = seated(world, family("Dropped"), cohort)
    enrolments(world).drop(world.actor("super_admin"), dropped.id, on=date(2026, 1, 19), reason="x")
    closed = family("Closed")
    active(world, closed, cohort)
    with world.uow() as uow:
        uow.families.get(families["Closed"].id).deactivate()
        uow.commit()

    sent = svc(world).announce(world.actor("super_admin"), "Hello", "Welcome", cohort_id=cohort.id)

    names = {f.id: name for name, f in families.items()}
    assert sorted(names[x.recipient_family_id] for x in sent if x.recipient_family_id) == [
        "Active",
        "Pending",
        "Trial",
    ]
    assert {S.PENDING_PAYMENT, S.ENROLLED, S.ACTIVE, S.TRIAL} == LIVE_STATES


def test_an_announcement_to_a_campus_reaches_every_cohort_there(world: World) -> None:
    geelong = school(world)
    wednesday = add_cohort(world, capacity=8, name="Scratch Basics - Term 1 Wed")
    active(world, world.sibling, wednesday)  # the Nguyens again: still once
    third = m.Family(
        organisation_id=world.org_id,
        family_name="Brown",
        primary_contact_name="Lee Brown",
        primary_contact_email="lee@family.example",
    )
    world.add(third)
    active(world, add_student(world, family=third), wednesday)

    sent = svc(world).announce(
        world.actor("campus_manager"), "Car park", "Closed on Friday", campus_id=world.campus.id
    )
    assert [x.recipient_family_id for x in sent] == [third.id, world.family.id]
    entry = audit_entries(world, sent[0].id)[0]
    assert entry.changes["campus_id"] == str(world.campus.id)

    geelong_sent = svc(world).announce(
        world.actor("other_manager"), "Car park", "Open", campus_id=geelong.campus_id
    )
    assert [x.recipient_family_id for x in geelong_sent] == [world.other_family.id]


def test_an_announcement_with_nobody_to_tell_writes_nothing(world: World) -> None:
    empty = add_cohort(world, name="Empty")
    sent = unchanged(
        world,
        lambda: svc(world).announce(world.actor("super_admin"), "Hi", "Hi", cohort_id=empty.id),
    )
    assert sent == []


def test_replies_to_an_announcement_go_to_the_announcer(world: World) -> None:
    school(world)
    [sent] = svc(world).announce(
        world.actor("campus_manager"), "Car park", "Closed", cohort_id=world.cohort.id
    )
    answer = from_family(world, sent.thread_id, "Where do we park?")
    assert answer.recipient_staff_id == staff_id(world, "campus_manager")


# -- MessageSent -----------------------------------------------------------------------------


def test_every_new_message_records_message_sent(world: World) -> None:
    school(world)
    first = start(world, "lead_instructor")
    answer = from_family(world, first.thread_id)
    reply = svc(world).reply(world.actor("lead_instructor"), first.thread_id, "Sure")
    [announced] = svc(world).announce(
        world.actor("super_admin"), "Hi", "All", cohort_id=world.cohort.id
    )

    events = published(world, MessageSent)
    assert [(e.message_id, e.thread_id) for e in events] == [
        (x.id, x.thread_id) for x in (first, answer, reply, announced)
    ]
    assert [(e.recipient_family_id, e.recipient_staff_id) for e in events] == [
        (world.family.id, None),
        (None, staff_id(world, "lead_instructor")),
        (world.family.id, None),
        (world.family.id, None),
    ]
    assert all(e.organisation_id == world.org_id for e in events)


def test_message_sent_reaches_in_transaction_handlers_with_the_message(world: World) -> None:
    """The notification outbox handles MessageSent before the commit: the message is there,
    and what the handler writes commits with it (or not at all)."""
    school(world)
    seen: list[tuple[UUID, str]] = []

    def handler(uow: UnitOfWork, events: Any) -> None:
        for event in events:
            assert isinstance(event, MessageSent)
            seen.append((event.message_id, uow.messages.get(event.message_id).subject))

    world.bus.subscribe_in_transaction(MessageSent, handler)
    first = start(world, subject="Kits")
    assert seen == [(first.id, "Kits")]

    def failing(uow: UnitOfWork, events: Any) -> None:
        raise RuntimeError("outbox down")

    world.bus.subscribe_in_transaction(MessageSent, failing)
    before = snapshot(world)
    with pytest.raises(RuntimeError):
        svc(world).reply(world.actor("super_admin"), first.thread_id, "Again")
    assert snapshot(world) == before


def test_read_flags_record_no_message_sent(world: World) -> None:
    school(world)
    first = start(world, "lead_instructor")
    answer = from_family(world, first.thread_id)
    count = len(published(world, MessageSent))
    svc(world).mark_read(world.actor("lead_instructor"), answer.id)
    svc(world).mark_thread_read_by_family(world.org_id, world.family.id, first.thread_id)
    assert len(published(world, MessageSent)) == count


# -- who may message whom --------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_who_may_start_a_thread_with_a_family(world: World, who: str) -> None:
    school(world)
    walk(
        world, who, NGUYEN_WRITERS, lambda a: svc(world).start_thread(a, world.family.id, "S", "B")
    )
    walk(
        world,
        who,
        SMITH_WRITERS,
        lambda a: svc(world).start_thread(a, world.other_family.id, "S", "B"),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_reply_in_a_familys_thread(world: World, who: str) -> None:
    school(world)
    nguyen = start(world)
    smith = start(world, family=world.other_family)
    walk(world, who, NGUYEN_WRITERS, lambda a: svc(world).reply(a, nguyen.thread_id, "B"))
    walk(world, who, SMITH_WRITERS, lambda a: svc(world).reply(a, smith.thread_id, "B"))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_a_familys_threads(world: World, who: str) -> None:
    school(world)
    nguyen = start(world)
    smith = start(world, family=world.other_family)
    walk(world, who, NGUYEN_WRITERS, lambda a: svc(world).thread(a, nguyen.thread_id))
    walk(world, who, SMITH_WRITERS, lambda a: svc(world).thread(a, smith.thread_id))
    walk(world, who, NGUYEN_WRITERS, lambda a: svc(world).threads_for_family(a, world.family.id))
    walk(
        world,
        who,
        SMITH_WRITERS,
        lambda a: svc(world).threads_for_family(a, world.other_family.id),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_send_announcements(world: World, who: str) -> None:
    geelong = school(world)
    walk(
        world,
        who,
        WERRIBEE_ANNOUNCERS,
        lambda a: svc(world).announce(a, "S", "B", cohort_id=world.cohort.id),
    )
    walk(
        world,
        who,
        WERRIBEE_ANNOUNCERS,
        lambda a: svc(world).announce(a, "S", "B", campus_id=world.campus.id),
    )
    walk(
        world,
        who,
        {"super_admin", "other_manager"},
        lambda a: svc(world).announce(a, "S", "B", cohort_id=geelong.id),
    )
    walk(
        world,
        who,
        {"super_admin", "other_manager"},
        lambda a: svc(world).announce(a, "S", "B", campus_id=geelong.campus_id),
    )


@pytest.mark.parametrize("who", ROLES)
def test_everyone_counts_their_own_unread_messages(world: World, who: str) -> None:
    school(world)
    family = world.other_family if who in ("other_manager", "other_instructor") else world.family
    approver = "lead_instructor" if who == "teaching_assistant" else None
    first = start(world, who, family, approver=approver)
    from_family(world, first.thread_id, family=family)
    assert unread(world, who) == 1
    others = [other for other in ROLES if other != who]
    assert [unread(world, other) for other in others] == [0] * len(others)


def test_a_lead_instructor_messages_only_families_of_their_own_cohorts(world: World) -> None:
    school(world)
    # Another Werribee cohort, not Linus's: its family is the campus's, not his.
    wednesday = add_cohort(world, capacity=8, name="Scratch Basics - Term 1 Wed")
    third = m.Family(
        organisation_id=world.org_id,
        family_name="Brown",
        primary_contact_name="Lee Brown",
        primary_contact_email="lee@family.example",
    )
    world.add(third)
    active(world, add_student(world, family=third), wednesday)

    error = refused(world, Forbidden, lambda: start(world, "lead_instructor", family=third))
    assert "Brown" in str(error)
    assert "they teach" in str(error)
    start(world, "campus_manager", family=third)


def test_campus_scope_needs_a_live_enrolment_at_the_campus(world: World) -> None:
    # No enrolment at all: only the organisation-wide roles may write.
    for who in ROLES:
        walk(
            world,
            who,
            {"super_admin", "front_desk"},
            lambda a: svc(world).start_thread(a, world.family.id, "S", "B"),
        )
    # An enquiry is not live; a trial is.
    trial = enquiry(world, world.child)
    error = refused(world, Forbidden, lambda: start(world, "campus_manager"))
    assert "at the campuses they work at" in str(error)
    assert "Nguyen" in str(error)
    enrolments(world).book_trial(world.actor("super_admin"), trial.id, world.sessions[1].id)
    start(world, "campus_manager")
    start(world, "lead_instructor")
    # Dropped: out of scope again.
    enrolments(world).drop(world.actor("super_admin"), trial.id, on=date(2026, 1, 19), reason="x")
    refused(world, Forbidden, lambda: start(world, "campus_manager"))


def test_one_child_in_scope_is_enough(world: World) -> None:
    geelong = school(world)
    # The Nguyens' second child learns in Geelong: both campuses' managers may write.
    active(world, world.sibling, geelong)
    start(world, "campus_manager")
    start(world, "other_manager")
    start(world, "other_instructor")


# -- teaching assistants: with approval ------------------------------------------------------


@pytest.mark.parametrize(
    "approver", ["lead_instructor", "campus_manager", "front_desk", "super_admin"]
)
def test_a_teaching_assistant_writes_with_an_approval_that_covers_the_family(
    world: World, approver: str
) -> None:
    school(world)
    message = start(world, "teaching_assistant", approver=approver)
    assert load(world, message.id).sender_staff_id == staff_id(world, "teaching_assistant")
    [entry] = audit_entries(world, message.id)
    assert entry.actor_staff_id == staff_id(world, "teaching_assistant")
    assert entry.changes["approved_by_staff_id"] == str(staff_id(world, approver))

    reply = svc(world).reply(
        world.actor("teaching_assistant"),
        message.thread_id,
        "Also bring a hat",
        approver_id=staff_id(world, approver),
    )
    [entry] = audit_entries(world, reply.id)
    assert entry.changes["approved_by_staff_id"] == str(staff_id(world, approver))
    # Having written, the assistant takes part: they read the thread and get the answer.
    answer = from_family(world, message.thread_id)
    assert answer.recipient_staff_id == staff_id(world, "teaching_assistant")
    thread = svc(world).thread(world.actor("teaching_assistant"), message.thread_id)
    assert [x.id for x in thread] == [message.id, reply.id, answer.id]
    [summary] = svc(world).threads_for_family(world.actor("teaching_assistant"), world.family.id)
    assert summary.unread_for_actor == 1
    svc(world).mark_read(world.actor("teaching_assistant"), answer.id)


@pytest.mark.parametrize(
    ("approver", "words"),
    [
        (None, "approval"),
        ("teaching_assistant", "approver"),  # themselves: their grant needs approval too
        ("other_manager", "approver"),  # Geelong's manager: not the family's campus
        ("other_instructor", "approver"),  # not the cohort's instructor
    ],
)
def test_a_teaching_assistant_without_a_covering_approval_is_refused(
    world: World, approver: str | None, words: str
) -> None:
    school(world)
    refused(world, Forbidden, lambda: start(world, "teaching_assistant", approver=approver), words)
    thread = start(world)
    refused(
        world,
        Forbidden,
        lambda: svc(world).reply(
            world.actor("teaching_assistant"),
            thread.thread_id,
            "Hi",
            approver_id=None if approver is None else staff_id(world, approver),
        ),
        words,
    )


def test_an_approver_must_be_a_known_active_staff_member(world: World) -> None:
    school(world)
    ta = world.actor("teaching_assistant")
    refused(
        world, NotFound, lambda: svc(world).start_thread(ta, world.family.id, "S", "B", uuid4())
    )
    deactivate_staff(world, "lead_instructor")
    refused(
        world, Forbidden, lambda: start(world, "teaching_assistant", approver="lead_instructor")
    )


def test_a_teaching_assistant_sees_only_the_threads_they_take_part_in(world: World) -> None:
    school(world)
    theirs = start(world, "teaching_assistant", approver="lead_instructor")
    others = start(world, "campus_manager")
    ta = world.actor("teaching_assistant")
    refused(world, Forbidden, lambda: svc(world).thread(ta, others.thread_id))
    summaries = svc(world).threads_for_family(ta, world.family.id)
    assert [s.thread_id for s in summaries] == [theirs.thread_id]
    # The lead instructor, whose grant covers the family, sees both.
    assert len(svc(world).threads_for_family(world.actor("lead_instructor"), world.family.id)) == 2


def test_a_participant_keeps_reading_a_thread_after_leaving_the_scope(world: World) -> None:
    school(world)
    thread = start(world, "lead_instructor")
    with world.uow() as uow:
        for assignment in uow.cohort_staff.list_for_cohort(world.cohort.id):
            if assignment.staff_id == staff_id(world, "lead_instructor"):
                uow.cohort_staff.remove(assignment)
        uow.commit()
    linus = world.actor("lead_instructor")
    assert [x.id for x in svc(world).thread(linus, thread.thread_id)] == [thread.id]
    refused(world, Forbidden, lambda: svc(world).reply(linus, thread.thread_id, "Hi"))


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_a_blank_subject_or_body_is_refused(world: World, blank: str) -> None:
    school(world)
    thread = start(world)
    sa = world.actor("super_admin")
    for field, call in [
        ("Message.subject", lambda: svc(world).start_thread(sa, world.family.id, blank, "B")),
        ("Message.body", lambda: svc(world).start_thread(sa, world.family.id, "S", blank)),
        ("Message.body", lambda: svc(world).reply(sa, thread.thread_id, blank)),
        ("Message.body", lambda: from_family(world, thread.thread_id, blank)),
        ("Message.subject", lambda: svc(world).announce(sa, blank, "B", cohort_id=world.cohort.id)),
        ("Message.body", lambda: svc(world).announce(sa, "S", blank, campus_id=world.campus.id)),
    ]:
        error = refused(world, ValidationError, call)
        assert isinstance(error, ValidationError)
        assert error.field == field


def test_text_that_is_too_long_or_not_text_is_refused(world: World) -> None:
    school(world)
    sa = world.actor("super_admin")
    for field, call in [
        ("Message.subject", lambda: svc(world).start_thread(sa, world.family.id, "x" * 201, "B")),
        ("Message.body", lambda: svc(world).start_thread(sa, world.family.id, "S", "x" * 100_001)),
        (
            "Message.subject",
            lambda: svc(world).announce(sa, "x" * 201, "B", cohort_id=world.cohort.id),
        ),
        ("Message.body", lambda: svc(world).start_thread(sa, world.family.id, "S", 42)),  # type: ignore[arg-type]
    ]:
        error = refused(world, ValidationError, call)
        assert isinstance(error, ValidationError)
        assert error.field == field


def test_an_announcement_names_one_cohort_or_one_campus(world: World) -> None:
    school(world)
    sa = world.actor("super_admin")
    for call in [
        lambda: svc(world).announce(sa, "S", "B"),
        lambda: svc(world).announce(
            sa, "S", "B", cohort_id=world.cohort.id, campus_id=world.campus.id
        ),
    ]:
        error = refused(world, ValidationError, call)
        assert isinstance(error, ValidationError)
        assert error.field == "cohort_id"


def test_unknown_ids_are_not_found(world: World) -> None:
    school(world)
    sa = world.actor("super_admin")
    other = other_school(world)
    for call in [
        lambda: svc(world).start_thread(sa, uuid4(), "S", "B"),
        lambda: svc(world).start_thread(sa, other.student.family_id, "S", "B"),
        lambda: svc(world).reply(sa, uuid4(), "B"),
        lambda: svc(world).thread(sa, uuid4()),
        lambda: svc(world).threads_for_family(sa, uuid4()),
        lambda: svc(world).mark_read(sa, uuid4()),
        lambda: svc(world).announce(sa, "S", "B", cohort_id=uuid4()),
        lambda: svc(world).announce(sa, "S", "B", cohort_id=other.cohort.id),
        lambda: svc(world).announce(sa, "S", "B", campus_id=uuid4()),
    ]:
        refused(world, NotFound, call)


def test_a_family_outside_scope_is_forbidden_with_a_clear_message(world: World) -> None:
    school(world)
    error = refused(world, Forbidden, lambda: start(world, "other_manager"))
    assert "Nguyen" in str(error)
    assert "outside" in str(error)
    error = refused(world, Forbidden, lambda: start(world, "other_instructor"))
    assert "cohort they teach" in str(error)


def test_a_deactivated_family_gets_no_new_messages_but_may_still_write(world: World) -> None:
    school(world)
    thread = start(world)
    with world.uow() as uow:
        uow.families.get(world.family.id).deactivate()
        uow.commit()
    refused(world, Conflict, lambda: start(world), "deactivated")
    refused(
        world,
        Conflict,
        lambda: svc(world).reply(world.actor("super_admin"), thread.thread_id, "Hi"),
        "deactivated",
    )
    answer = from_family(world, thread.thread_id, "We moved away, thanks for everything")
    assert answer.recipient_staff_id == staff_id(world, "super_admin")
    assert load(world, answer.id).sender_family_id == world.family.id


def test_a_thread_no_staff_member_wrote_in_has_nobody_to_reply_to(world: World) -> None:
    # Threads are opened by staff; one that was not (imported data) cannot route a reply.
    stray = m.Message(
        organisation_id=world.org_id,
        sender_type=m.ParticipantType.PARENT,
        sender_family_id=world.family.id,
        recipient_type=m.ParticipantType.STAFF,
        recipient_staff_id=staff_id(world, "front_desk"),
        subject="Imported",
        body="Old mail",
        sent_at=world.clock.now(),
    )
    with world.uow() as uow:
        uow.messages.add(stray)
        uow.commit()
    refused(world, Conflict, lambda: from_family(world, stray.thread_id), "start a new one")
