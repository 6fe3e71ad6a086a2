"""Attendance use cases: the roll, marking (one or many at once), the edit window, excused
absences and their makeup tokens, TA approval, attendance rates, permissions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from tests.unit.services.conftest import MELBOURNE, World
from tests.unit.services.helpers import add_cohort, sessions_of

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.events import MakeupTokenIssued, StudentMarkedAbsent
from rocket_core.model import AttendanceStatus as A
from rocket_core.model import EnrolmentStatus as S
from rocket_core.services.attendance import (
    AttendanceRate,
    AttendanceService,
    Mark,
    RollKind,
)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Melbourne wall-clock instant."""
    return datetime.combine(day, time(hour, minute, second), ZoneInfo(MELBOURNE))


def service(world: World) -> AttendanceService:
    return AttendanceService(world.make_uow, world.clock, world.bus)


def enrol(
    world: World,
    student: m.Student,
    *,
    status: S = S.ACTIVE,
    cohort: m.Cohort | None = None,
    **fields: object,
) -> m.Enrolment:
    cohort = cohort or world.cohort
    if status in (S.ACTIVE, S.COMPLETED):
        fields.setdefault("start_date", cohort.start_date)
    enrolment = m.Enrolment(
        organisation_id=world.org_id,
        student_id=student.id,
        cohort_id=cohort.id,
        status=status,
        enrolment_date=world.clock.now(),
        **fields,  # type: ignore[arg-type]
    )
    world.add(enrolment)
    return enrolment


def student(world: World, first: str, last: str) -> m.Student:
    family = m.Family(
        organisation_id=world.org_id,
        family_name=last,
        primary_contact_name=f"Parent {last}",
        primary_contact_email=f"{first.lower()}.{last.lower()}@family.example",
    )
    child = m.Student(
        organisation_id=world.org_id,
        family_id=family.id,
        first_name=first,
        last_name=last,
        date_of_birth=date(2017, 1, 1),
    )
    world.add(family, child)
    return child


def other_cohort(world: World) -> tuple[m.Cohort, list[m.Session]]:
    """A Wednesday cohort of the same program at the same campus, with four sessions."""
    cohort = add_cohort(
        world,
        name="Scratch Basics - Term 1 Wed",
        capacity=5,
        sessions=4,
        times=(time(16, 0), time(17, 30)),
    )
    return cohort, sessions_of(world, cohort)


def makeup_visitor(
    world: World, session: m.Session, *, first: str = "Zoe", last: str = "Adams"
) -> tuple[m.Student, m.Enrolment]:
    """A student of another cohort who spent a makeup token on ``session`` (the makeup
    booking also gave her a ``makeup`` mark there, as MakeupService.redeem does)."""
    wed, _ = other_cohort(world)
    visitor = student(world, first, last)
    home = enrol(world, visitor, cohort=wed)
    token = m.MakeupToken(
        organisation_id=world.org_id,
        student_id=visitor.id,
        enrolment_id=home.id,
        program_id=world.program.id,
        reason="excused absence",
        issued_on=date(2026, 1, 28),
        expires_on=date(2026, 4, 28),
        status=m.MakeupTokenStatus.REDEEMED,
        redeemed_session_id=session.id,
        redeemed_at=world.clock.now(),
    )
    mark = m.Attendance(
        organisation_id=world.org_id,
        session_id=session.id,
        student_id=visitor.id,
        enrolment_id=home.id,
        status=A.MAKEUP,
        recorded_by_staff_id=world.staff["lead_instructor"].id,
        recorded_at=world.clock.now(),
    )
    world.add(token, mark)
    return visitor, home


def on_session_day(world: World, session: m.Session, hour: int = 16, minute: int = 5) -> None:
    world.clock.set(at(session.scheduled_date, hour, minute))


def written(world: World) -> tuple[int, int, int]:
    return (
        world.store.count(m.Attendance),
        world.store.count(m.AuditEntry),
        world.store.count(m.MakeupToken),
    )


