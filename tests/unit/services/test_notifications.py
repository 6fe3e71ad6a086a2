"""The notification outbox: rows queued in the transaction of the change that called for them,
their words, their recipients, idempotency, family preferences and the use cases.

The school is ``world`` (conftest.py): the Nguyens (Kim and An) and the Smiths (Alex); the
Monday cohort "Scratch Basics - Term 1 Mon" at Werribee, 16:00-17:30 Melbourne time from
2 February 2026; today is Monday 19 January, 09:00 UTC. ``outbox`` subscribes the
NotificationService (with the built-in templates) on the world's bus.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import pytest
from tests.unit.services.conftest import MELBOURNE, TODAY, World
from tests.unit.services.helpers import ROLES, snapshot, walk
from tests.unit.services.test_attendance import enrol
from tests.unit.services.test_enrolment import (
    add_student,
    admin,
    audit_entries,
    enquiry,
    enrolled,
    seated,
)
from tests.unit.services.test_enrolment import service as enrolments
from tests.unit.services.test_invoicing import nguyens_at_werribee, sent

from rocket_adapters.notification_templates import JinjaTemplateRenderer
from rocket_core import model as m
from rocket_core.errors import ValidationError
from rocket_core.events import AbsenceCleared, MessageSent, StudentMarkedAbsent
from rocket_core.model import AttendanceStatus as A
from rocket_core.model import NotificationKind as K
from rocket_core.model import NotificationStatus as N
from rocket_core.services.attendance import AttendanceService
from rocket_core.services.base import Service
from rocket_core.services.families import FamilyService
from rocket_core.services.invoicing import InvoicingService
from rocket_core.services.makeup import MakeupService, issue_token
from rocket_core.services.notifications import (
    KIND_VARIABLES,
    SAMPLE_VARIABLES,
    NotificationService,
    clock_time,
    dedupe_key,
    local_moment,
    long_date,
    money,
    names,
    preview,
)
from rocket_core.services.scheduling import SchedulingService

#: Who may change a Werribee family's settings, and read its notifications.
MANAGES = {"super_admin", "campus_manager", "front_desk"}


@pytest.fixture
def outbox(world: World) -> NotificationService:
    """The NotificationService with the built-in templates, subscribed on the world's bus."""
    service = NotificationService(world.make_uow, world.clock, world.bus, JinjaTemplateRenderer())
    service.subscribe()
    return service


@pytest.fixture
def billing(world: World, outbox: NotificationService) -> InvoicingService:
    """Invoicing subscribed too: seats awaiting payment get their invoice."""
    invoicing = InvoicingService(world.make_uow, world.clock, world.bus)
    invoicing.subscribe()
    return invoicing


# -- helpers --------------------------------------------------------------------------------


def rows(world: World, kind: K | None = None) -> list[m.Notification]:
    """Every committed notification (of ``kind``), oldest first."""
    with world.store.lock:
        found = list(world.store.tables[m.Notification].values())
    return [n for n in found if isinstance(n, m.Notification) and kind in (None, n.kind)]


def row(world: World, kind: K) -> m.Notification:
    [only] = rows(world, kind)
    return only


def melbourne(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(MELBOURNE))


def family(world: World, name: str, child: str) -> tuple[m.Family, m.Student]:
    household = m.Family(
        organisation_id=world.org_id,
        family_name=name,
        primary_contact_name=f"Sam {name}",
        primary_contact_email=f"{name.lower()}@family.example",
    )
    student = m.Student(
        organisation_id=world.org_id,
        family_id=household.id,
        first_name=child,
        last_name=name,
        date_of_birth=date(2017, 4, 4),
    )
    world.add(household, student)
    return household, student


def load_family(world: World, family_id: UUID | None = None) -> m.Family:
    with world.uow() as uow:
        return uow.families.get(family_id or world.family.id)


def change_family(world: World, **changes: Any) -> None:
    with world.uow() as uow:
        uow.families.get(world.family.id).update(**changes)
        uow.commit()


def change_settings(world: World, **changes: Any) -> None:
    with world.uow() as uow:
        organisation = uow.organisations.current()
        organisation.update(settings=attrs.evolve(organisation.settings, **changes))
        uow.commit()


