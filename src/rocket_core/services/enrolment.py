"""Enrolment use cases: the journey from enquiry to its end, seats and the waitlist.

Permissions: "create / approve enrolment" (``MANAGE_ENROLMENTS``) unless a use case says
otherwise; withdrawals need ``WITHDRAW_STUDENT`` (front desk with a manager's approval),
transfers ``TRANSFER_STUDENT`` at both campuses, capacity changes ``MANAGE_COHORTS``.

Concurrency: every use case that counts or changes a cohort's seats locks the cohort with
``uow.cohorts.get_for_update`` before it reads anything else in its transaction (an
enrolment's cohort never changes, so it is looked up beforehand in a read-only unit of work);
several cohorts are locked in the order of their ids.

Decisions where the rules are silent:

- **Cohorts that take enquiries**: open, full (the request will wait on the waitlist) and in
  progress (a late joiner; billing prorates). Draft, completed and cancelled cohorts do not.
  A deactivated student or family cannot enquire.
- **Age** is the student's age on the cohort's start date against the program's range; outside
  it is refused unless ``override_age=True`` with a reason, which the audit entry records.
- **A trial** books one scheduled session of the enrolment's cohort that has not started yet and
  has a free chair (trial visitors take a chair that day, like makeup visitors).
- **Payment received on an offer whose deadline passed** is accepted while the nightly job has
  not lapsed it yet: the seat is still held.
- **Start / complete by hand**: start on a day within the cohort's dates; complete on or after
  the cohort's end date (leaving earlier is a withdrawal). A completed seat is released but not
  offered to the waitlist: the course is over.
- **Withdrawal** frees the seat at once whatever the withdrawal date, and offers it on.
- **Transfer into a full cohort is refused** (Conflict): the student would otherwise be left
  without a class; enquire into the full cohort to wait on its waitlist instead. The new
  enrolment is paid by the one it replaces (billing adjusts the fees on the old enrolment's
  ``transfer`` status change): it goes straight to enrolled, and to active on the transfer date
  when the target cohort has started by then. It records no EnrolmentAwaitingPayment, so no
  second full invoice is raised. Available makeup tokens move with the student and become
  usable in the target cohort's program. The age rule applies to the target program.
- **Lapsed offers** are dropped with the reason "waitlist offer lapsed" by the nightly job
  (``lapse_offers``, no actor) and the seat goes to the next on the list.
- **Reading enrolments** (``enrolment``, ``list_enrolments``, ``waitlist``, ``offers``) is
  "view roster" over the enrolment's cohort: super admin; campus manager and front desk at the
  cohort's campus; lead instructor and assistant of the cohort. A list names the cohort or
  campus it is about (Forbidden outside the reader's scope) or else gives every enrolment the
  reader may see; a student filter keeps the student's enrolments the reader may see. Money
  (tuition overrides, discounts) is billing's, not part of what is read here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, Forbidden, InvalidTransition, ValidationError
from rocket_core.events import EnrolmentConfirmed
from rocket_core.model import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    Program,
    SessionStatus,
    Student,
    Trigger,
)
from rocket_core.permissions import Action, Actor, Scope, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.checks import by_id
from rocket_core.services.makeup import carry_tokens
from rocket_core.services.paging import Page, check_paging
from rocket_core.services.waitlist import (
    SeatChanges,
    awaiting_payment,
    family_of,
    join_waitlist,
    lapse_offer,
    offer_free_seats,
    places_free_at,
    release_seat,
    renumber,
    require_accepting,
)


@attrs.frozen(kw_only=True)
class Transfer:
    """A transfer: the old enrolment (now transferred) and the new one in the target cohort."""

    old: Enrolment
    new: Enrolment
    carried_tokens: int


@attrs.frozen(kw_only=True)
class EnrolmentView:
    """An enrolment as staff read it: with its student's and cohort's names and campus."""

    enrolment: Enrolment
    student_name: str
    cohort_name: str
    campus_id: UUID


@attrs.frozen(kw_only=True)
class OfferRun:
    """What a ``lapse_offers`` run did: the offers dropped and the seats offered on."""

    lapsed: tuple[Enrolment, ...] = ()
    offered: tuple[Enrolment, ...] = ()


class EnrolmentService(Service):
    """The enrolment journey (see the module docstring for the rules and decisions)."""

    # -- enquiry and trial ----------------------------------------------------------------

    def enquire(
        self,
        actor: Actor,
        student_id: UUID,
        cohort_id: UUID,
        *,
        override_age: bool = False,
        override_reason: str | None = None,
    ) -> Enrolment:
        """Record a family's enquiry for a student in a cohort (no seat is taken yet)."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            student = uow.students.get(student_id)
            authorise(
                actor, Action.MANAGE_ENROLMENTS, campus_id=cohort.campus_id, cohort_id=cohort.id
            )
            require_accepting(cohort)
            self._require_active(uow, student)
            self._require_not_enrolled(uow, student, cohort)
            program = uow.programs.get(cohort.program_id)
            age = _age_override(program, cohort, student, override_age, override_reason)
            now = self.clock.now()
            enrolment = Enrolment(
                organisation_id=uow.organisation_id,
                student_id=student.id,
                cohort_id=cohort.id,
                enrolment_date=now,
                created_at=now,
            )
            uow.enrolments.add(enrolment)
            changes: dict[str, Any] = {
                "status": enrolment.status,
                "student_id": student.id,
                "cohort_id": cohort.id,
            }
            if age is not None:
                changes["age_override"] = age
            self.audit(
                uow,
                actor,
                "enrolment.enquire",
                enrolment,
                f"enquiry for {student.display_name} in {cohort.name}"
                + (" (age range overridden)" if age is not None else ""),
                changes,
            )
        return enrolment

    def book_trial(self, actor: Actor, enrolment_id: UUID, session_id: UUID) -> Enrolment:
        """enquiry -> trial: book one future, scheduled session of the enrolment's cohort that
        has a free chair."""
        cohort_id = self._cohort_of(actor.organisation_id, enrolment_id)
        with self.transaction(actor) as uow:
            cohort, enrolment = self._locked(uow, cohort_id, enrolment_id)
            session = uow.sessions.get(session_id)
            self._authorise(actor, cohort)
            _allow(enrolment, Trigger.BOOK_TRIAL)
            require_accepting(cohort)
            field = "Enrolment.trial_session_id"
            if session.cohort_id != cohort.id:
                raise ValidationError(field, "must be a session of the enrolment's cohort")
            if session.status is not SessionStatus.SCHEDULED:
                raise ValidationError(
                    field, f"must be a scheduled session (this one is {session.status.value})"
                )
            timezone = uow.campuses.get(cohort.campus_id).timezone
            if session.starts_at(timezone) <= self.clock.now():
                raise ValidationError(field, "must be a session that has not started yet")
            if places_free_at(uow, cohort, session) <= 0:
                raise Conflict(
                    f"session {session.session_number} of {cohort.name!r} has no free seat"
                )
            before = enrolment.status
            enrolment.book_trial(session.id)
            self.audit(
                uow,
                actor,
                "enrolment.book_trial",
                enrolment,
                f"trial booked at session {session.session_number}"
                f" ({session.scheduled_date.isoformat()}) of {cohort.name}",
                {"status": [before, enrolment.status], "trial_session_id": session.id},
            )
        return enrolment

    # -- seats ----------------------------------------------------------------------------

    def request_payment(self, actor: Actor, enrolment_id: UUID) -> Enrolment:
        """enquiry -> pending_payment when a seat is free (EnrolmentAwaitingPayment: billing
        issues the invoice); in a full cohort the enquiry joins the waitlist instead."""
        return self._seat_or_waitlist(actor, enrolment_id, Trigger.REQUEST_PAYMENT)

    def convert_trial(self, actor: Actor, enrolment_id: UUID) -> Enrolment:
        """trial -> pending_payment when a seat is free; in a full cohort the trial joins the
        waitlist (it is converted when its offer comes)."""
        return self._seat_or_waitlist(actor, enrolment_id, Trigger.CONVERT_TRIAL)

    def payment_received(self, actor: Actor, enrolment_id: UUID) -> Enrolment:
        """pending_payment -> enrolled (EnrolmentConfirmed: the family is told)."""
        cohort_id = self._cohort_of(actor.organisation_id, enrolment_id)
        with self.transaction(actor) as uow:
            cohort, enrolment = self._locked(uow, cohort_id, enrolment_id)
            self._authorise(actor, cohort)
            self.confirm_payment(uow, actor, enrolment)
        return enrolment

    def confirm_payment(self, uow: UnitOfWork, actor: Actor | None, enrolment: Enrolment) -> None:
        """The step of ``payment_received`` for billing to call inside its own transaction
        (after its own permission check; ``actor`` None for a payment provider's webhook)."""
        _allow(enrolment, Trigger.PAYMENT_RECEIVED)
        offer = enrolment.offer_expires_at
        enrolment.payment_received()
        enrolment.record(
            EnrolmentConfirmed(
                organisation_id=enrolment.organisation_id,
                enrolment_id=enrolment.id,
                student_id=enrolment.student_id,
                family_id=family_of(uow, enrolment),
                cohort_id=enrolment.cohort_id,
            )
        )
        self.audit(
            uow,
            actor,
            "enrolment.payment_received",
            enrolment,
            "payment received: enrolment confirmed",
            {"status": [EnrolmentStatus.PENDING_PAYMENT, enrolment.status], "offer_until": offer},
        )

    def start(self, actor: Actor, enrolment_id: UUID, on: date | None = None) -> Enrolment:
        """enrolled -> active on ``on`` (default: today at the campus), within the cohort's
        dates (the nightly job starts everyone on the start date; this is for late joiners)."""
        cohort_id = self._cohort_of(actor.organisation_id, enrolment_id)
        with self.transaction(actor) as uow:
            cohort, enrolment = self._locked(uow, cohort_id, enrolment_id)
            self._authorise(actor, cohort)
            _allow(enrolment, Trigger.START)
            require_accepting(cohort)
            day = on if on is not None else self._today(uow, cohort)
            if not cohort.start_date <= day <= cohort.end_date:
                raise ValidationError(
                    "Enrolment.start_date",
                    f"must be within the cohort's dates ({cohort.start_date.isoformat()}"
                    f" to {cohort.end_date.isoformat()})",
                )
            enrolment.start(day)
            self.audit(
                uow,
                actor,
                "enrolment.start",
                enrolment,
                f"started in {cohort.name} on {day.isoformat()}",
                {"status": [EnrolmentStatus.ENROLLED, enrolment.status], "start_date": day},
            )
        return enrolment

    def complete(self, actor: Actor, enrolment_id: UUID, on: date | None = None) -> Enrolment:
        """active -> completed on ``on`` (default: today at the campus), not before the
        cohort's end date; the seat is released (not offered on: the course is over)."""
        cohort_id = self._cohort_of(actor.organisation_id, enrolment_id)
        with self.transaction(actor) as uow:
            cohort, enrolment = self._locked(uow, cohort_id, enrolment_id)
            self._authorise(actor, cohort)
            _allow(enrolment, Trigger.COMPLETE)
            day = on if on is not None else self._today(uow, cohort)
            if day < cohort.end_date:
                raise ValidationError(
                    "Enrolment.end_date",
                    f"cannot be before the cohort ends ({cohort.end_date.isoformat()}):"
                    " withdraw the student instead",
                )
            enrolment.complete(day)
            cohort.release_seat()
            self.audit(
                uow,
                actor,
                "enrolment.complete",
                enrolment,
                f"completed {cohort.name} on {day.isoformat()}",
                {
                    "status": [EnrolmentStatus.ACTIVE, enrolment.status],
                    "end_date": day,
                    "cohort_seats": cohort.current_enrolments,
                },
            )
        return enrolment

    def drop(
        self,
        actor: Actor,
        enrolment_id: UUID,
        *,
        on: date,
        reason: str,
        approver: Actor | None = None,
    ) -> Enrolment:
        """Withdraw (any live status -> dropped) on ``on`` for ``reason``. Front desk needs a
        manager's approval (``approver``). A held seat is freed and offered to the first on
        the waitlist; a waiting enrolment leaves the list and the others move up."""
        cohort_id = self._cohort_of(actor.organisation_id, enrolment_id)
        with self.transaction(actor) as uow:
            cohort, enrolment = self._locked(uow, cohort_id, enrolment_id)
            grant = authorise(
                actor,
                Action.WITHDRAW_STUDENT,
                campus_id=cohort.campus_id,
                cohort_id=cohort.id,
                approver=approver,
            )
            before = enrolment.status
            held, waiting = enrolment.holds_seat, enrolment.is_waitlist
            enrolment.drop(on=on, reason=reason)
            seats = SeatChanges()
            if held:
                seats = release_seat(uow, cohort, now=self.clock.now())
            elif waiting:
                seats = SeatChanges(moves=renumber(uow, cohort.id))
            changes: dict[str, Any] = {
                "status": [before, enrolment.status],
                "withdrawal_date": on,
                "reason": reason,
                "seat_released": held,
            }
            if grant.scope is Scope.APPROVAL and approver is not None:
                changes["approved_by_staff_id"] = approver.staff_id
            self.audit(uow, actor, "enrolment.drop", enrolment, f"withdrawn: {reason}", changes)
            self._audit_seats(uow, actor, cohort, seats)
        return enrolment

    def transfer(
        self,
        actor: Actor,
        enrolment_id: UUID,
        target_cohort_id: UUID,
        *,
        on: date,
        override_age: bool = False,
        override_reason: str | None = None,
    ) -> Transfer:
        """active -> transferred into a new enrolment in ``target_cohort_id`` on ``on``: the
        new enrolment takes a seat there (refused when the target is full), carries the
        available makeup tokens, and the old seat is freed and offered to its waitlist."""
        source_id = self._cohort_of(actor.organisation_id, enrolment_id)
        if source_id == target_cohort_id:
            raise ValidationError("Enrolment.transferred_to_id", "must be another cohort")
        with self.transaction(actor) as uow:
            locked = {
                cohort_id: uow.cohorts.get_for_update(cohort_id)
                for cohort_id in sorted((source_id, target_cohort_id), key=str)
            }
            source, target = locked[source_id], locked[target_cohort_id]
            enrolment = uow.enrolments.get(enrolment_id)
            for cohort in (source, target):
                authorise(
                    actor,
                    Action.TRANSFER_STUDENT,
                    campus_id=cohort.campus_id,
                    cohort_id=cohort.id,
                )
            _allow(enrolment, Trigger.TRANSFER)
            require_accepting(target)
            student = uow.students.get(enrolment.student_id)
            self._require_active(uow, student)
            self._require_not_enrolled(uow, student, target)
            program = uow.programs.get(target.program_id)
            age = _age_override(program, target, student, override_age, override_reason)
            if enrolment.start_date is not None and on < enrolment.start_date:
                raise ValidationError(
                    "Enrolment.end_date",
                    f"a transfer cannot be dated before the enrolment started"
                    f" ({enrolment.start_date.isoformat()})",
                )
            if on > target.end_date:
                raise ValidationError(
                    "Enrolment.start_date",
                    f"the target cohort ends on {target.end_date.isoformat()}, before the transfer",
                )
            if target.seats_free <= 0:
                raise Conflict(
                    f"Cohort {target.name!r} is full ({target.max_capacity} seats): transfer"
                    " refused; enquire to join its waitlist instead"
                )
            now = self.clock.now()
            new = Enrolment(
                organisation_id=uow.organisation_id,
                student_id=student.id,
                cohort_id=target.id,
                enrolment_date=now,
                created_at=now,
            )
            uow.enrolments.add(new)
            new.request_payment()
            target.take_seat()
            new.payment_received()
            if on >= target.start_date:
                new.start(on)
            carried = carry_tokens(uow, enrolment, new, program_id=target.program_id)
            enrolment.transfer(to=new, on=on)
            seats = release_seat(uow, source, now=now)
            changes: dict[str, Any] = {
                "status": [EnrolmentStatus.ACTIVE, enrolment.status],
                "transferred_to_id": new.id,
                "target_cohort_id": target.id,
                "date": on,
                "makeup_tokens_carried": new.makeup_tokens,
            }
            if age is not None:
                changes["age_override"] = age
            self.audit(
                uow,
                actor,
                "enrolment.transfer",
                enrolment,
                f"transferred from {source.name} to {target.name} on {on.isoformat()}",
                changes,
            )
            self.audit(
                uow,
                actor,
                "enrolment.transfer_in",
                new,
                f"joined {target.name} by transfer from {source.name}",
                {
                    "status": new.status,
                    "transferred_from_id": enrolment.id,
                    "makeup_tokens": new.makeup_tokens,
                    "cohort_seats": target.current_enrolments,
                },
            )
            self._audit_seats(uow, actor, source, seats)
        return Transfer(old=enrolment, new=new, carried_tokens=len(carried))

    def change_capacity(self, actor: Actor, cohort_id: UUID, max_capacity: int) -> Cohort:
        """Raise or lower a cohort's seats (never below its seat-holders); seats that a raise
        frees are offered to the waitlist in order."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get_for_update(cohort_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=cohort.campus_id, cohort_id=cohort.id)
            if cohort.is_finished:
                raise InvalidTransition("Cohort", cohort.id, cohort.status.value, "change capacity")
            before = cohort.max_capacity
            cohort.change_capacity(max_capacity)
            seats = offer_free_seats(uow, cohort, now=self.clock.now())
            self.audit(
                uow,
                actor,
                "cohort.change_capacity",
                cohort,
                f"capacity of {cohort.name} changed from {before} to {max_capacity}",
                {
                    "max_capacity": [before, max_capacity],
                    "status": cohort.status,
                    "offers": len(seats.offered),
                },
            )
            self._audit_seats(uow, actor, cohort, seats)
        return cohort

    def lapse_offers(self, organisation_id: UUID, now: datetime | None = None) -> OfferRun:
        """Nightly (no actor): drop every waitlist offer unpaid by ``now`` (default: the
        clock's now) with the reason "waitlist offer lapsed" (OfferLapsed), release its seat
        and offer it to the next on the waitlist. One transaction for the organisation."""
        at = now if now is not None else self.clock.now()
        with self.make_uow(organisation_id) as peek:
            cohort_ids = sorted(
                {e.cohort_id for e in peek.enrolments.list_lapsed_offers(at)}, key=str
            )
        if not cohort_ids:
            return OfferRun()
        lapsed: list[Enrolment] = []
        offered: list[Enrolment] = []
        with self.system_transaction(organisation_id) as uow:
            cohorts = [uow.cohorts.get_for_update(cohort_id) for cohort_id in cohort_ids]
            for cohort in cohorts:
                due = [
                    e
                    for e in uow.enrolments.list_for_cohort(
                        cohort.id, statuses=[EnrolmentStatus.PENDING_PAYMENT]
                    )
                    if e.offer_lapsed(at)
                ]
                for enrolment in due:
                    deadline = enrolment.offer_expires_at
                    lapse_offer(uow, cohort, enrolment, now=at)
                    self.audit(
                        uow,
                        None,
                        "enrolment.offer_lapsed",
                        enrolment,
                        f"waitlist offer in {cohort.name} lapsed unpaid",
                        {
                            "status": [EnrolmentStatus.PENDING_PAYMENT, enrolment.status],
                            "offer_until": deadline,
                            "reason": enrolment.withdrawal_reason,
                        },
                    )
                lapsed += due
                seats = offer_free_seats(uow, cohort, now=at)
                offered += seats.offered
                self._audit_seats(uow, None, cohort, seats)
        return OfferRun(lapsed=tuple(lapsed), offered=tuple(offered))

    # -- reading ------------------------------------------------------------------------

    def enrolment(self, actor: Actor, enrolment_id: UUID) -> EnrolmentView:
        """One enrolment ("view roster" over its cohort)."""
        with self.transaction(actor) as uow:
            enrolment = uow.enrolments.get(enrolment_id)
            cohort = uow.cohorts.get(enrolment.cohort_id)
            authorise(actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id)
            return _views(uow, [enrolment], {cohort.id: cohort})[0]

    def list_enrolments(
        self,
        actor: Actor,
        *,
        cohort_id: UUID | None = None,
        campus_id: UUID | None = None,
        student_id: UUID | None = None,
        statuses: Collection[EnrolmentStatus] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[EnrolmentView]:
        """One page (``limit`` 1 to ``MAX_LIMIT`` from ``offset``) of the enrolments the
        reader may see ("view roster"), by cohort (start date, name) and then in arrival
        order; with a student, that student's in arrival order; with how many match in all.

        ``cohort_id`` / ``campus_id`` name what the list is about: Forbidden outside the
        reader's scope (an instructor's campus list keeps the cohorts they teach there);
        ``student_id`` and ``statuses`` only narrow it. Unknown ids are NotFound.

        Queries: the page and its count (the repository joins the cohorts, whatever their
        number), or the student's enrolments; then the page's cohorts and students, plus
        one each for the cohort, campus and student named.
        """
        check_paging(limit, offset)
        wanted = None if statuses is None else frozenset(statuses)
        with self.transaction(actor) as uow:
            if cohort_id is not None:
                cohort = uow.cohorts.get(cohort_id)
                authorise(
                    actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id
                )
            if campus_id is not None:
                uow.campuses.get(campus_id)
                if actor.grant(Action.VIEW_ROSTER).scope is not Scope.OWN:
                    authorise(actor, Action.VIEW_ROSTER, campus_id=campus_id)
            if student_id is not None:
                student = uow.students.get(student_id)
                found = [
                    e
                    for e in uow.enrolments.list_for_student(student.id)
                    if wanted is None or e.status in wanted
                ]
                cohorts = by_id(uow.cohorts.find_many({e.cohort_id for e in found}))
                found = [
                    e
                    for e in found
                    if e.cohort_id in cohorts
                    and _wanted(cohorts[e.cohort_id], cohort_id, campus_id)
                    and _sees_roster(actor, cohorts[e.cohort_id])
                ]
                chosen, total = found[offset : offset + limit], len(found)
            else:
                if cohort_id is not None:
                    # authorised above: the reader sees this cohort's roster
                    in_cohorts: frozenset[UUID] | None = frozenset({cohort.id})
                    at_campuses = None if campus_id is None else frozenset({campus_id})
                else:
                    in_cohorts, at_campuses = _roster_scope(actor, campus_id)
                chosen, total = uow.enrolments.search(
                    cohort_ids=in_cohorts,
                    campus_ids=at_campuses,
                    statuses=wanted,
                    limit=limit,
                    offset=offset,
                )
                wanted_cohorts = {e.cohort_id for e in chosen}
                cohorts = by_id(uow.cohorts.find_many(wanted_cohorts)) if wanted_cohorts else {}
            views = _views(uow, chosen, cohorts) if chosen else []
            return Page(items=tuple(views), total=total, limit=limit, offset=offset)

    def waitlist(self, actor: Actor, cohort_id: UUID) -> list[EnrolmentView]:
        """The cohort's waitlist, next to be offered first ("view roster")."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id)
            return _views(uow, uow.enrolments.waitlist(cohort.id), {cohort.id: cohort})

    def offers(self, actor: Actor, cohort_id: UUID) -> list[EnrolmentView]:
        """The cohort's open waitlist offers (seats held pending payment until a deadline),
        the soonest deadline first ("view roster")."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id)
            pending = uow.enrolments.list_for_cohort(
                cohort.id, statuses=[EnrolmentStatus.PENDING_PAYMENT]
            )
            open_offers = sorted(
                (e for e in pending if e.offer_expires_at is not None),
                key=lambda e: (e.offer_expires_at, e.enrolment_date, str(e.id)),
            )
            return _views(uow, open_offers, {cohort.id: cohort})

    # -- helpers --------------------------------------------------------------------------

    def _seat_or_waitlist(self, actor: Actor, enrolment_id: UUID, trigger: Trigger) -> Enrolment:
        cohort_id = self._cohort_of(actor.organisation_id, enrolment_id)
        with self.transaction(actor) as uow:
            cohort, enrolment = self._locked(uow, cohort_id, enrolment_id)
            self._authorise(actor, cohort)
            _allow(enrolment, trigger)
            require_accepting(cohort)
            if enrolment.is_waitlist:
                raise Conflict(
                    f"Enrolment {enrolment.id} is already on the waitlist (position"
                    f" {enrolment.waitlist_position}): it is offered the next free seat"
                )
            before = enrolment.status
            if cohort.seats_free > 0 and not uow.enrolments.waitlist(cohort.id):
                if trigger is Trigger.CONVERT_TRIAL:
                    enrolment.convert_trial()
                else:
                    enrolment.request_payment()
                cohort.take_seat()
                enrolment.record(awaiting_payment(uow, enrolment))
                self.audit(
                    uow,
                    actor,
                    f"enrolment.{trigger.value}",
                    enrolment,
                    f"seat taken in {cohort.name}: awaiting payment",
                    {
                        "status": [before, enrolment.status],
                        "cohort_seats": cohort.current_enrolments,
                        "cohort_status": cohort.status,
                    },
                )
            else:
                position = join_waitlist(uow, cohort, enrolment)
                self.audit(
                    uow,
                    actor,
                    "enrolment.join_waitlist",
                    enrolment,
                    f"{cohort.name} is full: waitlisted at position {position}",
                    {"status": enrolment.status, "waitlist_position": position},
                )
                # Free seats with people waiting do not last: they are offered in order.
                self._audit_seats(
                    uow, actor, cohort, offer_free_seats(uow, cohort, now=self.clock.now())
                )
        return enrolment

    def _cohort_of(self, organisation_id: UUID, enrolment_id: UUID) -> UUID:
        # An enrolment never changes cohort: read it first so that the transaction can lock
        # the cohort before it reads anything else. NotFound here for an unknown id.
        with self.make_uow(organisation_id) as uow:
            return uow.enrolments.get(enrolment_id).cohort_id

    @staticmethod
    def _locked(uow: UnitOfWork, cohort_id: UUID, enrolment_id: UUID) -> tuple[Cohort, Enrolment]:
        cohort = uow.cohorts.get_for_update(cohort_id)
        enrolment = uow.enrolments.get(enrolment_id)
        if enrolment.cohort_id != cohort.id:  # cannot happen: enrolments keep their cohort
            raise Conflict(f"Enrolment {enrolment.id} moved while it was being changed")
        return cohort, enrolment

    @staticmethod
    def _authorise(actor: Actor, cohort: Cohort) -> None:
        authorise(actor, Action.MANAGE_ENROLMENTS, campus_id=cohort.campus_id, cohort_id=cohort.id)

    @staticmethod
    def _require_active(uow: UnitOfWork, student: Student) -> None:
        if not student.is_active:
            raise Conflict(f"student {student.display_name} is deactivated")
        if not uow.families.get(student.family_id).is_active:
            raise Conflict(f"the family account of {student.display_name} is closed")

    @staticmethod
    def _require_not_enrolled(uow: UnitOfWork, student: Student, cohort: Cohort) -> None:
        if uow.enrolments.find_live(student.id, cohort.id) is not None:
            raise Conflict(f"{student.display_name} is already enrolled in {cohort.name}")

    def _today(self, uow: UnitOfWork, cohort: Cohort) -> date:
        return self.clock.today(uow.campuses.get(cohort.campus_id).timezone)

    def _audit_seats(
        self, uow: UnitOfWork, actor: Actor | None, cohort: Cohort, seats: SeatChanges
    ) -> None:
        for offered in seats.offered:
            self.audit(
                uow,
                actor,
                "enrolment.offer_seat",
                offered,
                f"a seat in {cohort.name} offered from the waitlist until"
                f" {offered.offer_expires_at.isoformat() if offered.offer_expires_at else '-'}",
                {
                    "status": offered.status,
                    "offer_until": offered.offer_expires_at,
                    "cohort_seats": cohort.current_enrolments,
                },
            )
        for move in seats.moves:
            self.audit(
                uow,
                actor,
                "enrolment.waitlist_move",
                move.enrolment,
                f"moved up the waitlist of {cohort.name} to position {move.to_position}",
                {"waitlist_position": [move.from_position, move.to_position]},
            )


def _sees_roster(actor: Actor, cohort: Cohort) -> bool:
    """Whether "view roster" covers ``cohort`` for ``actor``."""
    try:
        authorise(actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id)
    except Forbidden:
        return False
    return True


def _wanted(cohort: Cohort, cohort_id: UUID | None, campus_id: UUID | None) -> bool:
    """Whether ``cohort`` passes a list's cohort and campus filters."""
    return (cohort_id is None or cohort.id == cohort_id) and (
        campus_id is None or cohort.campus_id == campus_id
    )