@pytest.fixture
def class_of_two(world: World) -> World:
    """Kim and An Nguyen hold seats in the cohort; Alex Smith only enquired."""
    enrol(world, world.child)
    enrol(world, world.sibling)
    enrol(world, world.other_child, status=S.ENQUIRY)
    return world


# -- the roll ---------------------------------------------------------------------------------


def test_roll_lists_seat_holders_trial_and_makeup_visitors_sorted_by_name(world: World) -> None:
    first = world.sessions[0]
    enrol(world, world.child)  # Kim Nguyen, active
    enrol(world, world.sibling, status=S.PENDING_PAYMENT)  # An Nguyen holds a seat too
    trial = enrol(world, world.other_child, status=S.TRIAL, trial_session_id=first.id)
    _visitor, home = makeup_visitor(world, first)
    waiting = student(world, "Wendy", "Baker")
    enrol(world, waiting, status=S.ENQUIRY, is_waitlist=True, waitlist_position=1)

    lines = service(world).roll(world.actor("lead_instructor"), first.id)

    assert [line.display_name for line in lines] == [
        "Zoe Adams",
        "An Nguyen",
        "Kim Nguyen",
        "Alex Smith",
    ]
    assert [line.kind for line in lines] == [
        RollKind.MAKEUP,
        RollKind.ENROLLED,
        RollKind.ENROLLED,
        RollKind.TRIAL,
    ]
    assert lines[0].enrolment_id == home.id
    assert lines[0].status is A.MAKEUP
    assert lines[3].enrolment_id == trial.id
    assert [line.status for line in lines[1:]] == [None, None, None]
    assert not lines[1].attended  # unmarked counts as absent
    assert lines[0].attended


def test_the_trial_visitor_is_only_on_the_roll_of_the_booked_session(world: World) -> None:
    enrol(world, world.other_child, status=S.TRIAL, trial_session_id=world.sessions[0].id)
    svc, lead = service(world), world.actor("lead_instructor")
    assert [line.student_id for line in svc.roll(lead, world.sessions[0].id)] == [
        world.other_child.id
    ]
    assert svc.roll(lead, world.sessions[1].id) == []


def test_a_dropped_trial_leaves_the_roll_unless_it_was_marked(world: World) -> None:
    first = world.sessions[0]
    trial = enrol(world, world.other_child, status=S.TRIAL, trial_session_id=first.id)
    with world.uow() as uow:
        uow.enrolments.get(trial.id).drop(on=date(2026, 1, 30), reason="changed their mind")
        uow.commit()
    assert service(world).roll(world.actor("lead_instructor"), first.id) == []


def test_sort_uses_preferred_names_and_ignores_case(world: World) -> None:
    first = world.sessions[0]
    lower = student(world, "bea", "nguyen")
    enrol(world, world.child)  # Kim Nguyen
    enrol(world, lower)
    with world.uow() as uow:
        uow.students.get(world.child.id).update(preferred_name="Al")
        uow.commit()
    names = [
        line.display_name for line in service(world).roll(world.actor("super_admin"), first.id)
    ]
    assert names == ["Al Nguyen", "bea nguyen"]


def test_a_late_joiner_is_not_on_earlier_rolls_and_a_leaver_not_on_later_ones(
    world: World,
) -> None:
    late = enrol(world, world.child, start_date=date(2026, 2, 9))
    leaver = enrol(world, world.sibling)
    with world.uow() as uow:
        uow.enrolments.get(leaver.id).drop(on=date(2026, 2, 10), reason="moving away")
        uow.commit()
    svc, admin = service(world), world.actor("super_admin")
    ids = [[line.student_id for line in svc.roll(admin, s.id)] for s in world.sessions]
    assert ids[0] == [world.sibling.id]
    assert sorted(ids[1]) == sorted([world.child.id, world.sibling.id])
    assert ids[2] == [world.child.id] == ids[3]
    assert late.start_date == date(2026, 2, 9)