def message(
    world: World,
    *,
    staff: str = "lead_instructor",
    to_family: bool = True,
    body: str = "Kim built a robot today.",
    fail: bool = False,
) -> m.Message:
    """A message between ``staff`` and the Nguyens (to the family, or from it), recorded
    with its MessageSent in one transaction (what the messaging use cases do); ``fail``
    raises inside that transaction, after the event."""
    staff_id = world.staff[staff].id
    if to_family:
        sent_message = m.Message(
            organisation_id=world.org_id,
            sender_type=m.ParticipantType.STAFF,
            sender_staff_id=staff_id,
            recipient_type=m.ParticipantType.PARENT,
            recipient_family_id=world.family.id,
            subject="Kim's robot",
            body=body,
            sent_at=world.clock.now(),
        )
    else:
        sent_message = m.Message(
            organisation_id=world.org_id,
            sender_type=m.ParticipantType.PARENT,
            sender_family_id=world.family.id,
            recipient_type=m.ParticipantType.STAFF,
            recipient_staff_id=staff_id,
            subject="Re: Kim's robot",
            body=body,
            sent_at=world.clock.now(),
        )
    service = Service(world.make_uow, world.clock, world.bus)
    with service.system_transaction(world.org_id) as uow:
        uow.messages.add(sent_message)
        sent_message.record(
            MessageSent(
                organisation_id=world.org_id,
                message_id=sent_message.id,
                thread_id=sent_message.thread_id,
                recipient_family_id=sent_message.recipient_family_id,
                recipient_staff_id=sent_message.recipient_staff_id,
            )
        )
        if fail:
            raise RuntimeError("the use case failed after the message was sent")
    return sent_message


# -- formatting -----------------------------------------------------------------------------


def test_values_are_written_the_australian_way() -> None:
    assert money(Decimal("1234.5")) == "$1,234.50"
    assert money(Decimal("-30")) == "-$30.00"
    assert money(Decimal("0.005")) == "$0.01"
    assert long_date(date(2026, 2, 2)) == "Monday 2 February 2026"
    assert [clock_time(time(h, mi)) for h, mi in ((0, 5), (9, 5), (12, 30), (16, 0))] == [
        "12:05 am",
        "9:05 am",
        "12:30 pm",
        "4:00 pm",
    ]
    # 09:00 UTC on 21 January is 8 pm in Melbourne (daylight saving time)
    assert local_moment(datetime(2026, 1, 21, 9, tzinfo=ZoneInfo("UTC")), MELBOURNE) == (
        "8:00 pm on Wednesday 21 January 2026"
    )
    assert preview("  short  ") == "short"
    long = preview("word " * 200)
    assert len(long) <= 300
    assert long.endswith("…")


def test_children_are_named_together(world: World) -> None:
    assert names([]) == ""
    assert names([world.child]) == "Kim"
    assert names([world.sibling, world.child]) == "An and Kim"
    assert names([world.sibling, world.child, world.other_child]) == "An, Kim and Alex"
    preferred = attrs.evolve(world.child, preferred_name="Kimmy")
    assert names([preferred]) == "Kimmy"


def test_the_samples_give_every_variable_of_their_kind() -> None:
    assert set(SAMPLE_VARIABLES) == set(K) == set(KIND_VARIABLES)
    for kind in K:
        assert set(SAMPLE_VARIABLES[kind]) == set(KIND_VARIABLES[kind]), kind
        assert {"school_name", "contact_name"} <= set(KIND_VARIABLES[kind])


# -- enrolment confirmed --------------------------------------------------------------------


def test_a_confirmed_enrolment_queues_a_welcome(world: World, outbox: NotificationService) -> None:
    enrolment = enrolled(world, world.child)

    notification = row(world, K.ENROLMENT_CONFIRMED)
    assert notification.recipient_family_id == world.family.id
    assert notification.recipient_staff_id is None
    assert notification.status is N.QUEUED
    assert notification.dedupe_key == f"enrolment_confirmed:{enrolment.id}"
    assert notification.created_at == notification.due_at == world.clock.now()
    assert notification.subject == "Kim is enrolled in Scratch Basics at Rocket Academy"
    for words in ("Hi Mai Nguyen", "Scratch Basics - Term 1 Mon", "Werribee", "Monday 2 February"):
        assert words in notification.body
        assert words in (notification.html_body or "")
    assert notification.body.rstrip().endswith("The Rocket Academy team")
    assert (notification.html_body or "").startswith("<!DOCTYPE html>")


