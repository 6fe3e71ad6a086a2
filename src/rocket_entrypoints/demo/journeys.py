"""The demo's enrolment journeys and terms, lived through the use cases.

Who does what, as the permission matrix has it: the front desk of a cohort's campus takes
enquiries, books trials and records what families pay (``billing``: the payment that settles
an enrolment's invoice confirms the enrolment); campus managers withdraw students (and approve
the front desk's withdrawals), void the invoices of seats left unpaid and refund; the super
admin transfers a student between the two campuses; lead instructors take their rolls (an
excused absence gives a makeup token) and cancel a session in an emergency; a campus manager
books a makeup visit; the nightly job starts and completes enrolments and cohorts, lapses an
unpaid waitlist offer and marks unpaid invoices overdue.

Each cohort has a story (``CohortSpec.scenario``) so that, today, the school shows every
enrolment status: completed past terms, an active term with a trial, a late joiner, a drop,
a transfer, a cancelled session, a makeup visit, a materials invoice and two families behind
on their fees, and a next term with enquiries, trials, unpaid and part-paid seats and a full
cohort with a waitlist whose first offer lapsed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from uuid import UUID

from rocket_core import model as m
from rocket_core.services.attendance import Mark, RollKind
from rocket_entrypoints.demo.billing import Billing, Payer
from rocket_entrypoints.demo.builder import FRONT_DESKS, MANAGERS, Story
from rocket_entrypoints.demo.households import Child, Household, queue_families
from rocket_entrypoints.demo.timetable import CohortPlan

A = m.AttendanceStatus
#: How a held session's roll is marked: (status, share); each mark drawn at random.
MARKS = ((A.PRESENT, 0.82), (A.LATE, 0.06), (A.ABSENT, 0.08), (A.EXCUSED, 0.04))
#: Students placed in each scenario's cohort (its story's special cases included).
ROSTER = {
    "trial_and_late_joiner": 9,
    "transfer_out_and_drop": 9,
    "past": 8,
    "next_term_mix": 8,
    "waitlist": 10,
    "transfer_in": 9,
    "drop_and_enquiry": 10,
}


def plan_journeys(story: Story, plans: list[CohortPlan], households: list[Household]) -> None:
    """Place the children in cohorts, queue every cohort's story and rolls, pick the family
    that overpays, then queue the families' first contact with the school."""
    _place(plans, households)
    by_scenario = {plan.spec.scenario: plan for plan in plans}
    billing = Billing(story)
    for plan in plans:
        SCENARIOS[plan.spec.scenario](Journeys(story, plan, by_scenario, billing))
        if plan.spec.phase <= 0:
            plan.after_sessions.append(lambda p: _queue_rolls(story, p))
    billing.choose_overpayer()
    queue_families(story, households)


def _place(plans: list[CohortPlan], households: list[Household]) -> None:
    """Term by term, each child in at most one cohort that suits their age, near home first,
    filling cohorts evenly (a child may come back term after term); then, if next term's
    Scratch class is still short, current Scratch students ask to continue in it."""
    for phase in (-1, 0, 1):
        for household in households:
            for child in household.children:
                fits = [
                    plan
                    for plan in plans
                    if plan.spec.phase == phase
                    and _suits(plan, child)
                    and len(plan.roster) < ROSTER[plan.spec.scenario]
                ]
                fits.sort(
                    key=lambda p: (
                        household.campus_index != p.spec.campus,
                        len(p.roster) / ROSTER[p.spec.scenario],
                    )
                )
                if fits:
                    fits[0].roster.append(child)
    for plan in plans:
        if plan.spec.scenario != "waitlist":
            continue
        current = [p for p in plans if p.program is plan.program and p.spec.phase == 0]
        returning = [
            child
            for p in current
            for child in p.roster
            if child not in plan.roster and _suits(plan, child)
        ]
        plan.roster.extend(returning[: ROSTER["waitlist"] - len(plan.roster)])


def _suits(plan: CohortPlan, child: Child) -> bool:
    low, high = plan.program.ages
    return low <= child.age_on(plan.first_day) <= high