def test_roll_reads_one_sheet_and_no_entity_one_by_one(class_of_two: World) -> None:
    world = class_of_two
    sheets: list[UUID] = []
    real = world.store.unit_of_work

    def counting(organisation_id):  # type: ignore[no-untyped-def]
        uow = real(organisation_id)
        sheet = uow.rolls.sheet

        def read(cohort_id, session_id, statuses):  # type: ignore[no-untyped-def]
            sheets.append(session_id)
            return sheet(cohort_id, session_id, statuses)

        def refused(*_):  # type: ignore[no-untyped-def]
            raise AssertionError("the roll loads entities")

        uow.rolls.sheet = read  # type: ignore[method-assign]
        for repository in (uow.students, uow.enrolments, uow.attendance, uow.makeup_tokens):
            repository.find, repository.find_many = refused, refused  # type: ignore[method-assign]
        return uow

    svc = AttendanceService(counting, world.clock, world.bus)
    lines = svc.roll(world.actor("super_admin"), world.sessions[0].id)
    assert len(lines) == 2
    assert sheets == [world.sessions[0].id]


def test_roll_of_an_unknown_session_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        service(world).roll(world.actor("super_admin"), uuid4())


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("super_admin", True),
        ("campus_manager", True),
        ("other_manager", False),  # another campus
        ("lead_instructor", True),
        ("other_instructor", False),  # not their cohort
        ("teaching_assistant", True),
        ("front_desk", True),
    ],
)
def test_who_may_see_the_roll(class_of_two: World, who: str, allowed: bool) -> None:
    world = class_of_two
    call = lambda: service(world).roll(world.actor(who), world.sessions[0].id)  # noqa: E731
    if allowed:
        assert len(call()) == 2
    else:
        with pytest.raises(Forbidden):
            call()


# -- marking ----------------------------------------------------------------------------------


