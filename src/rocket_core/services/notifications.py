"""The notification outbox: what gets queued, with which words, for whom (DESIGN decision 12).

``NotificationService.subscribe()`` registers handlers that run inside the transaction that
recorded an event (``EventBus.subscribe_in_transaction``), so a Notification row commits with
the change or not at all; the dispatcher (``rocket_core.services.dispatch``) sends them later.

What each event queues (one row per recipient, rendered at once by the TemplateRenderer with
the variables of ``KIND_VARIABLES``):

- EnrolmentConfirmed -> ``enrolment_confirmed`` to the family;
- InvoiceIssued -> ``invoice_issued``, InvoiceOverdue -> ``invoice_overdue`` to the family (the
  child and cohort are named when the invoice is an enrolment's, else they are empty);
- StudentMarkedAbsent (only raised for unexcused absences) -> ``child_absent`` to the family,
  due ``absence_alert_delay_minutes`` after the session ends; AbsenceCleared cancels it while
  it has not gone out, and a later StudentMarkedAbsent for the same mark queues it again (the
  same row, re-rendered, with a new due time);
- SessionCancelled -> ``session_cancelled`` to every family with a child on that session: a
  seat-holding enrolment in the cohort that had started by the session's day, a trial booked
  into that session, or a makeup visit booked into it; one row per family naming all its
  children there;
- SeatOffered -> ``waitlist_offer`` to the family, with the offer's expiry;
- MessageSent -> ``new_message`` to the recipient family, or to the recipient staff member when
  a family wrote (not to the sender, nor to a deactivated staff member).

Rules:

- **Idempotent**: each row has a ``dedupe_key`` ``"<kind>:<entity id>[:<family id>]"``; a
  handler that runs twice finds the row and queues nothing more.
- **Preferences**: a family that switched a kind off (``Family.wants``) gets no row for it;
  critical kinds always go. A kind switched off after a row was queued is cancelled by
  the dispatcher when the row's turn comes. Staff always get theirs.
- **Undeliverable families** still get rows: the dispatcher fails them, so the outbox shows
  what they missed.
- **Failing loudly**: a template that uses a variable its kind does not provide, or a missing
  template, raises the renderer's ValidationError inside the transaction: the use case that
  raised the event fails and writes nothing.
- Queuing is not audited (the change that raised the event is); the use cases of this module
  (preferences, the undeliverable flag) are.

Permissions of the use cases follow ``rocket_core.services.families``: changing a family's
preferences or undeliverable flag is ``Action.MANAGE_ENROLMENTS`` in the family's scope;
reading its notifications is ``Action.VIEW_ROSTER`` in the same scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.enrolment_machine import SEAT_HOLDING_STATES
from rocket_core.errors import ValidationError
from rocket_core.events import (
    AbsenceCleared,
    DomainEvent,
    EnrolmentConfirmed,
    EventBus,
    InvoiceIssued,
    InvoiceOverdue,
    MessageSent,
    SeatOffered,
    SessionCancelled,
    StudentMarkedAbsent,
)
from rocket_core.model import (
    Campus,
    Cohort,
    EnrolmentStatus,
    Family,
    Notification,
    NotificationKind,
    NotificationStatus,
    ParticipantType,
    Program,
    Staff,
    Student,
)
from rocket_core.permissions import Action, Actor, Scope, authorise
from rocket_core.ports import (
    Clock,
    RenderedMessage,
    TemplateRenderer,
    UnitOfWork,
    UnitOfWorkFactory,
)
from rocket_core.services.base import Service
from rocket_core.services.checks import by_id
from rocket_core.services.families import _family_campuses as family_campuses
from rocket_core.services.families import _pick as pick_campus

K = NotificationKind

_COMMON = ("school_name", "contact_name")
_CLASS = ("child_name", "program_name", "cohort_name", "campus_name")

#: The variables each kind's templates may use (all of them are always given; some may be
#: empty strings, e.g. ``child_name`` of a manual invoice). ``school_name`` is the
#: organisation's name; ``contact_name`` the name the message is addressed to (the family's
#: primary contact, or the staff member); ``child_name`` the child's first (or preferred)
#: name, several joined with "and"; dates are written "Monday 2 February 2026", times
#: "4:00 pm" in the campus's time zone, money "$1,234.50".
KIND_VARIABLES: dict[NotificationKind, tuple[str, ...]] = {
    K.ENROLMENT_CONFIRMED: (*_COMMON, *_CLASS, "start_date"),
    K.INVOICE_ISSUED: (
        *_COMMON,
        "invoice_number",
        "total",
        "due_date",
        "child_name",
        "cohort_name",
    ),
    K.INVOICE_OVERDUE: (
        *_COMMON,
        "invoice_number",
        "amount_outstanding",
        "due_date",
        "child_name",
        "cohort_name",
    ),
    K.CHILD_ABSENT: (*_COMMON, *_CLASS, "session_date", "session_time"),
    K.SESSION_CANCELLED: (*_COMMON, *_CLASS, "session_date", "session_time", "reason"),
    K.WAITLIST_OFFER: (*_COMMON, *_CLASS, "start_date", "offer_expires"),
    K.NEW_MESSAGE: (*_COMMON, "sender_name", "message_subject", "message_preview"),
}

_SAMPLE_CLASS = {
    "child_name": "Kim",
    "program_name": "Scratch Basics",
    "cohort_name": "Scratch Basics - Term 1 Mon",
    "campus_name": "Werribee",
}

#: Example values of every kind's variables: ``check_templates`` renders each kind with them
#: (and tests and template editors can preview with them).
SAMPLE_VARIABLES: dict[NotificationKind, dict[str, str]] = {
    K.ENROLMENT_CONFIRMED: {
        "school_name": "Rocket Academy",
        "contact_name": "Mai Nguyen",
        **_SAMPLE_CLASS,
        "start_date": "Monday 2 February 2026",
    },
    K.INVOICE_ISSUED: {
        "school_name": "Rocket Academy",
        "contact_name": "Mai Nguyen",
        "invoice_number": "INV-2026-000042",
        "total": "$1,234.50",
        "due_date": "Monday 2 February 2026",
        "child_name": "Kim",
        "cohort_name": "Scratch Basics - Term 1 Mon",
    },
    K.INVOICE_OVERDUE: {
        "school_name": "Rocket Academy",
        "contact_name": "Mai Nguyen",
        "invoice_number": "INV-2026-000042",
        "amount_outstanding": "$352.00",
        "due_date": "Monday 2 February 2026",
        "child_name": "Kim",
        "cohort_name": "Scratch Basics - Term 1 Mon",
    },
    K.CHILD_ABSENT: {
        "school_name": "Rocket Academy",
        "contact_name": "Mai Nguyen",
        **_SAMPLE_CLASS,
        "session_date": "Monday 9 February 2026",
        "session_time": "4:00 pm",
    },
    K.SESSION_CANCELLED: {
        "school_name": "Rocket Academy",
        "contact_name": "Mai Nguyen",
        **_SAMPLE_CLASS,
        "child_name": "Kim and An",
        "session_date": "Monday 9 February 2026",
        "session_time": "4:00 pm",
        "reason": "Our instructor is unwell",
    },
    K.WAITLIST_OFFER: {
        "school_name": "Rocket Academy",
        "contact_name": "Mai Nguyen",
        **_SAMPLE_CLASS,
        "start_date": "Monday 2 February 2026",
        "offer_expires": "9:00 am on Wednesday 21 January 2026",
    },
    K.NEW_MESSAGE: {
        "school_name": "Rocket Academy",
        "contact_name": "Mai Nguyen",
        "sender_name": "Linus Staff",
        "message_subject": "Kim's robot project",
        "message_preview": "Kim built a line-following robot today and explained it to the class.",
    },
}

#: How much of a message's body a new_message notification quotes.
PREVIEW_LENGTH = 300

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    """``$1,234.50`` (``-$30.00`` when negative), rounded half up to the cent."""
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def long_date(day: date) -> str:
    """``Monday 2 February 2026`` (no locale involved)."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def clock_time(moment: time) -> str:
    """``4:00 pm``, ``12:30 pm``, ``9:05 am``."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def local_moment(instant: datetime, timezone: str) -> str:
    """``9:00 am on Wednesday 21 January 2026`` in ``timezone``."""
    local = instant.astimezone(ZoneInfo(timezone))
    return f"{clock_time(local.time())} on {long_date(local.date())}"


def names(children: Iterable[Student]) -> str:
    """Children's first (or preferred) names: ``Kim``, ``Kim and An``, ``Kim, An and Sam``."""
    first = [child.preferred_name or child.first_name for child in children]
    if len(first) <= 1:
        return "".join(first)
    return f"{', '.join(first[:-1])} and {first[-1]}"