# -- invoices -------------------------------------------------------------------------------


def test_an_enrolments_invoice_queues_its_notice(world: World, billing: InvoicingService) -> None:
    enrolment = seated(world, world.child)

    with world.uow() as uow:
        [invoice] = uow.invoices.list_for_enrolment(enrolment.id)
    notification = row(world, K.INVOICE_ISSUED)
    assert notification.recipient_family_id == world.family.id
    assert notification.dedupe_key == f"invoice_issued:{invoice.id}"
    assert notification.subject == f"Invoice {invoice.invoice_number} from Rocket Academy"
    assert f"for Kim in {world.cohort.name}" in notification.body
    assert f"Total: {money(invoice.total_amount)}" in notification.body
    assert f"Due by: {long_date(invoice.due_date)}" in notification.body
    assert money(invoice.total_amount).startswith("$")


def test_a_manual_invoice_names_no_child(world: World, billing: InvoicingService) -> None:
    invoice = sent(world, billing, "1234.50")

    notification = row(world, K.INVOICE_ISSUED)
    assert notification.dedupe_key == f"invoice_issued:{invoice.id}"
    assert f"Your invoice {invoice.invoice_number} is ready." in notification.body
    assert f"Total: {money(invoice.total_amount)}" in notification.body


def test_an_overdue_invoice_queues_a_reminder(world: World, billing: InvoicingService) -> None:
    invoice = sent(world, billing, "80.00")
    [overdue] = billing.mark_overdue(world.org_id, invoice.due_date + timedelta(days=8))

    notification = row(world, K.INVOICE_OVERDUE)
    assert notification.dedupe_key == f"invoice_overdue:{invoice.id}"
    assert invoice.invoice_number in notification.subject
    assert f"{money(overdue.amount_outstanding)} is still outstanding" in notification.body
    assert long_date(invoice.due_date) in notification.body
    # the nightly run again: nothing new
    billing.mark_overdue(world.org_id, invoice.due_date + timedelta(days=9))
    assert len(rows(world, K.INVOICE_OVERDUE)) == 1


# -- child absent ---------------------------------------------------------------------------


@pytest.fixture
def in_class(world: World, outbox: NotificationService) -> World:
    """Kim is an active student of the world's cohort; it is 17:45 on the first session's day."""
    enrol(world, world.child)
    world.clock.set(melbourne(world.sessions[0].scheduled_date, 17, 45))
    return world


def mark(world: World, status: A, who: str = "lead_instructor") -> None:
    AttendanceService(world.make_uow, world.clock, world.bus).mark(
        world.actor(who), world.sessions[0].id, {world.child.id: status}
    )


def test_an_absence_alert_is_due_an_hour_after_the_session(in_class: World) -> None:
    world = in_class
    mark(world, A.ABSENT)

    with world.uow() as uow:
        attendance = uow.attendance.find_for(world.sessions[0].id, world.child.id)
    assert attendance is not None
    notification = row(world, K.CHILD_ABSENT)
    assert notification.dedupe_key == f"child_absent:{attendance.id}"
    assert notification.recipient_family_id == world.family.id
    assert notification.due_at == melbourne(date(2026, 2, 2), 18, 30)
    assert notification.subject == "Kim wasn't at Scratch Basics on Monday 2 February 2026"
    assert "at Werribee on Monday 2 February 2026 at 4:00 pm" in notification.body


def test_the_alert_delay_follows_the_organisation_setting(in_class: World) -> None:
    world = in_class
    change_settings(world, absence_alert_delay_minutes=15)
    mark(world, A.ABSENT)
    assert row(world, K.CHILD_ABSENT).due_at == melbourne(date(2026, 2, 2), 17, 45)


def test_a_preregistered_absence_sends_no_alert(world: World, outbox: NotificationService) -> None:
    enrol(world, world.child)
    world.clock.set(melbourne(date(2026, 1, 30), 10))  # the family rang ahead
    mark(world, A.EXCUSED)
    assert rows(world, K.CHILD_ABSENT) == []


