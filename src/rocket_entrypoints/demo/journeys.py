"""The demo's enrolments in every status, then attendance, makeup tokens and skill progress.

Each journey runs the enrolment rulebook's own triggers and the cohort's seat counting, in the
order a school would live them: enquiries, trials, offers, payments, starts, drops, a transfer,
a waitlist, the nightly completions.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from rocket_core import model as m
from rocket_entrypoints.demo.builder import Builder, CohortPlan
from rocket_entrypoints.demo.households import Household

S = m.EnrolmentStatus
MARKS = (
    (m.AttendanceStatus.PRESENT, 0.82),
    (m.AttendanceStatus.LATE, 0.06),
    (m.AttendanceStatus.ABSENT, 0.08),
    (m.AttendanceStatus.EXCUSED, 0.04),
)


def enrol_everyone(b: Builder, households: list[Household]) -> None:
    """Place every child in a cohort that fits their age, then live each cohort's term."""
    rosters = _place(b, households)
    by_scenario = {plan.scenario: plan for plan in b.plans}
    for plan in b.plans:
        _journeys(b, plan, rosters[plan.cohort.id], by_scenario)
    for plan in b.plans:
        _term(b, plan)
    _progress(b)


def _capacity(plan: CohortPlan) -> int:
    extra = 2 if plan.scenario == "waitlist" else 0
    extra += 2 if plan.scenario in ("trial_and_late_joiner", "drop_and_enquiry") else 0
    return plan.cohort.max_capacity + extra - (2 if plan.scenario == "transfer_in" else 0)


def _place(b: Builder, households: list[Household]) -> dict[object, list[m.Student]]:
    rosters: dict[object, list[m.Student]] = {plan.cohort.id: [] for plan in b.plans}
    for household in households:
        for child in household.children:
            fits = [
                plan
                for plan in b.plans
                if plan.program.accepts_age(child.age_on(plan.cohort.start_date))
                and len(rosters[plan.cohort.id]) < _capacity(plan)
            ]
            fits.sort(
                key=lambda p: (
                    b.campuses[household.campus_index].id != p.cohort.campus_id,
                    len(rosters[p.cohort.id]) / p.cohort.max_capacity,
                )
            )
            if fits:
                rosters[fits[0].cohort.id].append(child)
    for plan in b.plans:
        if plan.scenario != "waitlist":
            continue
        # Next term's full cohort: current students of the same program ask to continue.
        roster = rosters[plan.cohort.id]
        current = [p for p in b.plans if p.program is plan.program and p.phase == 0]
        returning = [s for p in current for s in rosters[p.cohort.id] if s not in roster]
        roster.extend(returning[: _capacity(plan) - len(roster)])
    return rosters


def _enquire(b: Builder, plan: CohortPlan, student: m.Student, on: date) -> m.Enrolment:
    enrolment = m.Enrolment(
        id=b.uuid(),
        organisation_id=b.org_id,
        student_id=student.id,
        cohort_id=plan.cohort.id,
        enrolment_date=b.created(on),
        created_at=b.created(on),
        tuition_override=None,
    )
    b.uow.enrolments.add(enrolment)
    return enrolment


def _offer(plan: CohortPlan, enrolment: m.Enrolment) -> None:
    if enrolment.status is S.TRIAL:
        enrolment.convert_trial()
    else:
        enrolment.request_payment()
    plan.cohort.take_seat()


def _seat(b: Builder, plan: CohortPlan, student: m.Student, paid: bool = True) -> m.Enrolment:
    first = plan.cohort.start_date
    enrolment = _enquire(b, plan, student, min(first, b.today) - timedelta(b.rng.randrange(7, 40)))
    _offer(plan, enrolment)
    if paid:
        enrolment.payment_received()
    return enrolment