class Journeys:
    """Queues the steps of one cohort's story (see ``SCENARIOS``)."""

    def __init__(
        self, story: Story, plan: CohortPlan, plans: dict[str, CohortPlan], billing: Billing
    ) -> None:
        self.story = story
        self.plan = plan
        self.plans = plans
        self.billing = billing
        self.desk = FRONT_DESKS[plan.spec.campus]
        self.manager = MANAGERS[plan.spec.campus]

    @property
    def today(self) -> date:
        """The demo's today."""
        return self.story.today

    def hour(self) -> time:
        """A random time during office hours."""
        return time(self.story.rng.randrange(10, 17), self.story.rng.randrange(60))

    def window(self) -> tuple[date, date]:
        """When families enquire for a seat: from the day after enrolment opens to eight days
        before the term (next term: two weeks to ten days before today)."""
        if self.plan.spec.phase > 0:
            return self.today - timedelta(days=13), self.today - timedelta(days=10)
        opens = self.story.calendar.opens(self.plan.spec.phase)
        return opens + timedelta(days=1), self.plan.first_day - timedelta(days=8)

    # -- steps ---------------------------------------------------------------------------

    def at(self, day: date, at: time, step: Callable[[], object]) -> None:
        """Queue a step of this story."""
        self.story.at(day, at, step)

    def enquire(self, child: Child, day: date, at: time, *, seat: bool) -> None:
        """The family asks the front desk about this cohort on ``day`` (and, with ``seat``,
        takes a seat or a waitlist place at once: billing invoices a seat)."""
        child.household.contact(day, self.plan.spec.campus)
        if seat:
            self.billing.seat_requested(child, self.plan, day)

        def step() -> None:
            actor = self.story.actor(self.desk)
            enrolment = self.story.enrolment.enquire(actor, child.id, self.plan.id)
            self.story.enrolments[(child.id, self.plan.id)] = enrolment.id
            if seat:
                self.story.enrolment.request_payment(actor, enrolment.id)

        self.at(day, at, step)

    def pay(self, child: Child, day: date, at: time) -> None:
        """The family pays the seat's invoice (as its ``Payer`` says); the front desk records
        it, and the payment that settles the invoice confirms the enrolment."""
        self.billing.pay(child, self.plan, day, at)

    def pays(self, child: Child, payer: Payer) -> None:
        """How the family pays for the child's seat in this cohort (scripted)."""
        self.billing.pays(child, self.plan, payer)

    def seat(self, child: Child) -> None:
        """A seat taken in the enrolment window and paid within a few days (now and then in
        two parts)."""
        first, last = self.window()
        day = first + timedelta(days=self.story.rng.randrange((last - first).days + 1))
        self.enquire(child, day, self.hour(), seat=True)
        self.billing.regular(child, self.plan)
        self.pay(child, day + timedelta(days=self.story.rng.randrange(1, 4)), self.hour())

    def drop(
        self, child: Child, day: date, at: time, reason: str, *, by_front_desk: bool = False
    ) -> None:
        """The campus manager withdraws the student (or the front desk, with the campus
        manager's approval), dated ``day``."""

        def step() -> None:
            manager = self.story.actor(self.manager)
            actor, approver = (
                (self.story.actor(self.desk), manager) if by_front_desk else (manager, None)
            )
            self.story.enrolment.drop(
                actor, self.enrolment_of(child), on=day, reason=reason, approver=approver
            )

        self.at(day, at, step)

    def enrolment_of(self, child: Child) -> UUID:
        """The id of the child's enrolment in this cohort."""
        return self.story.enrolments[(child.id, self.plan.id)]

    def after_sessions(self, hook: Callable[[CohortPlan], None]) -> None:
        """Queue more steps once the cohort's sessions exist."""
        self.plan.after_sessions.append(hook)


# -- the stories -------------------------------------------------------------------------------


def _regular(j: Journeys) -> None:
    """Everyone takes a seat before the term and pays."""
    for child in j.plan.roster:
        j.seat(child)


def _transfer_in(j: Journeys) -> None:
    """Everyone takes a seat before the term (a student joins by transfer mid-term), but two
    families fall behind: one paid half and no more, the other nothing. Their children come
    to class while the front desk chases them; the nightly job marked the invoices overdue."""
    _regular(j)
    roster = j.plan.roster
    if len(roster) >= 4:
        j.pays(roster[-1], Payer.NEVER)
        j.pays(roster[-2], Payer.HALF_ONLY)


