"""Enrolments and their journey (enquiry, trial, payment, start, completion, withdrawal,
transfer), a cohort's waitlist and open offers, and its capacity.

Each transition is a POST action on the enrolment answering 200 with the enrolment as it now
is; the rulebook refuses a transition its status does not allow (409). Who may do what is
the enrolment use cases' business (EnrolmentService).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import attrs
from litestar import get, post
from litestar.params import Parameter

from rocket_core.model import Cohort, CohortStatus, EnrolmentStatus
from rocket_core.permissions import Actor
from rocket_core.services.base import actor_for
from rocket_core.services.enrolment import EnrolmentService, EnrolmentView
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page

STAFF = {"access": "staff"}
TAGS = ["enrolments"]

#: ``?status=``: keep these statuses (repeat the parameter for several).
Statuses = Annotated[
    list[EnrolmentStatus] | None,
    Parameter(description="only these statuses (repeat for several)"),
]


@attrs.frozen
class EnrolmentOut:
    """An enrolment, with its student's and cohort's names (fees are billing's)."""

    id: UUID
    student_id: UUID
    student_name: str
    cohort_id: UUID
    cohort_name: str
    campus_id: UUID
    status: EnrolmentStatus
    enrolment_date: datetime
    start_date: date | None
    end_date: date | None
    is_trial: bool
    trial_session_id: UUID | None
    withdrawal_date: date | None
    withdrawal_reason: str | None
    makeup_tokens: int
    is_waitlist: bool
    waitlist_position: int | None
    offer_expires_at: datetime | None
    transferred_to_id: UUID | None
    created_at: datetime
    version: int


@attrs.frozen
class EnquiryIn:
    """A family's enquiry for a student in a cohort (no seat yet). A student outside the
    program's age range needs ``override_age`` with a reason (recorded in the audit)."""

    student_id: UUID
    cohort_id: UUID
    override_age: bool = False
    override_reason: str | None = None


@attrs.frozen
class TrialIn:
    """The session of the enrolment's cohort the student tries."""

    session_id: UUID


@attrs.frozen
class DayIn:
    """The day of a start or completion (default: today at the campus)."""

    on: date | None = None


@attrs.frozen
class WithdrawIn:
    """A withdrawal: the day and the reason. Front desk names the manager who approved it."""

    on: date
    reason: str
    approved_by_staff_id: UUID | None = None


@attrs.frozen
class TransferIn:
    """A transfer of an active enrolment into another cohort on a day."""

    target_cohort_id: UUID
    on: date
    override_age: bool = False
    override_reason: str | None = None


@attrs.frozen
class TransferOut:
    """The old enrolment (now transferred), the new one and how many makeup tokens moved."""

    old: EnrolmentOut
    new: EnrolmentOut
    carried_tokens: int


@attrs.frozen
class CapacityIn:
    """A cohort's new number of seats (never below its seat-holders)."""

    max_capacity: int


@attrs.frozen
class CohortSeatsOut:
    """A cohort's seats after a capacity change (freed seats went to the waitlist)."""

    id: UUID
    name: str
    status: CohortStatus
    max_capacity: int
    current_enrolments: int
    seats_free: int


def _out(view: EnrolmentView) -> EnrolmentOut:
    enrolment = view.enrolment
    return EnrolmentOut(
        student_name=view.student_name,
        cohort_name=view.cohort_name,
        campus_id=view.campus_id,
        **{
            field.name: getattr(enrolment, field.name)
            for field in attrs.fields(EnrolmentOut)
            if field.name not in ("student_name", "cohort_name", "campus_id")
        },
    )


def _seats(cohort: Cohort) -> CohortSeatsOut:
    return CohortSeatsOut(
        id=cohort.id,
        name=cohort.name,
        status=cohort.status,
        max_capacity=cohort.max_capacity,
        current_enrolments=cohort.current_enrolments,
        seats_free=cohort.seats_free,
    )


def _now(actor: Actor, enrolment: EnrolmentService, enrolment_id: UUID) -> EnrolmentOut:
    """The enrolment as it is after a transition."""
    return _out(enrolment.enrolment(actor, enrolment_id))


# -- reading ------------------------------------------------------------------------------


@get("/enrolments", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_enrolments(
    actor: Actor,
    enrolment: EnrolmentService,
    cohort_id: UUID | None = None,
    campus_id: UUID | None = None,
    student_id: UUID | None = None,
    status: Statuses = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EnrolmentOut]:
    """Enrolments the reader may see, by cohort then arrival (a student's: by arrival);
    a cohort or campus outside the reader's scope is refused."""
    views = enrolment.list_enrolments(
        actor,
        cohort_id=cohort_id,
        campus_id=campus_id,
        student_id=student_id,
        statuses=status,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[_out(view) for view in views.items], total=views.total, limit=limit, offset=offset
    )


@get("/enrolments/{enrolment_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_enrolment(enrolment_id: UUID, actor: Actor, enrolment: EnrolmentService) -> EnrolmentOut:
    """One enrolment."""
    return _now(actor, enrolment, enrolment_id)


@get("/cohorts/{cohort_id:uuid}/waitlist", opt=STAFF, sync_to_thread=True, tags=TAGS)
def waitlist(
    cohort_id: UUID,
    actor: Actor,
    enrolment: EnrolmentService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EnrolmentOut]:
    """The cohort's waitlist, next to be offered a seat first."""
    return page([_out(view) for view in enrolment.waitlist(actor, cohort_id)], limit, offset)


@get("/cohorts/{cohort_id:uuid}/offers", opt=STAFF, sync_to_thread=True, tags=TAGS)
def offers(
    cohort_id: UUID,
    actor: Actor,
    enrolment: EnrolmentService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EnrolmentOut]:
    """The cohort's open waitlist offers (seats held until ``offer_expires_at`` unless paid),
    the soonest deadline first."""
    return page([_out(view) for view in enrolment.offers(actor, cohort_id)], limit, offset)


# -- the journey --------------------------------------------------------------------------


@post("/enrolments", opt=STAFF, sync_to_thread=True, tags=TAGS)
def enquire(data: EnquiryIn, actor: Actor, enrolment: EnrolmentService) -> EnrolmentOut:
    """Record an enquiry for a student in a cohort."""
    created = enrolment.enquire(
        actor,
        data.student_id,
        data.cohort_id,
        override_age=data.override_age,
        override_reason=data.override_reason,
    )
    return _now(actor, enrolment, created.id)


@post(
    "/enrolments/{enrolment_id:uuid}/trial",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def book_trial(
    enrolment_id: UUID, data: TrialIn, actor: Actor, enrolment: EnrolmentService
) -> EnrolmentOut:
    """enquiry -> trial: book one future session of the cohort with a free chair."""
    enrolment.book_trial(actor, enrolment_id, data.session_id)
    return _now(actor, enrolment, enrolment_id)


@post(
    "/enrolments/{enrolment_id:uuid}/request-payment",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def request_payment(enrolment_id: UUID, actor: Actor, enrolment: EnrolmentService) -> EnrolmentOut:
    """enquiry -> pending_payment (a seat and an invoice), or onto the waitlist when full."""
    enrolment.request_payment(actor, enrolment_id)
    return _now(actor, enrolment, enrolment_id)


@post(
    "/enrolments/{enrolment_id:uuid}/convert-trial",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def convert_trial(enrolment_id: UUID, actor: Actor, enrolment: EnrolmentService) -> EnrolmentOut:
    """trial -> pending_payment (a seat and an invoice), or onto the waitlist when full."""
    enrolment.convert_trial(actor, enrolment_id)
    return _now(actor, enrolment, enrolment_id)


@post(
    "/enrolments/{enrolment_id:uuid}/payment-received",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def payment_received(enrolment_id: UUID, actor: Actor, enrolment: EnrolmentService) -> EnrolmentOut:
    """pending_payment -> enrolled: confirm the enrolment (the family is told)."""
    enrolment.payment_received(actor, enrolment_id)
    return _now(actor, enrolment, enrolment_id)


@post(
    "/enrolments/{enrolment_id:uuid}/start",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def start(
    enrolment_id: UUID, data: DayIn, actor: Actor, enrolment: EnrolmentService
) -> EnrolmentOut:
    """enrolled -> active on a day within the cohort's dates (late joiners)."""
    enrolment.start(actor, enrolment_id, data.on)
    return _now(actor, enrolment, enrolment_id)


@post(
    "/enrolments/{enrolment_id:uuid}/complete",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def complete(
    enrolment_id: UUID, data: DayIn, actor: Actor, enrolment: EnrolmentService
) -> EnrolmentOut:
    """active -> completed, not before the cohort's end date."""
    enrolment.complete(actor, enrolment_id, data.on)
    return _now(actor, enrolment, enrolment_id)


@post(
    "/enrolments/{enrolment_id:uuid}/withdraw",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def withdraw(
    enrolment_id: UUID, data: WithdrawIn, actor: Actor, enrolment: EnrolmentService
) -> EnrolmentOut:
    """Any live status -> dropped on a day for a reason; a freed seat goes to the waitlist."""
    approver = None
    if data.approved_by_staff_id is not None:
        approver = actor_for(enrolment.make_uow, actor.organisation_id, data.approved_by_staff_id)
    enrolment.drop(actor, enrolment_id, on=data.on, reason=data.reason, approver=approver)
    return _now(actor, enrolment, enrolment_id)


@post(
    "/enrolments/{enrolment_id:uuid}/transfer",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def transfer(
    enrolment_id: UUID, data: TransferIn, actor: Actor, enrolment: EnrolmentService
) -> TransferOut:
    """active -> transferred into a new enrolment in another cohort (which must have a free
    seat); unused makeup tokens move with the student."""
    moved = enrolment.transfer(
        actor,
        enrolment_id,
        data.target_cohort_id,
        on=data.on,
        override_age=data.override_age,
        override_reason=data.override_reason,
    )
    return TransferOut(
        old=_now(actor, enrolment, moved.old.id),
        new=_now(actor, enrolment, moved.new.id),
        carried_tokens=moved.carried_tokens,
    )


@post(
    "/cohorts/{cohort_id:uuid}/capacity",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def change_capacity(
    cohort_id: UUID, data: CapacityIn, actor: Actor, enrolment: EnrolmentService
) -> CohortSeatsOut:
    """Raise or lower a cohort's seats (never below its seat-holders); seats a raise frees
    are offered to the waitlist in order."""
    return _seats(enrolment.change_capacity(actor, cohort_id, data.max_capacity))


ROUTES = [
    list_enrolments,
    get_enrolment,
    waitlist,
    offers,
    enquire,
    book_trial,
    request_payment,
    convert_trial,
    payment_received,
    start,
    complete,
    withdraw,
    transfer,
    change_capacity,
]