def test_clearing_the_absence_cancels_the_alert_and_a_new_absence_requeues_it(
    in_class: World,
) -> None:
    """The handler itself, driven by the events the attendance use case records."""
    world = in_class
    mark(world, A.ABSENT)
    first = row(world, K.CHILD_ABSENT)
    with world.uow() as uow:
        attendance = uow.attendance.find_for(world.sessions[0].id, world.child.id)
    assert attendance is not None
    service = Service(world.make_uow, world.clock, world.bus)

    with service.system_transaction(world.org_id) as uow:
        uow.attendance.get(attendance.id).record(
            AbsenceCleared(
                organisation_id=world.org_id,
                attendance_id=attendance.id,
                session_id=attendance.session_id,
                student_id=world.child.id,
            )
        )
    cancelled = row(world, K.CHILD_ABSENT)
    assert (cancelled.id, cancelled.status) == (first.id, N.CANCELLED)

    world.clock.advance(timedelta(hours=2))
    change_settings(world, absence_alert_delay_minutes=240)
    with service.system_transaction(world.org_id) as uow:
        uow.attendance.get(attendance.id).record(
            StudentMarkedAbsent(
                organisation_id=world.org_id,
                attendance_id=attendance.id,
                session_id=attendance.session_id,
                student_id=world.child.id,
                family_id=world.family.id,
                session_end=world.sessions[0].ends_at(MELBOURNE),
            )
        )
    again = row(world, K.CHILD_ABSENT)
    assert (again.id, again.status, again.last_error) == (first.id, N.QUEUED, None)
    assert again.due_at == melbourne(date(2026, 2, 2), 21, 30)
    assert again.subject == first.subject


def test_excusing_the_absence_cancels_the_alert(in_class: World) -> None:
    world = in_class
    mark(world, A.ABSENT)
    mark(world, A.EXCUSED)
    assert row(world, K.CHILD_ABSENT).status is N.CANCELLED


def test_an_alert_that_went_out_is_not_cancelled_nor_sent_twice(in_class: World) -> None:
    world = in_class
    mark(world, A.ABSENT)
    notification = row(world, K.CHILD_ABSENT)
    with world.uow() as uow:
        uow.notifications.get(notification.id).mark_sent("mai@family.example", world.clock.now())
        uow.commit()
    [event] = [e for e in world.published if isinstance(e, StudentMarkedAbsent)]
    cleared = AbsenceCleared(
        organisation_id=world.org_id,
        attendance_id=event.attendance_id,
        session_id=event.session_id,
        student_id=event.student_id,
    )
    service = Service(world.make_uow, world.clock, world.bus)
    for replay in (cleared, event):
        with service.system_transaction(world.org_id) as uow:
            world.bus.handle_in_transaction(uow, [replay])
    assert [n.status for n in rows(world, K.CHILD_ABSENT)] == [N.SENT]


# -- session cancelled ----------------------------------------------------------------------


@attrs.define
class Cancelled:
    session: m.Session
    visitor_family: m.Family
    late_family: m.Family


@pytest.fixture
def cancelled(world: World, outbox: NotificationService) -> Cancelled:
    """Session 2 (Monday 9 February) is cancelled by the campus manager. On it: Kim and An
    (active), Alex Smith (a trial booked into it), Jo Lee (a makeup visitor from the Wednesday
    cohort); Pat Brown joins the cohort from 16 February (not affected)."""
    session = world.sessions[1]
    with world.uow() as uow:
        uow.cohorts.get(world.cohort.id).update(max_capacity=8)
        uow.commit()
    enrol(world, world.child)
    enrol(world, world.sibling)
    trial = enquiry(world, world.other_child)
    enrolments(world).book_trial(admin(world), trial.id, session.id)
    lees, jo = family(world, "Lee", "Jo")
    wednesday = m.Cohort(
        organisation_id=world.org_id,
        program_id=world.program.id,
        campus_id=world.campus.id,
        name="Scratch Basics - Term 1 Wed",
        start_date=date(2026, 2, 4),
        end_date=date(2026, 2, 25),
        max_capacity=8,
        status=m.CohortStatus.OPEN,
    )
    world.add(wednesday)
    home = enrol(world, jo, cohort=wednesday)
    with world.uow() as uow:
        issue_token(
            uow,
            uow.enrolments.get(home.id),
            program_id=world.program.id,
            reason="Excused absence",
            today=TODAY,
        )
        uow.commit()
    MakeupService(world.make_uow, world.clock, world.bus).redeem(admin(world), jo.id, session.id)
    browns, pat = family(world, "Brown", "Pat")
    enrol(world, pat, start_date=date(2026, 2, 16))
    SchedulingService(world.make_uow, world.clock, world.bus).cancel_session(
        world.actor("campus_manager"), session.id, reason="Our instructor is unwell."
    )
    return Cancelled(session=session, visitor_family=lees, late_family=browns)