def _journeys(
    b: Builder, plan: CohortPlan, roster: list[m.Student], plans: dict[str, CohortPlan]
) -> None:
    """The scenario's special cases first, then everyone else as the term's phase says."""
    cohort, scenario = plan.cohort, plan.scenario
    held = [s for s in plan.sessions if s.scheduled_date < b.today]
    upcoming = [s for s in plan.sessions if s.scheduled_date >= b.today]
    rest = list(roster)
    if scenario == "trial_and_late_joiner" and len(rest) >= 2:
        trial = _enquire(b, plan, rest.pop(0), b.today - timedelta(days=3))
        trial.book_trial(upcoming[0].id)
        late = _enquire(b, plan, rest.pop(0), b.today - timedelta(days=1))
        _offer(plan, late)
        late.update(start_date=b.today)
    if scenario == "drop_and_enquiry" and len(rest) >= 2:
        dropped = _seat(b, plan, rest.pop(0))
        dropped.drop(on=cohort.start_date - timedelta(days=3), reason="Family moved interstate")
        cohort.release_seat()
        _enquire(b, plan, rest.pop(0), b.today - timedelta(days=2))
    if scenario == "next_term_mix" and len(rest) >= 5:
        _enquire(b, plan, rest.pop(0), b.today - timedelta(days=1))
        trial = _enquire(b, plan, rest.pop(0), b.today - timedelta(days=4))
        trial.book_trial(plan.sessions[0].id)
        _seat(b, plan, rest.pop(0), paid=False)
        _seat(b, plan, rest.pop(0), paid=False)
        lapsed = _seat(b, plan, rest.pop(0), paid=False)
        lapsed.drop(on=b.today - timedelta(days=1), reason="Offer lapsed: payment not received")
        cohort.release_seat()
    if scenario == "waitlist":
        seated, waiting = rest[: cohort.max_capacity], rest[cohort.max_capacity :]
        for index, student in enumerate(seated):
            _seat(b, plan, student, paid=index % 3 != 2)
        for position, student in enumerate(waiting, start=1):
            _enquire(b, plan, student, b.today - timedelta(days=5 - position)).join_waitlist(
                position
            )
        rest = []
    for student in rest:
        _seat(b, plan, student, paid=True)
    if plan.phase <= 0:
        cohort.begin()
        for enrolment in b.uow.enrolments.list_for_cohort(cohort.id, statuses=[S.ENROLLED]):
            enrolment.start(on=cohort.start_date)
    if scenario == "transfer_out_and_drop" and held:
        target = plans["transfer_in"]
        active = b.uow.enrolments.list_for_cohort(cohort.id, statuses=[S.ACTIVE])
        moving, leaving = active[0], active[1]
        on = held[min(2, len(held) - 1)].scheduled_date
        arrival = _enquire(b, target, b.uow.students.get(moving.student_id), on)
        _offer(target, arrival)
        arrival.payment_received()
        arrival.start(on=on)
        moving.transfer(to=arrival, on=on)
        cohort.release_seat()
        leaving.drop(on=held[min(4, len(held) - 1)].scheduled_date, reason="Too many activities")
        cohort.release_seat()


def _term(b: Builder, plan: CohortPlan) -> None:
    """Hold the sessions that are past: one cancelled, the rest marked; close past cohorts."""
    cohort = plan.cohort
    enrolments = b.uow.enrolments.list_for_cohort(cohort.id)
    campus = b.uow.campuses.get(cohort.campus_id)
    for session in plan.sessions:
        if session.scheduled_date >= b.today:
            break
        if plan.scenario == "transfer_out_and_drop" and session.session_number == 4:
            session.cancel("Instructor unwell; makeup tokens issued")
            for enrolment in enrolments:
                if _attending(enrolment, session.scheduled_date):
                    enrolment.update(makeup_tokens=enrolment.makeup_tokens + 1)
            continue
        session.begin(session.scheduled_start_time)
        session.complete(session.scheduled_end_time)
        recorded = session.ends_at(campus.timezone) + timedelta(minutes=10)
        for enrolment in enrolments:
            if not _attending(enrolment, session.scheduled_date):
                continue
            status = _mark(b)
            b.uow.attendance.add(
                m.Attendance(
                    id=b.uuid(),
                    organisation_id=b.org_id,
                    session_id=session.id,
                    student_id=enrolment.student_id,
                    enrolment_id=enrolment.id,
                    status=status,
                    check_in_time=None
                    if status in (m.AttendanceStatus.ABSENT, m.AttendanceStatus.EXCUSED)
                    else session.starts_at(campus.timezone),
                    notes="Arrived 15 minutes late" if status is m.AttendanceStatus.LATE else None,
                    recorded_by_staff_id=plan.lead.id,
                    recorded_at=recorded,
                )
            )
            if status is m.AttendanceStatus.EXCUSED and enrolment.is_live:
                enrolment.update(makeup_tokens=enrolment.makeup_tokens + 1)
    if plan.scenario == "transfer_out_and_drop":
        _makeup_visit(b, plan)
    if plan.phase < 0:
        for enrolment in enrolments:
            if enrolment.status is S.ACTIVE:
                enrolment.complete(on=cohort.end_date)
                cohort.release_seat()
        cohort.complete()
        _projects(b, plan, enrolments)