def _trial_and_late_joiner(j: Journeys) -> None:
    """A trial booked for an upcoming session, a late joiner awaiting payment, and an
    absence the family announced the day before (excused: a makeup token)."""
    roster = list(j.plan.roster)
    if len(roster) >= 3:
        trial, late = roster.pop(0), roster.pop(0)
        j.enquire(trial, j.today - timedelta(days=3), time(10, 0), seat=False)

        def book() -> None:
            upcoming = next(s for s in j.plan.sessions if s.scheduled_date >= j.today)
            j.story.enrolment.book_trial(j.story.actor(j.desk), j.enrolment_of(trial), upcoming.id)

        j.at(j.today - timedelta(days=3), time(10, 5), book)
        j.enquire(late, j.today - timedelta(days=1), time(10, 30), seat=True)
        away = roster[0]

        def announce(plan: CohortPlan) -> None:
            second = plan.sessions[1]

            def excuse() -> None:
                lead = j.story.actor(plan.spec.lead)
                note = "Family holiday: told us the day before"
                j.story.attendance.mark(
                    lead, second.id, {away.id: Mark(status=A.EXCUSED, notes=note)}
                )

            j.at(second.scheduled_date - timedelta(days=1), time(18, 0), excuse)

        j.after_sessions(announce)
    for child in roster:
        j.seat(child)


def _transfer_out_and_drop(j: Journeys) -> None:
    """Session 4 cancelled in an emergency (makeup tokens for the class), a student spends
    theirs at the other campus's Python class, another moves there for good after session
    3, and one withdraws after session 5 (no refund once the term is under way). In the
    second week a family is invoiced for the class's kit (see ``Billing.materials``)."""
    _regular(j)
    roster = j.plan.roster
    if len(roster) < 3:
        return
    moving, leaving, visitor = roster[0], roster[1], roster[2]
    if len(roster) >= 4:
        j.billing.materials(roster[3], j.plan)
    target = j.plans["transfer_in"]

    def story(plan: CohortPlan) -> None:
        held = plan.held_before(j.today)
        if len(held) < 5:
            return
        third, fourth, fifth = held[2], held[3], held[4]
        tokens: dict[UUID, UUID] = {}

        def transfer() -> None:
            j.story.enrolment.transfer(
                j.story.actor("admin"),
                j.enrolment_of(moving),
                target.id,
                on=third.scheduled_date + timedelta(days=1),
            )

        def cancel() -> None:
            lead = j.story.actor(plan.spec.lead)
            cancelled = j.story.scheduling.cancel_session(
                lead, fourth.id, reason="Instructor unwell", emergency=True
            )
            j.story.cancelled_sessions.add(fourth.id)
            tokens.update({token.student_id: token.id for token in cancelled.tokens})

        def makeup() -> None:
            host = next(
                (
                    s
                    for s in target.sessions
                    if fourth.scheduled_date < s.scheduled_date < j.today
                    and s.id not in j.story.cancelled_sessions
                ),
                None,
            )
            if host is None or visitor.id not in tokens:
                return
            j.story.makeup.redeem(
                j.story.actor(MANAGERS[target.spec.campus]),
                visitor.id,
                host.id,
                token_id=tokens[visitor.id],
            )

        j.at(third.scheduled_date + timedelta(days=1), time(11, 0), transfer)
        j.at(fourth.scheduled_date, time(12, 0), cancel)
        j.at(fourth.scheduled_date + timedelta(days=1), time(9, 30), makeup)
        j.drop(
            leaving, fifth.scheduled_date + timedelta(days=1), time(10, 0), "Too many activities"
        )

    j.after_sessions(story)


def _drop_and_enquiry(j: Journeys) -> None:
    """A family that had paid moves away just before the term: the campus manager refunds
    it; another enquires mid-term."""
    roster = list(j.plan.roster)
    if len(roster) >= 2:
        dropped, enquirer = roster.pop(0), roster.pop(0)
        j.seat(dropped)
        j.pays(dropped, Payer.IN_FULL)
        leaves = j.plan.first_day - timedelta(days=3)
        j.drop(dropped, leaves, time(10, 0), "Family moved interstate")
        j.billing.refund_and_void(
            dropped, j.plan, leaves, time(10, 30), "Withdrawn before the term: moved interstate"
        )
        j.enquire(enquirer, j.today - timedelta(days=2), time(11, 0), seat=False)
    for child in roster:
        j.seat(child)