def _roster_scope(
    actor: Actor, campus_id: UUID | None
) -> tuple[frozenset[UUID] | None, frozenset[UUID] | None]:
    """The cohorts and the campuses (None: any) whose rosters ``actor`` may view, at
    ``campus_id`` if given: every cohort (super admin), the cohorts of the actor's campuses
    (campus manager, front desk), the cohorts they teach (instructors); Forbidden without
    the grant."""
    scope = actor.grant(Action.VIEW_ROSTER).scope
    at_campus = None if campus_id is None else frozenset({campus_id})
    if scope is Scope.ALL:
        return None, at_campus
    if scope is Scope.CAMPUS:
        return None, frozenset(
            actor.campus_ids if at_campus is None else at_campus & actor.campus_ids
        )
    if scope is Scope.OWN:
        return frozenset(actor.cohort_ids), at_campus
    authorise(actor, Action.VIEW_ROSTER)  # no grant: Forbidden
    return frozenset(), frozenset()


def _views(
    uow: UnitOfWork, enrolments: list[Enrolment], cohorts: dict[UUID, Cohort]
) -> list[EnrolmentView]:
    """``enrolments`` with their names, the students read in one query."""
    students = by_id(uow.students.find_many({e.student_id for e in enrolments}))
    return [
        EnrolmentView(
            enrolment=e,
            student_name=students[e.student_id].display_name if e.student_id in students else "",
            cohort_name=cohorts[e.cohort_id].name,
            campus_id=cohorts[e.cohort_id].campus_id,
        )
        for e in enrolments
    ]


def _allow(enrolment: Enrolment, trigger: Trigger) -> None:
    """InvalidTransition, before anything else, when the status does not accept ``trigger``."""
    if not enrolment.can(trigger):
        raise InvalidTransition("Enrolment", enrolment.id, enrolment.status.value, trigger.value)


def _age_override(
    program: Program,
    cohort: Cohort,
    student: Student,
    override: bool,
    reason: str | None,
) -> dict[str, Any] | None:
    """None when the student's age on the cohort's start date suits the program; else the
    override to audit (ValidationError without an override and its reason)."""
    age = student.age_on(cohort.start_date)
    if program.accepts_age(age):
        return None
    bounds = f"{program.age_min if program.age_min is not None else '-'}" + (
        f" to {program.age_max if program.age_max is not None else '-'}"
    )
    if not override:
        raise ValidationError(
            "Student.date_of_birth",
            f"the student is {age} on {cohort.start_date.isoformat()}, outside"
            f" {program.name}'s age range ({bounds}); staff may override with a reason",
        )
    if reason is None or not reason.strip():
        raise ValidationError("override_reason", "an age override needs a reason")
    return {"age": age, "age_min": program.age_min, "age_max": program.age_max, "reason": reason}