def test_a_cancelled_session_tells_every_family_on_it(world: World, cancelled: Cancelled) -> None:
    by_family = {n.recipient_family_id: n for n in rows(world, K.SESSION_CANCELLED)}
    assert set(by_family) == {world.family.id, world.other_family.id, cancelled.visitor_family.id}
    for family_id, notification in by_family.items():
        assert notification.dedupe_key == f"session_cancelled:{cancelled.session.id}:{family_id}"
        assert notification.subject == "Cancelled: Scratch Basics on Monday 9 February 2026"
        assert "at Werribee on Monday 9 February 2026 at 4:00 pm is cancelled" in (
            notification.body
        )
        assert "Reason: Our instructor is unwell." in notification.body
        assert notification.due_at == world.clock.now()
    assert "so An and Kim won't need to come in" in by_family[world.family.id].body
    assert "Hi Jo Smith" in by_family[world.other_family.id].body
    assert "so Alex won't" in by_family[world.other_family.id].body
    assert "so Jo won't" in by_family[cancelled.visitor_family.id].body


def test_session_cancelled_goes_to_families_that_switched_everything_off(
    world: World, outbox: NotificationService
) -> None:
    enrol(world, world.child)
    outbox.set_preferences(admin(world), world.family.id, set(K) - m.CRITICAL_KINDS)
    SchedulingService(world.make_uow, world.clock, world.bus).cancel_session(
        admin(world), world.sessions[1].id, reason="Flooded"
    )
    assert [n.recipient_family_id for n in rows(world, K.SESSION_CANCELLED)] == [world.family.id]


def test_a_broken_template_fails_the_cancellation_and_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    (tmp_path / "session_cancelled.txt").write_text("Hi {{ contact_name }}, {{ shoe_size }}\n")
    NotificationService(
        world.make_uow, world.clock, world.bus, JinjaTemplateRenderer(tmp_path)
    ).subscribe()
    enrol(world, world.child)
    before, events = snapshot(world), len(world.published)

    with pytest.raises(ValidationError) as error:
        SchedulingService(world.make_uow, world.clock, world.bus).cancel_session(
            admin(world), world.sessions[1].id, reason="Flooded"
        )

    assert error.value.field == "templates/session_cancelled.txt"
    assert error.value.rule == "uses unknown variable 'shoe_size'"
    assert snapshot(world) == before  # the session is not cancelled, no token, no row
    assert len(world.published) == events


# -- waitlist offer -------------------------------------------------------------------------


def test_a_seat_offer_queues_the_offer_with_its_expiry(
    world: World, outbox: NotificationService
) -> None:
    holders = [seated(world) for _ in range(3)]
    waiting = seated(world, world.other_child)
    assert waiting.is_waitlist

    enrolments(world).drop(admin(world), holders[0].id, on=TODAY, reason="Moving away")

    notification = row(world, K.WAITLIST_OFFER)
    assert notification.recipient_family_id == world.other_family.id
    assert notification.dedupe_key == f"waitlist_offer:{waiting.id}"
    assert notification.subject == "A place for Alex in Scratch Basics at Rocket Academy"
    # 48 hours from 09:00 UTC on 19 January, in Melbourne
    assert "until 8:00 pm on Wednesday 21 January 2026" in notification.body


# -- new message ----------------------------------------------------------------------------