def _next_term_mix(j: Journeys) -> None:
    """Next term: paid seats, two unpaid (one with a deposit paid), a withdrawal by the front
    desk (approved by the campus manager) before paying, a trial of the first session, and
    an enquiry yesterday."""
    roster = list(j.plan.roster)
    if len(roster) >= 5:
        enquirer, trial, unpaid, unpaid_too, withdrawn = roster[:5]
        roster = roster[5:]
        t = j.today
        j.enquire(withdrawn, t - timedelta(days=9), time(10, 0), seat=True)
        j.drop(
            withdrawn,
            t - timedelta(days=3),
            time(11, 0),
            "Chose another activity",
            by_front_desk=True,
        )
        reason = "Withdrawn before paying: chose another activity"
        j.billing.void_unpaid(withdrawn, j.plan, t - timedelta(days=3), time(11, 30), reason)
        j.enquire(unpaid, t - timedelta(days=8), time(10, 0), seat=True)
        j.enquire(unpaid_too, t - timedelta(days=6), time(10, 0), seat=True)
        j.pays(unpaid_too, Payer.HALF_ONLY)  # a deposit; the rest is due before the term
        j.pay(unpaid_too, t - timedelta(days=2), time(12, 0))
        j.enquire(trial, t - timedelta(days=4), time(10, 0), seat=False)
        j.at(
            t - timedelta(days=4),
            time(10, 5),
            lambda: j.story.enrolment.book_trial(
                j.story.actor(j.desk), j.enrolment_of(trial), j.plan.sessions[0].id
            ),
        )
        j.enquire(enquirer, t - timedelta(days=1), time(10, 0), seat=False)
    for child in roster:
        j.seat(child)


def _waitlist(j: Journeys) -> None:
    """Next term's small Scratch class fills up (two seats unpaid) and four more join its
    waitlist. A seated family withdraws before paying (its invoice is voided): the seat is
    offered to the first on the list, whose offer lapses unpaid (the nightly job; the campus
    manager voids that invoice the next morning); the second is offered it and pays. Two
    wait on."""
    capacity = j.plan.spec.capacity
    seated, waiting = j.plan.roster[:capacity], j.plan.roster[capacity:]
    t = j.today
    leaving = len(waiting) >= 4 and bool(seated)
    for index, child in enumerate(seated):
        day = t - timedelta(days=13 - index // 2)
        j.enquire(child, day, time(10, index), seat=True)
        if index < capacity - 2 and not (leaving and index == 0):
            j.pay(child, day + timedelta(days=2), time(15, index))
    for index, child in enumerate(waiting):
        day = t - timedelta(days=10 - min(index, 3))
        j.enquire(child, day, time(11, index), seat=True)
    if leaving:
        j.drop(seated[0], t - timedelta(days=5), time(11, 0), "Clash with swimming lessons")
        reason = "Withdrawn before paying: clash with swimming lessons"
        j.billing.void_unpaid(seated[0], j.plan, t - timedelta(days=5), time(11, 30), reason)
        j.billing.void_unpaid(
            waiting[0], j.plan, t - timedelta(days=2), time(9, 30), "Waitlist offer lapsed unpaid"
        )
        j.pay(waiting[1], t - timedelta(days=2), time(16, 0))


SCENARIOS: dict[str, Callable[[Journeys], None]] = {
    "past": _regular,
    "transfer_in": _transfer_in,
    "trial_and_late_joiner": _trial_and_late_joiner,
    "transfer_out_and_drop": _transfer_out_and_drop,
    "drop_and_enquiry": _drop_and_enquiry,
    "next_term_mix": _next_term_mix,
    "waitlist": _waitlist,
}


# -- the rolls ---------------------------------------------------------------------------------


def _queue_rolls(story: Story, plan: CohortPlan) -> None:
    """The lead instructor marks each session held before today, ten minutes after it ends
    (well inside the 24-hour edit window)."""
    for session in plan.held_before(story.today):
        ended = datetime.combine(session.scheduled_date, session.scheduled_end_time)
        marked = (ended + timedelta(minutes=10)).time()
        story.at(session.scheduled_date, marked, partial(_take_roll, story, session))


def _take_roll(story: Story, session: m.Session) -> None:
    if session.id in story.cancelled_sessions or session.lead_instructor_id is None:
        return
    lead = story.actor_of(session.lead_instructor_id)
    roll = story.attendance.roll(lead, session.id)
    # Marks are drawn in the families' order, not the roll's (which ties on random ids).
    order = story.child_order
    lines = sorted(
        (line for line in roll if line.status is None and line.kind is not RollKind.MAKEUP),
        key=lambda line: order[line.student_id],
    )
    marks = {line.student_id: _mark(story) for line in lines}
    if marks:
        story.attendance.mark(lead, session.id, marks)


def _mark(story: Story) -> Mark:
    roll = story.rng.random()
    for status, share in MARKS:
        if roll < share:
            if status is A.LATE:
                return Mark(status=status, notes="Arrived 15 minutes late")
            return Mark(status=status)
        roll -= share
    return Mark(status=A.PRESENT)