def _attending(enrolment: m.Enrolment, day: date) -> bool:
    """Whether the enrolment held an active place on ``day``."""
    if enrolment.start_date is None or day < enrolment.start_date:
        return False
    if enrolment.status in (S.ACTIVE, S.COMPLETED):
        return True
    end = enrolment.withdrawal_date or enrolment.end_date
    return enrolment.status in (S.DROPPED, S.TRANSFERRED) and end is not None and day < end


def _mark(b: Builder) -> m.AttendanceStatus:
    roll = b.rng.random()
    for status, share in MARKS:
        if roll < share:
            return status
        roll -= share
    return m.AttendanceStatus.PRESENT


def _makeup_visit(b: Builder, plan: CohortPlan) -> None:
    """A student with a makeup token attends a session of the same program at the other campus."""
    other = next(p for p in b.plans if p.program is plan.program and p.cohort is not plan.cohort)
    holders = [
        e
        for e in b.uow.enrolments.list_for_cohort(plan.cohort.id, statuses=[S.ACTIVE])
        if e.makeup_tokens > 0
    ]
    held = [s for s in other.sessions if s.scheduled_date < b.today and not s.is_cancelled]
    if not holders or not held or other.cohort.seats_free <= 0:
        return
    visitor, session = holders[0], held[-1]
    campus = b.uow.campuses.get(other.cohort.campus_id)
    b.uow.attendance.add(
        m.Attendance(
            id=b.uuid(),
            organisation_id=b.org_id,
            session_id=session.id,
            student_id=visitor.student_id,
            enrolment_id=visitor.id,
            status=m.AttendanceStatus.MAKEUP,
            check_in_time=session.starts_at(campus.timezone),
            notes="Makeup for the cancelled session",
            recorded_by_staff_id=other.lead.id,
            recorded_at=session.ends_at(campus.timezone) + timedelta(minutes=10),
        )
    )
    visitor.update(makeup_tokens=visitor.makeup_tokens - 1)


def _projects(b: Builder, plan: CohortPlan, enrolments: list[m.Enrolment]) -> None:
    """Completed students hand in a final project."""
    for enrolment in enrolments:
        if enrolment.status is not S.COMPLETED:
            continue
        student = b.uow.students.get(enrolment.student_id)
        b.uow.projects.add(
            m.ProjectSubmission(
                id=b.uuid(),
                organisation_id=b.org_id,
                student_id=student.id,
                cohort_id=plan.cohort.id,
                title=f"{student.first_name}'s final project",
                description=f"End-of-term project for {plan.program.name}",
                project_url=f"https://replit.com/@rocket-{student.id.hex[:8]}/final",
                submitted_at=b.instant(plan.cohort.end_date, time(17, 0)),
            )
        )


def _progress(b: Builder) -> None:
    """Skill progress for students who are studying or have finished: earlier skills mastered,
    the next one in progress, each change in the history."""
    for plan in b.plans:
        if plan.phase > 0:
            continue
        held = [s for s in plan.sessions if s.scheduled_date < b.today and not s.is_cancelled]
        share = len(held) / max(len(plan.sessions), 1)
        for enrolment in b.uow.enrolments.list_for_cohort(
            plan.cohort.id, statuses=[S.ACTIVE, S.COMPLETED]
        ):
            reached = round(len(plan.nodes) * min(1.0, share * b.rng.uniform(0.6, 1.1)))
            for index, node in enumerate(plan.nodes[: reached + 1]):
                if b.uow.skill_progress.find_for(enrolment.student_id, node.id):
                    continue
                step = held[min(index, len(held) - 1)] if held else plan.sessions[0]
                at = b.instant(step.scheduled_date, step.scheduled_end_time)
                progress = m.SkillProgress(
                    id=b.uuid(),
                    organisation_id=b.org_id,
                    student_id=enrolment.student_id,
                    skill_node_id=node.id,
                    created_at=at,
                )
                progress.set_status(m.SkillStatus.IN_PROGRESS, by=plan.lead.id, at=at)
                if index < reached:
                    later = at + timedelta(days=7)
                    progress.set_status(m.SkillStatus.MASTERED, by=plan.lead.id, at=later)
                b.uow.skill_progress.add(progress)