def test_a_message_to_a_family_queues_a_notice_for_it(
    world: World, outbox: NotificationService
) -> None:
    sent_message = message(world)

    notification = row(world, K.NEW_MESSAGE)
    assert notification.recipient_family_id == world.family.id
    assert notification.dedupe_key == f"new_message:{sent_message.id}"
    assert notification.subject == "New message from Linus Staff: Kim's robot"
    assert "Kim built a robot today." in notification.body


def test_a_family_reply_notifies_the_staff_member(
    world: World, outbox: NotificationService
) -> None:
    message(world, to_family=False, body="Thanks, he loved it!")

    notification = row(world, K.NEW_MESSAGE)
    assert notification.recipient_staff_id == world.staff["lead_instructor"].id
    assert notification.recipient_family_id is None
    assert notification.subject == "New message from Mai Nguyen: Re: Kim's robot"
    assert notification.body.startswith("Hi Linus Staff,")


def test_a_deactivated_staff_member_is_not_notified(
    world: World, outbox: NotificationService
) -> None:
    with world.uow() as uow:
        uow.staff.get(world.staff["teaching_assistant"].id).deactivate()
        uow.commit()
    message(world, staff="teaching_assistant", to_family=False)
    assert rows(world, K.NEW_MESSAGE) == []


def test_a_message_use_case_that_fails_queues_nothing(
    world: World, outbox: NotificationService
) -> None:
    before = snapshot(world)
    with pytest.raises(RuntimeError):
        message(world, fail=True)
    assert snapshot(world) == before


def test_message_html_escapes_what_people_wrote(world: World, outbox: NotificationService) -> None:
    message(world, body="<script>alert('hi')</script> & more")
    notification = row(world, K.NEW_MESSAGE)
    assert "<script>alert('hi')</script> & more" in notification.body
    assert "&lt;script&gt;" in (notification.html_body or "")
    assert "<script>" not in (notification.html_body or "")


# -- idempotency ----------------------------------------------------------------------------


def test_handling_every_event_again_queues_nothing_more(
    world: World, billing: InvoicingService, outbox: NotificationService
) -> None:
    enrolled(world, world.child)  # confirmed and invoiced
    enrol(world, world.sibling)
    SchedulingService(world.make_uow, world.clock, world.bus).cancel_session(
        admin(world), world.sessions[1].id, reason="Flooded"
    )
    world.clock.set(melbourne(date(2026, 2, 2), 17, 45))
    AttendanceService(world.make_uow, world.clock, world.bus).mark(
        admin(world), world.sessions[0].id, {world.sibling.id: A.ABSENT}
    )
    message(world)
    kinds = {n.kind for n in rows(world)}
    assert {
        K.ENROLMENT_CONFIRMED,
        K.INVOICE_ISSUED,
        K.SESSION_CANCELLED,
        K.CHILD_ABSENT,
        K.NEW_MESSAGE,
    } <= kinds
    before = snapshot(world)

    service = Service(world.make_uow, world.clock, world.bus)
    for event in list(world.published):
        with service.system_transaction(world.org_id) as uow:
            outbox.handle(uow, event)

    assert snapshot(world) == before


# -- preferences ----------------------------------------------------------------------------


def test_a_family_can_switch_off_non_critical_kinds(
    world: World, billing: InvoicingService, outbox: NotificationService
) -> None:
    nguyens_at_werribee(world)
    family_after = outbox.set_preferences(
        world.actor("front_desk"), world.family.id, [K.INVOICE_ISSUED, "enrolment_confirmed"]
    )
    assert family_after.notification_opt_outs == {K.INVOICE_ISSUED, K.ENROLMENT_CONFIRMED}
    assert load_family(world).notification_opt_outs == {K.INVOICE_ISSUED, K.ENROLMENT_CONFIRMED}
    [entry] = [
        e
        for e in audit_entries(world, world.family.id)
        if e.action == "family.notification_preferences"
    ]
    assert entry.changes == {
        "notification_opt_outs": [[], ["enrolment_confirmed", "invoice_issued"]]
    }
    assert entry.actor_staff_id == world.staff["front_desk"].id

    enrolled(world, world.sibling)  # invoiced and confirmed: the family hears of neither
    assert rows(world, K.INVOICE_ISSUED) == rows(world, K.ENROLMENT_CONFIRMED) == []
    message(world)
    assert len(rows(world, K.NEW_MESSAGE)) == 1

    outbox.set_preferences(admin(world), world.family.id, [])
    enrolled(world, add_student(world))
    assert len(rows(world, K.ENROLMENT_CONFIRMED)) == 1