def test_one_call_marks_many_students_stamping_who_and_when(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    lead = world.actor("lead_instructor")

    marked = service(world).mark(
        lead,
        first.id,
        {world.child.id: A.PRESENT, world.sibling.id: Mark(status=A.LATE, notes="20 mins late")},
    )
    marks = marked.changed
    # the roll comes back with the marks, as a second read would give it
    assert marked.roll == service(world).roll(lead, first.id)

    assert [(a.student_id, a.status) for a in marks] == [
        (world.sibling.id, A.LATE),
        (world.child.id, A.PRESENT),
    ]
    roll = service(world).roll(lead, first.id)
    assert [(line.display_name, line.status, line.notes) for line in roll] == [
        ("An Nguyen", A.LATE, "20 mins late"),
        ("Kim Nguyen", A.PRESENT, None),
    ]
    assert all(line.recorded_by_staff_id == lead.staff_id for line in roll)
    assert all(line.recorded_at == world.clock.now() for line in roll)
    with world.uow() as uow:
        entries = uow.audit.list_for_entity(marks[0].id)
    assert [(e.action, e.actor_staff_id) for e in entries] == [("attendance.mark", lead.staff_id)]
    assert entries[0].changes["status"] == [None, "late"]


def test_changing_a_mark_restamps_it_and_keeps_its_note_unless_given(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    svc = service(world)
    svc.mark(
        world.actor("lead_instructor"), first.id, {world.child.id: Mark(status=A.LATE, notes="bus")}
    )
    world.clock.advance(timedelta(minutes=30))
    manager = world.actor("campus_manager")
    [mark] = svc.mark(manager, first.id, {world.child.id: A.PRESENT}).changed
    assert (mark.status, mark.notes, mark.recorded_by_staff_id) == (
        A.PRESENT,
        "bus",
        manager.staff_id,
    )
    assert mark.recorded_at == world.clock.now()
    assert world.store.count(m.Attendance) == 1


def test_a_mark_that_changes_nothing_writes_nothing(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    svc, lead = service(world), world.actor("lead_instructor")
    svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    before = written(world)
    world.clock.advance(timedelta(days=5))  # even long after the window
    assert svc.mark(lead, first.id, {world.child.id: A.PRESENT}).changed == []
    assert written(world) == before


def test_a_student_not_on_the_roll_is_refused_and_nothing_is_written(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    before = written(world)
    with pytest.raises(ValidationError) as error:
        service(world).mark(
            world.actor("lead_instructor"),
            first.id,
            {world.child.id: A.PRESENT, world.other_child.id: A.PRESENT},  # Alex only enquired
        )
    assert error.value.field == "Attendance.student_id"
    assert written(world) == before


@pytest.mark.parametrize(
    ("kind", "status"),
    [("enrolled", A.MAKEUP), ("makeup", A.PRESENT), ("makeup", A.LATE), ("makeup", A.EXCUSED)],
)
def test_statuses_follow_the_kind_of_roll_line(world: World, kind: str, status: A) -> None:
    first = world.sessions[0]
    enrol(world, world.child)
    visitor, _ = makeup_visitor(world, first)
    on_session_day(world, first)
    who = world.child if kind == "enrolled" else visitor
    with pytest.raises(ValidationError, match=kind) as error:
        service(world).mark(world.actor("campus_manager"), first.id, {who.id: status})
    assert error.value.field == "Attendance.status"


def test_a_makeup_visitor_who_did_not_come_is_marked_absent(world: World) -> None:
    first = world.sessions[0]
    visitor, _ = makeup_visitor(world, first)
    on_session_day(world, first)
    [mark] = (
        service(world)
        .mark(world.actor("lead_instructor"), first.id, {visitor.id: A.ABSENT})
        .changed
    )
    assert mark.status is A.ABSENT


@pytest.mark.parametrize("marks", [{}, "bad"])
def test_no_marks_or_an_unknown_status_is_refused(class_of_two: World, marks: object) -> None:
    world = class_of_two
    on_session_day(world, world.sessions[0])
    given = marks if marks == {} else {world.child.id: marks}
    with pytest.raises(ValidationError):
        service(world).mark(world.actor("lead_instructor"), world.sessions[0].id, given)  # type: ignore[arg-type]


def test_a_status_given_as_text_is_accepted(class_of_two: World) -> None:
    world = class_of_two
    on_session_day(world, world.sessions[0])
    [mark] = (
        service(world)
        .mark(
            world.actor("lead_instructor"),
            world.sessions[0].id,
            {world.child.id: "late"},  # type: ignore[dict-item]
        )
        .changed
    )
    assert mark.status is A.LATE


def test_a_cancelled_session_cannot_be_marked(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    with world.uow() as uow:
        uow.sessions.get(first.id).cancel("storm warning")
        uow.commit()
    on_session_day(world, first)
    before = written(world)
    with pytest.raises(Conflict, match="cancelled"):
        service(world).mark(world.actor("super_admin"), first.id, {world.child.id: A.PRESENT})
    assert written(world) == before


def test_an_unknown_session_cannot_be_marked(class_of_two: World) -> None:
    with pytest.raises(NotFound):
        service(class_of_two).mark(
            class_of_two.actor("super_admin"), uuid4(), {class_of_two.child.id: A.PRESENT}
        )


# -- when marks may be given ------------------------------------------------------------------


def test_marks_open_on_the_session_day(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    svc, lead = service(world), world.actor("lead_instructor")
    world.clock.set(at(first.scheduled_date - timedelta(days=1), 23, 59, 59))
    with pytest.raises(Conflict, match="marks open that day"):
        svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    world.clock.set(at(first.scheduled_date, 0, 0))
    [mark] = svc.mark(lead, first.id, {world.child.id: A.PRESENT}).changed
    assert mark.status is A.PRESENT


def test_an_announced_absence_can_be_excused_ahead(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    world.clock.set(at(date(2026, 1, 28), 10, 0))
    [mark] = (
        service(world)
        .mark(world.actor("lead_instructor"), first.id, {world.child.id: A.EXCUSED})
        .changed
    )
    assert mark.status is A.EXCUSED
    assert not [e for e in world.published if isinstance(e, StudentMarkedAbsent)]


def test_the_edit_window_ends_24_hours_after_the_session(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    svc, lead = service(world), world.actor("lead_instructor")
    on_session_day(world, first)
    svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    end = at(first.scheduled_date, 17, 30)

    world.clock.set(end + timedelta(hours=24))  # the last moment of the window
    svc.mark(lead, first.id, {world.child.id: A.LATE})
    svc.mark(lead, first.id, {world.sibling.id: A.PRESENT})  # a first mark, still in time

    world.clock.advance(timedelta(seconds=1))
    before = written(world)
    with pytest.raises(Forbidden, match="campus manager"):
        svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    with pytest.raises(Forbidden):
        svc.mark(
            world.actor("teaching_assistant"),
            first.id,
            {world.child.id: A.PRESENT},
            approver=lead,
        )
    assert written(world) == before

    [mark] = svc.mark(world.actor("campus_manager"), first.id, {world.child.id: A.PRESENT}).changed
    assert mark.status is A.PRESENT
    world.clock.advance(timedelta(days=60))
    [mark] = svc.mark(world.actor("super_admin"), first.id, {world.child.id: A.LATE}).changed
    assert mark.status is A.LATE


def test_the_edit_window_follows_the_organisation_setting(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    with world.uow() as uow:
        org = uow.organisations.current()
        org.update(settings=m.OrganisationSettings(attendance_edit_window_hours=2))
        uow.commit()
    svc, lead = service(world), world.actor("lead_instructor")
    world.clock.set(at(first.scheduled_date, 19, 30))
    svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    world.clock.advance(timedelta(seconds=1))
    with pytest.raises(Forbidden):
        svc.mark(lead, first.id, {world.child.id: A.ABSENT})


# -- absences, excuses, tokens ----------------------------------------------------------------


def test_a_new_absence_records_the_event_for_the_family_alert(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    svc, lead = service(world), world.actor("lead_instructor")
    [mark] = svc.mark(lead, first.id, {world.child.id: A.ABSENT}).changed
    absences = [e for e in world.published if isinstance(e, StudentMarkedAbsent)]
    assert absences == [
        StudentMarkedAbsent(
            organisation_id=world.org_id,
            attendance_id=mark.id,
            session_id=first.id,
            student_id=world.child.id,
            family_id=world.family.id,
            session_end=at(first.scheduled_date, 17, 30),
        )
    ]
    svc.mark(lead, first.id, {world.child.id: Mark(status=A.ABSENT, notes="no word")})
    assert len([e for e in world.published if isinstance(e, StudentMarkedAbsent)]) == 1
    svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    svc.mark(lead, first.id, {world.child.id: A.ABSENT})
    assert len([e for e in world.published if isinstance(e, StudentMarkedAbsent)]) == 2


def test_an_excused_absence_issues_a_makeup_token(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    lead = world.actor("lead_instructor")
    service(world).mark(lead, first.id, {world.child.id: A.EXCUSED, world.sibling.id: A.PRESENT})
    with world.uow() as uow:
        [token] = uow.makeup_tokens.list_for_student(world.child.id)
        [enrolment] = uow.enrolments.list_for_student(world.child.id)
        audit = uow.audit.list_for_entity(token.id)
    assert token.source_session_id == first.id
    assert token.enrolment_id == enrolment.id
    assert enrolment.makeup_tokens == 1
    assert token.program_id == world.program.id
    assert token.issued_on == first.scheduled_date
    assert token.expires_on == first.scheduled_date + timedelta(days=90)
    assert [e.action for e in audit] == ["makeup_token.issue"]
    assert [e.token_id for e in world.published if isinstance(e, MakeupTokenIssued)] == [token.id]
    assert not [e for e in world.published if isinstance(e, StudentMarkedAbsent)]


def test_unexcusing_withdraws_the_unused_token(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    svc, lead = service(world), world.actor("lead_instructor")
    svc.mark(lead, first.id, {world.child.id: A.EXCUSED})
    svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    with world.uow() as uow:
        [token] = uow.makeup_tokens.list_for_student(world.child.id)
        [enrolment] = uow.enrolments.list_for_student(world.child.id)
    assert token.status is m.MakeupTokenStatus.WITHDRAWN
    assert enrolment.makeup_tokens == 0
    svc.mark(lead, first.id, {world.child.id: A.EXCUSED})  # excused again: a new token
    with world.uow() as uow:
        tokens = uow.makeup_tokens.list_for_student(
            world.child.id, status=m.MakeupTokenStatus.AVAILABLE
        )
    assert len(tokens) == 1


def test_an_excuse_whose_token_was_spent_cannot_be_changed(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    svc, lead = service(world), world.actor("lead_instructor")
    svc.mark(lead, first.id, {world.child.id: A.EXCUSED})
    with world.uow() as uow:
        [token] = uow.makeup_tokens.list_for_student(world.child.id)
        token.redeem(session_id=uuid4(), at=world.clock.now(), on=first.scheduled_date)
        uow.commit()
    before = written(world)
    with pytest.raises(Conflict, match="has been used"):
        svc.mark(lead, first.id, {world.child.id: A.PRESENT})
    assert written(world) == before


def test_an_excused_trial_visitor_gets_no_token(world: World) -> None:
    first = world.sessions[0]
    enrol(world, world.other_child, status=S.TRIAL, trial_session_id=first.id)
    on_session_day(world, first)
    [mark] = (
        service(world)
        .mark(world.actor("lead_instructor"), first.id, {world.other_child.id: A.EXCUSED})
        .changed
    )
    assert mark.status is A.EXCUSED
    assert world.store.count(m.MakeupToken) == 0


# -- teaching assistants ----------------------------------------------------------------------


def test_a_teaching_assistant_marks_with_the_lead_instructors_approval(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    ta, lead = world.actor("teaching_assistant"), world.actor("lead_instructor")
    [mark] = service(world).mark(ta, first.id, {world.child.id: A.PRESENT}, approver=lead).changed
    assert mark.recorded_by_staff_id == ta.staff_id
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(mark.id)
    assert entry.changes["approved_by"] == str(lead.staff_id)


@pytest.mark.parametrize(
    "approver", [None, "teaching_assistant", "other_instructor", "campus_manager", "super_admin"]
)
def test_a_teaching_assistant_without_the_leads_approval_is_refused(
    class_of_two: World, approver: str | None
) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    before = written(world)
    with pytest.raises(Forbidden):
        service(world).mark(
            world.actor("teaching_assistant"),
            first.id,
            {world.child.id: A.PRESENT},
            approver=None if approver is None else world.actor(approver),
        )
    assert written(world) == before


def test_a_deactivated_lead_cannot_approve(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    lead = world.actor("lead_instructor")
    with world.uow() as uow:
        uow.staff.get(lead.staff_id).update(is_active=False)
        uow.commit()
    with pytest.raises(Forbidden):
        service(world).mark(
            world.actor("teaching_assistant"), first.id, {world.child.id: A.PRESENT}, approver=lead
        )


def test_a_teaching_assistant_cannot_excuse_even_with_approval(class_of_two: World) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    before = written(world)
    with pytest.raises(Forbidden, match="excuse"):
        service(world).mark(
            world.actor("teaching_assistant"),
            first.id,
            {world.child.id: A.EXCUSED},
            approver=world.actor("lead_instructor"),
        )
    assert written(world) == before


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("super_admin", True),
        ("campus_manager", True),
        ("other_manager", False),
        ("lead_instructor", True),
        ("other_instructor", False),
        ("teaching_assistant", False),  # not without the lead's approval
        ("front_desk", False),
    ],
)
def test_who_may_take_attendance(class_of_two: World, who: str, allowed: bool) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    call = lambda: service(world).mark(world.actor(who), first.id, {world.child.id: A.PRESENT})  # noqa: E731
    if allowed:
        assert [a.status for a in call().changed] == [A.PRESENT]
    else:
        with pytest.raises(Forbidden):
            call()
        assert world.store.count(m.Attendance) == 0


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("super_admin", True),
        ("campus_manager", True),
        ("other_manager", False),
        ("lead_instructor", True),
        ("other_instructor", False),
        ("teaching_assistant", False),
        ("front_desk", False),
    ],
)
def test_who_may_excuse_an_absence(class_of_two: World, who: str, allowed: bool) -> None:
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    approver = world.actor("lead_instructor") if who == "teaching_assistant" else None
    call = lambda: service(world).mark(  # noqa: E731
        world.actor(who), first.id, {world.child.id: A.EXCUSED}, approver=approver
    )
    if allowed:
        call()
        assert world.store.count(m.MakeupToken) == 1
    else:
        with pytest.raises(Forbidden):
            call()
        assert world.store.count(m.MakeupToken) == 0


# -- rates ------------------------------------------------------------------------------------


def after_session(world: World, n: int) -> None:
    """Move the clock to just after session ``n`` (1-based) ended."""
    world.clock.set(at(world.sessions[n - 1].scheduled_date, 17, 30))


def test_attendance_rate_arithmetic() -> None:
    assert AttendanceRate(attended=2, held=3).rate == Decimal("0.6667")
    assert AttendanceRate(attended=1, held=6).rate == Decimal("0.1667")
    assert AttendanceRate(attended=3, held=3).rate == Decimal("1.0000")
    assert AttendanceRate(attended=0, held=0).rate is None
    assert AttendanceRate(attended=2, held=3).absent == 1


def test_student_rate_counts_present_late_over_sessions_held(class_of_two: World) -> None:
    world = class_of_two
    svc, lead = service(world), world.actor("lead_instructor")
    s1, s2, s3, s4 = world.sessions
    with world.uow() as uow:
        uow.sessions.get(s2.id).cancel("pool flooded")  # not held
        uow.commit()
    on_session_day(world, s1)
    svc.mark(lead, s1.id, {world.child.id: A.PRESENT, world.sibling.id: A.ABSENT})
    on_session_day(world, s3)
    svc.mark(lead, s3.id, {world.child.id: A.LATE})  # An unmarked: absent
    on_session_day(world, s4)
    svc.mark(lead, s4.id, {world.child.id: A.PRESENT, world.sibling.id: A.PRESENT})

    # s4 has started but not ended: not held yet
    rate = svc.rate_for_student(lead, world.child.id, world.cohort.id)
    assert (rate.attended, rate.held, rate.rate) == (2, 2, Decimal("1.0000"))
    assert svc.rate_for_student(lead, world.sibling.id).held == 2
    assert svc.rate_for_student(lead, world.sibling.id).attended == 0

    after_session(world, 4)
    assert svc.rate_for_student(lead, world.sibling.id).rate == Decimal("0.3333")
    cohort_rate = svc.rate_for_cohort(lead, world.cohort.id)
    assert (cohort_rate.attended, cohort_rate.held) == (4, 6)
    assert cohort_rate.rate == Decimal("0.6667")


def test_an_excused_absence_made_up_elsewhere_counts_as_attended(world: World) -> None:
    svc = service(world)
    # Zoe (of the Wednesday cohort) makes up at Monday's first session.
    visitor, home = makeup_visitor(world, world.sessions[0])
    after_session(world, 1)
    admin = world.actor("super_admin")
    wed = home.cohort_id
    # Wednesday's first session (4 Feb) has not been held yet: the makeup caps at 0 held
    assert svc.rate_for_student(admin, visitor.id, wed) == AttendanceRate(attended=0, held=0)
    world.clock.set(at(date(2026, 2, 4), 17, 30))
    assert svc.rate_for_student(admin, visitor.id, wed) == AttendanceRate(attended=1, held=1)
    # the visitor is not one of Monday's students
    assert svc.rate_for_cohort(admin, world.cohort.id) == AttendanceRate(attended=0, held=0)


def test_a_makeup_booked_ahead_counts_once_held(world: World) -> None:
    svc = service(world)
    visitor, home = makeup_visitor(world, world.sessions[1])  # Monday 9 Feb
    world.clock.set(at(date(2026, 2, 4), 17, 30))  # Wednesday's first held, Zoe unmarked
    admin = world.actor("super_admin")
    assert svc.rate_for_student(admin, visitor.id, home.cohort_id).attended == 0
    world.clock.set(at(date(2026, 2, 9), 17, 30))
    assert svc.rate_for_student(admin, visitor.id, home.cohort_id).attended == 1


def test_a_late_joiner_is_rated_from_their_start(world: World) -> None:
    enrol(world, world.child, start_date=date(2026, 2, 9))
    svc = service(world)
    after_session(world, 2)
    rate = svc.rate_for_student(world.actor("super_admin"), world.child.id)
    assert rate == AttendanceRate(attended=0, held=1)


def test_rates_of_a_student_never_on_a_roll(world: World) -> None:
    svc = service(world)
    assert svc.rate_for_student(world.actor("front_desk"), world.child.id).rate is None
    with pytest.raises(NotFound):
        svc.rate_for_student(world.actor("super_admin"), uuid4())
    with pytest.raises(NotFound):
        svc.rate_for_student(world.actor("super_admin"), world.child.id, uuid4())
    with pytest.raises(NotFound):
        svc.rate_for_cohort(world.actor("super_admin"), uuid4())


def test_rates_read_nothing_written(class_of_two: World) -> None:
    world = class_of_two
    after_session(world, 4)
    before = written(world)
    service(world).rate_for_cohort(world.actor("super_admin"), world.cohort.id)
    assert written(world) == before


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("super_admin", True),
        ("campus_manager", True),
        ("other_manager", False),
        ("lead_instructor", True),
        ("other_instructor", False),
        ("teaching_assistant", True),
        ("front_desk", True),
    ],
)
def test_who_may_see_attendance_rates(class_of_two: World, who: str, allowed: bool) -> None:
    world = class_of_two
    after_session(world, 1)
    svc, actor = service(world), world.actor(who)
    calls = [
        lambda: svc.rate_for_cohort(actor, world.cohort.id),
        lambda: svc.rate_for_student(actor, world.child.id),
        lambda: svc.rate_for_student(actor, world.child.id, world.cohort.id),
    ]
    for call in calls:
        if allowed:
            assert call().held >= 1
        else:
            with pytest.raises(Forbidden):
                call()


@pytest.mark.parametrize("marks", [{}, {"not a student": "present"}], ids=["none", "nonsense"])
def test_the_permission_is_checked_before_the_marks(
    class_of_two: World, marks: dict[object, object]
) -> None:
    """Somebody who may not mark this roll learns nothing about what would be valid."""
    world = class_of_two
    first = world.sessions[0]
    on_session_day(world, first)
    before = written(world)
    with pytest.raises(Forbidden):
        service(world).mark(world.actor("teaching_assistant"), first.id, marks)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        service(world).mark(world.actor("lead_instructor"), first.id, marks)  # type: ignore[arg-type]
    assert written(world) == before