def dedupe_key(kind: NotificationKind, entity_id: UUID, family_id: UUID | None = None) -> str:
    """The outbox's idempotency key: ``"<kind>:<entity id>[:<family id>]"``."""
    key = f"{kind.value}:{entity_id}"
    return key if family_id is None else f"{key}:{family_id}"


@attrs.frozen(kw_only=True)
class KindSetting:
    """Whether a family receives one kind of notification, and whether it may switch it off."""

    kind: NotificationKind
    enabled: bool
    critical: bool


@attrs.frozen(kw_only=True)
class NotificationSettings:
    """A family's notification settings: every kind (in ``NotificationKind`` order) and the
    undeliverable flag (set by a bounce, cleared by staff or a new primary e-mail)."""

    family_id: UUID
    kinds: tuple[KindSetting, ...]
    undeliverable_at: datetime | None
    undeliverable_reason: str | None

    @property
    def is_undeliverable(self) -> bool:
        """Mail to the family bounced: nothing is sent until the flag is cleared."""
        return self.undeliverable_at is not None


def notification_settings(family: Family) -> NotificationSettings:
    """The notification settings of ``family`` as it is now."""
    return NotificationSettings(
        family_id=family.id,
        kinds=tuple(
            KindSetting(kind=kind, enabled=family.wants(kind), critical=kind.is_critical)
            for kind in K
        ),
        undeliverable_at=family.undeliverable_at,
        undeliverable_reason=family.undeliverable_reason,
    )