def test_the_same_preferences_again_write_nothing(
    world: World, outbox: NotificationService
) -> None:
    outbox.set_preferences(admin(world), world.family.id, [K.NEW_MESSAGE])
    before = snapshot(world)
    outbox.set_preferences(admin(world), world.family.id, {K.NEW_MESSAGE})
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("kinds", "words"),
    [
        ([K.SESSION_CANCELLED], "cannot switch off critical kinds: session_cancelled"),
        ([K.NEW_MESSAGE, K.WAITLIST_OFFER], "cannot switch off critical kinds: waitlist_offer"),
        (["shoe_size"], "'shoe_size' is not a notification kind"),
    ],
)
def test_critical_or_unknown_kinds_are_refused(
    world: World, outbox: NotificationService, kinds: list[Any], words: str
) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError) as error:
        outbox.set_preferences(admin(world), world.family.id, kinds)
    assert error.value.field == "Family.notification_opt_outs"
    assert words in error.value.rule
    assert snapshot(world) == before


# -- undeliverable families -----------------------------------------------------------------


def test_an_undeliverable_family_still_gets_rows(world: World, outbox: NotificationService) -> None:
    change_family(
        world, undeliverable_at=world.clock.now(), undeliverable_reason="550 mailbox unknown"
    )
    message(world)
    assert row(world, K.NEW_MESSAGE).status is N.QUEUED


def test_staff_clear_the_undeliverable_flag(world: World, outbox: NotificationService) -> None:
    bounced = world.clock.now() - timedelta(days=1)
    change_family(world, undeliverable_at=bounced, undeliverable_reason="550 mailbox unknown")

    cleared = outbox.clear_undeliverable(admin(world), world.family.id)

    assert not cleared.is_undeliverable
    assert not load_family(world).is_undeliverable
    [entry] = audit_entries(world, world.family.id)
    assert entry.action == "family.clear_undeliverable"
    assert entry.changes == {
        "undeliverable_at": [str(bounced), None],
        "undeliverable_reason": ["550 mailbox unknown", None],
    }
    before = snapshot(world)
    outbox.clear_undeliverable(admin(world), world.family.id)  # nothing to clear
    assert snapshot(world) == before


def test_a_new_primary_email_clears_the_flag(world: World) -> None:
    families = FamilyService(world.make_uow, world.clock, world.bus)
    bounced = world.clock.now() - timedelta(days=1)
    change_family(world, undeliverable_at=bounced, undeliverable_reason="550 mailbox unknown")

    families.update_family(admin(world), world.family.id, primary_contact_phone="0400 000 000")
    assert load_family(world).is_undeliverable  # another change keeps it

    families.update_family(admin(world), world.family.id, primary_contact_email="mai@new.example")
    assert not load_family(world).is_undeliverable
    entry = audit_entries(world, world.family.id)[-1]
    assert entry.changes["undeliverable_at"] == [str(bounced), None]
    assert "undeliverable_at" in entry.summary


# -- reading and checking -------------------------------------------------------------------


def test_a_familys_notifications_are_listed_oldest_first(
    world: World, outbox: NotificationService
) -> None:
    first = message(world)
    world.clock.advance(timedelta(minutes=5))
    second = message(world, body="And a second note.")
    message(world, to_family=False)  # to staff: not the family's

    listed = outbox.list_for_family(admin(world), world.family.id)

    assert [n.dedupe_key for n in listed] == [
        dedupe_key(K.NEW_MESSAGE, first.id),
        dedupe_key(K.NEW_MESSAGE, second.id),
    ]
    assert outbox.list_for_family(admin(world), world.other_family.id) == []


def test_check_templates_renders_every_kind(world: World) -> None:
    rendered = NotificationService(
        world.make_uow, world.clock, world.bus, JinjaTemplateRenderer()
    ).check_templates()
    assert set(rendered) == set(K)
    assert all("Rocket Academy" in message.text_body for message in rendered.values())