class NotificationService(Service):
    """Queues notifications in the transactions of other use cases, and the families'
    notification settings (see the module docstring)."""

    #: The events this service handles in their transactions.
    HANDLED: tuple[type[DomainEvent], ...] = (
        EnrolmentConfirmed,
        InvoiceIssued,
        InvoiceOverdue,
        StudentMarkedAbsent,
        AbsenceCleared,
        SessionCancelled,
        SeatOffered,
        MessageSent,
    )

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus,
        renderer: TemplateRenderer,
    ) -> None:
        super().__init__(make_uow, clock, bus)
        self.renderer = renderer

    # -- the handlers -----------------------------------------------------------------------

    def subscribe(self) -> None:
        """Queue notifications for the events of ``HANDLED`` in the transactions that record
        them (call once, when wiring the application)."""
        for event_type in self.HANDLED:
            self.bus.subscribe_in_transaction(event_type, self.handle_all)

    def handle_all(self, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        """The in-transaction handler: ``handle`` each event; the invoices of a batch (term
        invoicing) together, with a few queries for all of them."""
        issued = [event for event in events if isinstance(event, InvoiceIssued)]
        if len(issued) > 1:
            self._invoices_issued(uow, issued)
        for event in events:
            if len(issued) <= 1 or not isinstance(event, InvoiceIssued):
                self.handle(uow, event)

    def handle(self, uow: UnitOfWork, event: DomainEvent) -> None:
        """The in-transaction handler: queue (or withdraw) what ``event`` calls for, in
        ``uow``. Running it twice on the same event changes nothing more."""
        if isinstance(event, EnrolmentConfirmed):
            self._enrolment_confirmed(uow, event)
        elif isinstance(event, InvoiceIssued):
            self._invoice_issued(uow, event)
        elif isinstance(event, InvoiceOverdue):
            self._invoice_overdue(uow, event)
        elif isinstance(event, StudentMarkedAbsent):
            self._child_absent(uow, event)
        elif isinstance(event, AbsenceCleared):
            self._absence_cleared(uow, event)
        elif isinstance(event, SessionCancelled):
            self._session_cancelled(uow, event)
        elif isinstance(event, SeatOffered):
            self._seat_offered(uow, event)
        elif isinstance(event, MessageSent):
            self._message_sent(uow, event)

    def _enrolment_confirmed(self, uow: UnitOfWork, event: EnrolmentConfirmed) -> None:
        kind, family = K.ENROLMENT_CONFIRMED, uow.families.get(event.family_id)
        key = dedupe_key(kind, event.enrolment_id)
        if not _wanted(uow, kind, key, family):
            return
        enrolment = uow.enrolments.get(event.enrolment_id)
        place = _Place.of(uow, enrolment.cohort_id)
        start = enrolment.start_date or place.cohort.start_date
        values = place.values([uow.students.get(enrolment.student_id)])
        self._add(uow, kind, key, {**values, "start_date": long_date(start)}, family=family)

    def _invoice_issued(self, uow: UnitOfWork, event: InvoiceIssued) -> None:
        details = {
            "invoice_number": event.invoice_number,
            "total": money(event.total_amount),
            "due_date": long_date(event.due_date),
        }
        self._invoice(uow, K.INVOICE_ISSUED, event.invoice_id, event.family_id, details, event)

    def _invoices_issued(self, uow: UnitOfWork, events: Sequence[InvoiceIssued]) -> None:
        """``_invoice_issued`` for many invoices: what they need is loaded in bulk and the
        rows are queued together."""
        kind = K.INVOICE_ISSUED
        keys = {event.invoice_id: dedupe_key(kind, event.invoice_id) for event in events}
        queued = uow.notifications.existing_keys(keys.values())
        todo = [event for event in events if keys[event.invoice_id] not in queued]
        families = by_id(uow.families.find_many({event.family_id for event in todo}))
        enrolments = by_id(
            uow.enrolments.find_many({e.enrolment_id for e in todo if e.enrolment_id is not None})
        )
        students = by_id(uow.students.find_many({e.student_id for e in enrolments.values()}))
        cohorts = by_id(uow.cohorts.find_many({e.cohort_id for e in enrolments.values()}))
        school = uow.organisations.current().name
        rows: list[Notification] = []
        for event in todo:
            family = families[event.family_id]
            if not family.wants(kind):
                continue
            enrolment = None if event.enrolment_id is None else enrolments.get(event.enrolment_id)
            student = None if enrolment is None else students.get(enrolment.student_id)
            cohort = None if enrolment is None else cohorts.get(enrolment.cohort_id)
            values = {
                "invoice_number": event.invoice_number,
                "total": money(event.total_amount),
                "due_date": long_date(event.due_date),
                "child_name": "" if student is None else names([student]),
                "cohort_name": "" if cohort is None else cohort.name,
            }
            rows.append(
                self._notification(
                    uow, kind, keys[event.invoice_id], values, family=family, school=school
                )
            )
        uow.notifications.add_many(rows)

    def _invoice_overdue(self, uow: UnitOfWork, event: InvoiceOverdue) -> None:
        details = {
            "invoice_number": event.invoice_number,
            "amount_outstanding": money(event.amount_outstanding),
            "due_date": long_date(event.due_date),
        }
        self._invoice(uow, K.INVOICE_OVERDUE, event.invoice_id, event.family_id, details, event)

    def _invoice(
        self,
        uow: UnitOfWork,
        kind: NotificationKind,
        invoice_id: UUID,
        family_id: UUID,
        details: dict[str, str],
        event: InvoiceIssued | InvoiceOverdue,
    ) -> None:
        family = uow.families.get(family_id)
        key = dedupe_key(kind, invoice_id)
        if not _wanted(uow, kind, key, family):
            return
        if isinstance(event, InvoiceIssued):  # term invoicing writes invoices in bulk: no load
            enrolment_id = event.enrolment_id
        else:
            invoice = uow.invoices.find(invoice_id)
            enrolment_id = None if invoice is None else invoice.enrolment_id
        child_name = cohort_name = ""
        enrolment = None if enrolment_id is None else uow.enrolments.find(enrolment_id)
        if enrolment is not None:
            student = uow.students.find(enrolment.student_id)
            cohort = uow.cohorts.find(enrolment.cohort_id)
            child_name = "" if student is None else names([student])
            cohort_name = "" if cohort is None else cohort.name
        values = {**details, "child_name": child_name, "cohort_name": cohort_name}
        self._add(uow, kind, key, values, family=family)

    def _child_absent(self, uow: UnitOfWork, event: StudentMarkedAbsent) -> None:
        kind, family = K.CHILD_ABSENT, uow.families.get(event.family_id)
        if not family.wants(kind):
            return
        key = dedupe_key(kind, event.attendance_id)
        queued = uow.notifications.find_by_dedupe_key(key)
        if queued is not None and queued.status is not NotificationStatus.CANCELLED:
            return  # already queued (or already sent: one alert per absence)
        session = uow.sessions.get(event.session_id)
        place = _Place.of(uow, session.cohort_id)
        delay = uow.organisations.current().settings.absence_alert_delay_minutes
        due_at = event.session_end + timedelta(minutes=delay)
        values = {
            **place.values([uow.students.get(event.student_id)]),
            "session_date": long_date(session.scheduled_date),
            "session_time": clock_time(session.scheduled_start_time),
        }
        if queued is None:
            self._add(uow, kind, key, values, family=family, due_at=due_at)
            return
        # Marked absent again after the alert was withdrawn: the same row goes back in the
        # queue, with today's words and a new due time.
        rendered = self._render(uow, kind, values, family.primary_contact_name)
        queued.update(
            status=NotificationStatus.QUEUED,
            subject=rendered.subject,
            body=rendered.text_body,
            html_body=rendered.html_body,
            due_at=due_at,
            last_error=None,
            claimed_until=None,
        )

    def _absence_cleared(self, uow: UnitOfWork, event: AbsenceCleared) -> None:
        queued = uow.notifications.find_by_dedupe_key(
            dedupe_key(K.CHILD_ABSENT, event.attendance_id)
        )
        if queued is not None:  # cancel is a no-op once it went out
            queued.cancel("the absence was cleared before the alert went out")

    def _session_cancelled(self, uow: UnitOfWork, event: SessionCancelled) -> None:
        kind = K.SESSION_CANCELLED
        session = uow.sessions.get(event.session_id)
        student_ids: dict[UUID, None] = {}  # ordered, without repeats
        for enrolment in uow.enrolments.list_for_cohort(
            event.cohort_id, statuses=SEAT_HOLDING_STATES
        ):
            if enrolment.start_date is None or enrolment.start_date <= session.scheduled_date:
                student_ids[enrolment.student_id] = None
        for trial in uow.enrolments.list_trials_for_session(session.id):
            if trial.status is EnrolmentStatus.TRIAL:
                student_ids[trial.student_id] = None
        for token in uow.makeup_tokens.list_redeemed_for_session(session.id):
            student_ids[token.student_id] = None
        if not student_ids:
            return
        children: dict[UUID, list[Student]] = {}
        for student in sorted(uow.students.find_many(student_ids), key=_child_order):
            children.setdefault(student.family_id, []).append(student)
        place = _Place.of(uow, session.cohort_id)
        common = {
            "session_date": long_date(session.scheduled_date),
            "session_time": clock_time(session.scheduled_start_time),
            "reason": event.reason,
        }
        families = sorted(uow.families.find_many(children), key=lambda f: (f.display_name, f.id))
        for family in families:
            key = dedupe_key(kind, session.id, family.id)
            if _wanted(uow, kind, key, family):
                values = {**place.values(children[family.id]), **common}
                self._add(uow, kind, key, values, family=family)

    def _seat_offered(self, uow: UnitOfWork, event: SeatOffered) -> None:
        kind, family = K.WAITLIST_OFFER, uow.families.get(event.family_id)
        key = dedupe_key(kind, event.enrolment_id)
        if not _wanted(uow, kind, key, family):
            return
        enrolment = uow.enrolments.get(event.enrolment_id)
        place = _Place.of(uow, event.cohort_id)
        values = {
            **place.values([uow.students.get(event.student_id)]),
            "start_date": long_date(enrolment.start_date or place.cohort.start_date),
            "offer_expires": local_moment(event.expires_at, place.campus.timezone),
        }
        self._add(uow, kind, key, values, family=family)

    def _message_sent(self, uow: UnitOfWork, event: MessageSent) -> None:
        kind = K.NEW_MESSAGE
        key = dedupe_key(kind, event.message_id)
        message = uow.messages.get(event.message_id)
        family: Family | None = None
        staff: Staff | None = None
        if event.recipient_family_id is not None:
            family = uow.families.get(event.recipient_family_id)
            if message.sender_family_id == family.id:
                return  # never tell the sender about their own message
        elif event.recipient_staff_id is not None:
            staff = uow.staff.get(event.recipient_staff_id)
            if message.sender_staff_id == staff.id or not staff.is_active:
                return
        else:
            return
        if not _wanted(uow, kind, key, family):
            return
        if message.sender_type is ParticipantType.STAFF and message.sender_staff_id is not None:
            sender_name = uow.staff.get(message.sender_staff_id).full_name
        elif message.sender_family_id is not None:
            sender_name = uow.families.get(message.sender_family_id).primary_contact_name
        else:  # pragma: no cover - Message requires one sender
            sender_name = ""
        values = {
            "sender_name": sender_name,
            "message_subject": message.subject,
            "message_preview": preview(message.body),
        }
        self._add(uow, kind, key, values, family=family, staff=staff)

    # -- writing rows -----------------------------------------------------------------------

    def _add(
        self,
        uow: UnitOfWork,
        kind: NotificationKind,
        key: str,
        values: Mapping[str, str],
        *,
        family: Family | None = None,
        staff: Staff | None = None,
        due_at: datetime | None = None,
    ) -> Notification:
        """Render and queue one notification to ``family`` or ``staff``."""
        notification = self._notification(
            uow, kind, key, values, family=family, staff=staff, due_at=due_at
        )
        uow.notifications.add(notification)
        return notification

    def _notification(
        self,
        uow: UnitOfWork,
        kind: NotificationKind,
        key: str,
        values: Mapping[str, str],
        *,
        family: Family | None = None,
        staff: Staff | None = None,
        due_at: datetime | None = None,
        school: str | None = None,
    ) -> Notification:
        """One rendered notification to ``family`` or ``staff`` (not queued yet)."""
        contact = family.primary_contact_name if family is not None else _staff_name(staff)
        rendered = self._render(uow, kind, values, contact, school)
        now = self.clock.now()
        return Notification(
            organisation_id=uow.organisation_id,
            recipient_family_id=None if family is None else family.id,
            recipient_staff_id=None if staff is None else staff.id,
            template_name=kind.value,
            subject=rendered.subject,
            body=rendered.text_body,
            html_body=rendered.html_body,
            dedupe_key=key,
            created_at=now,
            due_at=now if due_at is None else due_at,
        )

    def _render(
        self,
        uow: UnitOfWork,
        kind: NotificationKind,
        values: Mapping[str, str],
        contact: str,
        school: str | None = None,
    ) -> RenderedMessage:
        """The kind's templates with the school's name, the recipient's and ``values``."""
        variables = {
            "school_name": school if school is not None else uow.organisations.current().name,
            "contact_name": contact,
            **values,
        }
        if sorted(variables) != sorted(KIND_VARIABLES[kind]):  # a bug here, not in a template
            raise RuntimeError(f"{kind.value} given {sorted(variables)}")
        rendered = self.renderer.render(kind, variables)
        return RenderedMessage(
            subject=rendered.subject[:200],
            text_body=rendered.text_body,
            html_body=rendered.html_body,
        )

    # -- use cases --------------------------------------------------------------------------

    def set_preferences(
        self, actor: Actor, family_id: UUID, opt_outs: Iterable[NotificationKind | str]
    ) -> Family:
        """Switch off exactly the kinds of ``opt_outs`` for a family (the others are on).

        Critical kinds cannot be switched off, and unknown kinds are refused (ValidationError
        "Family.notification_opt_outs"). ``Action.MANAGE_ENROLMENTS`` in the family's scope.
        Changing nothing writes nothing.
        """
        wanted = _opt_outs(opt_outs)
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            _authorise_family(uow, actor, family, Action.MANAGE_ENROLMENTS)
            before = family.notification_opt_outs
            if wanted != before:
                family.update(notification_opt_outs=wanted)
                off = ", ".join(sorted(k.value for k in wanted)) or "none"
                self.audit(
                    uow,
                    actor,
                    "family.notification_preferences",
                    family,
                    f"Family {family.display_name} notifications switched off: {off}",
                    {
                        "notification_opt_outs": [
                            sorted(k.value for k in before),
                            sorted(k.value for k in wanted),
                        ]
                    },
                )
        return family

    def clear_undeliverable(self, actor: Actor, family_id: UUID) -> Family:
        """Send to the family again after a bounce (the address was checked or fixed):
        ``Action.MANAGE_ENROLMENTS`` in the family's scope. A family that is not flagged is
        left as it is."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            _authorise_family(uow, actor, family, Action.MANAGE_ENROLMENTS)
            if family.is_undeliverable:
                at, reason = family.undeliverable_at, family.undeliverable_reason
                family.clear_undeliverable()
                self.audit(
                    uow,
                    actor,
                    "family.clear_undeliverable",
                    family,
                    f"Family {family.display_name} may be sent notifications again",
                    {"undeliverable_at": [at, None], "undeliverable_reason": [reason, None]},
                )
        return family

    def list_for_family(
        self,
        actor: Actor,
        family_id: UUID,
        status: NotificationStatus | str | None = None,
    ) -> list[Notification]:
        """Every notification to a family, oldest first, whatever its status unless
        ``status`` names one (``Action.VIEW_ROSTER`` in the family's scope)."""
        wanted = None if status is None else _notification_status(status)
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            _authorise_family(uow, actor, family, Action.VIEW_ROSTER)
            found = uow.notifications.list_for_family(family.id)
            return found if wanted is None else [n for n in found if n.status is wanted]

    def settings(self, actor: Actor, family_id: UUID) -> NotificationSettings:
        """A family's notification settings: every kind on or off (critical kinds always
        on) and whether mail to it bounced (``Action.VIEW_ROSTER`` in the family's scope, as
        for its notifications)."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            _authorise_family(uow, actor, family, Action.VIEW_ROSTER)
            return notification_settings(family)

    def check_templates(self) -> dict[NotificationKind, RenderedMessage]:
        """Render every kind with ``SAMPLE_VARIABLES`` (after staff edited the templates);
        raises the renderer's ValidationError naming the first broken template."""
        return {kind: self.renderer.render(kind, SAMPLE_VARIABLES[kind]) for kind in K}


@attrs.frozen
class _Place:
    """Where a class happens: the cohort, its program and campus."""

    cohort: Cohort
    program: Program
    campus: Campus

    @classmethod
    def of(cls, uow: UnitOfWork, cohort_id: UUID) -> _Place:
        cohort = uow.cohorts.get(cohort_id)
        program = uow.programs.get(cohort.program_id)
        return cls(cohort=cohort, program=program, campus=uow.campuses.get(cohort.campus_id))

    def values(self, children: Iterable[Student]) -> dict[str, str]:
        """The class variables (child, program, cohort and campus names)."""
        return {
            "child_name": names(children),
            "program_name": self.program.name,
            "cohort_name": self.cohort.name,
            "campus_name": self.campus.name,
        }


def preview(body: str) -> str:
    """The start of a message's body, at most ``PREVIEW_LENGTH`` characters (cut with "…")."""
    text = body.strip()
    if len(text) <= PREVIEW_LENGTH:
        return text
    return text[: PREVIEW_LENGTH - 1].rstrip() + "…"


def _wanted(uow: UnitOfWork, kind: NotificationKind, key: str, family: Family | None) -> bool:
    """Whether to queue: the family (if any) wants the kind, and nothing is queued under
    ``key`` yet."""
    if family is not None and not family.wants(kind):
        return False
    return uow.notifications.find_by_dedupe_key(key) is None


def _staff_name(staff: Staff | None) -> str:
    if staff is None:  # pragma: no cover - _add is given a family or a staff member
        raise ValueError("a notification needs a recipient")
    return staff.full_name


def _child_order(student: Student) -> tuple[str, str, str]:
    return (*student.sort_key, str(student.id))


def _notification_status(value: NotificationStatus | str) -> NotificationStatus:
    try:
        return NotificationStatus(value)
    except ValueError:
        raise ValidationError(
            "status", f"{value!r} is not one of {', '.join(NotificationStatus)}"
        ) from None


def _opt_outs(values: Iterable[NotificationKind | str]) -> frozenset[NotificationKind]:
    """The kinds asked to be switched off; unknown or critical ones are refused."""
    field = "Family.notification_opt_outs"
    kinds = set()
    for value in values:
        try:
            kinds.add(NotificationKind(value))
        except ValueError:
            raise ValidationError(
                field, f"{value!r} is not a notification kind: {', '.join(K)}"
            ) from None
    critical = sorted(kind.value for kind in kinds if kind.is_critical)
    if critical:
        raise ValidationError(field, f"cannot switch off critical kinds: {', '.join(critical)}")
    return frozenset(kinds)


def _authorise_family(uow: UnitOfWork, actor: Actor, family: Family, action: Action) -> None:
    """The family scope of ``rocket_core.services.families`` (its module docstring): all for
    a super admin; a campus role at a campus where a child of the family has a live
    enrolment, or at any of theirs when no child has one; never an ``own`` role (a family is
    not a cohort)."""
    if actor.grant(action).scope is not Scope.CAMPUS:
        authorise(actor, action)
        return
    campuses = family_campuses(uow, family.id) or actor.campus_ids
    authorise(actor, action, campus_id=pick_campus(campuses, actor.campus_ids))


__all__ = [
    "KIND_VARIABLES",
    "PREVIEW_LENGTH",
    "SAMPLE_VARIABLES",
    "KindSetting",
    "NotificationService",
    "NotificationSettings",
    "clock_time",
    "dedupe_key",
    "local_moment",
    "long_date",
    "money",
    "names",
    "notification_settings",
    "preview",
]