def test_check_templates_names_a_broken_template(world: World, tmp_path: Path) -> None:
    (tmp_path / "waitlist_offer.html").write_text("<p>{{ seat_colour }}</p>")
    renderer = JinjaTemplateRenderer(tmp_path)
    with pytest.raises(ValidationError) as error:
        NotificationService(world.make_uow, world.clock, world.bus, renderer).check_templates()
    assert (error.value.field, error.value.rule) == (
        "templates/waitlist_offer.html",
        "uses unknown variable 'seat_colour'",
    )


# -- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_who_may_set_preferences(world: World, outbox: NotificationService, who: str) -> None:
    nguyens_at_werribee(world)  # a Werribee family: not the Geelong manager's
    walk(
        world,
        who,
        MANAGES,
        lambda actor: outbox.set_preferences(actor, world.family.id, [K.INVOICE_OVERDUE]),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_clear_the_undeliverable_flag(
    world: World, outbox: NotificationService, who: str
) -> None:
    nguyens_at_werribee(world)
    change_family(world, undeliverable_at=world.clock.now(), undeliverable_reason="bounced")
    walk(world, who, MANAGES, lambda actor: outbox.clear_undeliverable(actor, world.family.id))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_list_a_familys_notifications(
    world: World, outbox: NotificationService, who: str
) -> None:
    nguyens_at_werribee(world)
    walk(world, who, MANAGES, lambda actor: outbox.list_for_family(actor, world.family.id))


def test_a_family_of_no_campus_is_any_campus_managers(
    world: World, outbox: NotificationService
) -> None:
    outbox.set_preferences(world.actor("other_manager"), world.family.id, [K.NEW_MESSAGE])
    assert load_family(world).notification_opt_outs == {K.NEW_MESSAGE}


# -- reading a family's settings and its notifications by status -----------------------------


def test_a_familys_settings_list_every_kind_and_the_undeliverable_flag(
    world: World, outbox: NotificationService
) -> None:
    outbox.set_preferences(admin(world), world.family.id, [K.INVOICE_OVERDUE, K.NEW_MESSAGE])
    bounced = world.clock.now() - timedelta(days=1)
    change_family(world, undeliverable_at=bounced, undeliverable_reason="550 mailbox unknown")
    before = snapshot(world)

    settings = outbox.settings(admin(world), world.family.id)

    assert snapshot(world) == before
    assert settings.family_id == world.family.id
    assert [s.kind for s in settings.kinds] == list(K)
    assert {s.kind for s in settings.kinds if not s.enabled} == {K.INVOICE_OVERDUE, K.NEW_MESSAGE}
    assert {s.kind for s in settings.kinds if s.critical} == {
        K.SESSION_CANCELLED,
        K.WAITLIST_OFFER,
    }
    assert settings.is_undeliverable
    assert (settings.undeliverable_at, settings.undeliverable_reason) == (
        bounced,
        "550 mailbox unknown",
    )
    assert not outbox.settings(admin(world), world.other_family.id).is_undeliverable


def test_notifications_are_listed_by_status(world: World, outbox: NotificationService) -> None:
    first = message(world)
    message(world, body="A second note.")
    with world.uow() as uow:
        [queued] = [
            n
            for n in uow.notifications.list_for_family(world.family.id)
            if n.dedupe_key == dedupe_key(K.NEW_MESSAGE, first.id)
        ]
        queued.cancel("withdrawn for the test")
        uow.commit()

    cancelled = outbox.list_for_family(admin(world), world.family.id, N.CANCELLED)
    waiting = outbox.list_for_family(admin(world), world.family.id, "queued")

    assert [n.dedupe_key for n in cancelled] == [dedupe_key(K.NEW_MESSAGE, first.id)]
    assert len(waiting) == 1
    assert outbox.list_for_family(admin(world), world.family.id, N.SENT) == []


def test_an_unknown_status_is_refused(world: World, outbox: NotificationService) -> None:
    with pytest.raises(ValidationError) as error:
        outbox.list_for_family(admin(world), world.family.id, "lost")
    assert error.value.field == "status"


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_a_familys_settings(
    world: World, outbox: NotificationService, who: str
) -> None:
    nguyens_at_werribee(world)
    walk(world, who, MANAGES, lambda actor: outbox.settings(actor, world.family.id))
