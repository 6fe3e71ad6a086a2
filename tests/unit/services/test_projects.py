"""ProjectService: rubrics on programs and cohorts, project submissions, grading and
regrading, and the lists of submissions per cohort and per student."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, snapshot, walk
from tests.unit.services.test_enrolment import active, add_student, audit_entries, refused
from tests.unit.services.test_enrolment import service as enrolments
from tests.unit.services.test_progress import UPDATES, VIEWS, python_class
from tests.unit.services.test_skills import CURRICULUM, admin

from rocket_core import model as m
from rocket_core.errors import Forbidden, NotFound, ValidationError
from rocket_core.services.projects import ProjectService

D = Decimal
RUBRIC = m.Rubric(
    criteria=(
        m.RubricCriterion(name="functionality", max_points=D("10.00")),
        m.RubricCriterion(name="code_quality", max_points=D("10.00")),
        m.RubricCriterion(name="creativity", max_points=D("5.00")),
    )
)
COHORT_RUBRIC = m.Rubric(criteria=(m.RubricCriterion(name="presentation", max_points=D("20")),))
POINTS = {"functionality": D("8"), "code_quality": D("7.5"), "creativity": D("5")}


def projects(world: World) -> ProjectService:
    return ProjectService(world.make_uow, world.clock, world.bus)


def load_program(world: World) -> m.Program:
    with world.uow() as uow:
        return uow.programs.get(world.program.id)


def load_cohort(world: World, cohort_id: UUID | None = None) -> m.Cohort:
    with world.uow() as uow:
        return uow.cohorts.get(cohort_id or world.cohort.id)


def load_submission(world: World, submission_id: UUID) -> m.ProjectSubmission:
    with world.uow() as uow:
        return uow.projects.get(submission_id)


def submitted(world: World, *, rubric: bool = True) -> m.ProjectSubmission:
    """The world's child, active in the world's cohort, submitted a project (graded with the
    program's RUBRIC unless ``rubric`` is False)."""
    active(world, world.child)
    if rubric:
        projects(world).set_rubric(admin(world), RUBRIC, program_id=world.program.id)
    return projects(world).submit(
        admin(world), world.child.id, world.cohort.id, "Maze game", "https://scratch.mit.edu/1"
    )


# -- rubrics -------------------------------------------------------------------------------


def test_a_program_rubric_is_set_with_an_audit(world: World) -> None:
    program = projects(world).set_rubric(admin(world), RUBRIC, program_id=world.program.id)
    assert isinstance(program, m.Program)
    assert load_program(world).rubric == RUBRIC
    (entry,) = audit_entries(world, world.program.id)
    assert entry.action == "program.rubric"
    assert entry.changes["rubric"][0] is None
    assert entry.changes["rubric"][1][2] == {"name": "creativity", "max_points": "5.00"}
    before = snapshot(world)
    projects(world).set_rubric(admin(world), RUBRIC, program_id=world.program.id)
    assert snapshot(world) == before


def test_a_cohort_rubric_overrides_the_programs_until_removed(world: World) -> None:
    lead = world.actor("lead_instructor")
    projects(world).set_rubric(admin(world), RUBRIC, program_id=world.program.id)
    assert projects(world).rubric(lead, world.cohort.id) == RUBRIC
    projects(world).set_rubric(lead, COHORT_RUBRIC, cohort_id=world.cohort.id)
    assert load_cohort(world).rubric == COHORT_RUBRIC
    assert (
        projects(world).rubric(world.actor("teaching_assistant"), world.cohort.id) == COHORT_RUBRIC
    )
    projects(world).set_rubric(lead, None, cohort_id=world.cohort.id)
    assert load_cohort(world).rubric is None
    assert projects(world).rubric(lead, world.cohort.id) == RUBRIC
    assert [e.action for e in audit_entries(world, world.cohort.id)] == [
        "cohort.rubric",
        "cohort.rubric",
    ]


def test_no_rubric_anywhere_reads_as_none(world: World) -> None:
    assert projects(world).rubric(admin(world), world.cohort.id) is None


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "cohort_id"),
        ({"program_id": "program", "cohort_id": "cohort"}, "cohort_id"),
        ({"program_id": "program", "rubric": "functionality: 10"}, "rubric"),
    ],
)
def test_bad_rubric_requests_are_refused(world: World, options: dict[str, Any], field: str) -> None:
    ids = {"program": world.program.id, "cohort": world.cohort.id}
    kwargs = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in options.items()}
    rubric = kwargs.pop("rubric", RUBRIC)
    error = refused(
        world, ValidationError, lambda: projects(world).set_rubric(admin(world), rubric, **kwargs)
    )
    assert isinstance(error, ValidationError)
    assert error.field == field


def test_rubrics_of_unknown_programs_or_cohorts_are_not_found(world: World) -> None:
    refused(
        world,
        NotFound,
        lambda: projects(world).set_rubric(admin(world), RUBRIC, program_id=uuid4()),
    )
    refused(
        world, NotFound, lambda: projects(world).set_rubric(admin(world), RUBRIC, cohort_id=uuid4())
    )


# -- submissions ---------------------------------------------------------------------------


def test_a_project_is_submitted_for_a_student_of_the_cohort(world: World) -> None:
    active(world, world.child)
    submission = projects(world).submit(
        world.actor("lead_instructor"),
        world.child.id,
        world.cohort.id,
        "Maze game",
        "https://scratch.mit.edu/projects/1",
        "Arrow keys move the cat",
    )
    stored = load_submission(world, submission.id)
    assert (stored.student_id, stored.cohort_id, stored.title, stored.project_url) == (
        world.child.id,
        world.cohort.id,
        "Maze game",
        "https://scratch.mit.edu/projects/1",
    )
    assert (stored.description, stored.submitted_at, stored.is_graded) == (
        "Arrow keys move the cat",
        world.clock.now(),
        False,
    )
    assert [e.action for e in audit_entries(world, submission.id)] == ["project.submit"]


def test_a_student_who_completed_the_cohort_may_still_submit(world: World) -> None:
    enrolment = active(world, world.child)
    enrolments(world).complete(admin(world), enrolment.id, on=world.cohort.end_date)
    projects(world).submit(admin(world), world.child.id, world.cohort.id, "Final project")


@pytest.mark.parametrize(
    "url", ["ftp://files.example/game.sb3", "javascript:alert(1)", "scratch.mit.edu/1", ""]
)
def test_a_project_url_must_be_http_or_https(world: World, url: str) -> None:
    active(world, world.child)
    error = refused(
        world,
        ValidationError,
        lambda: projects(world).submit(admin(world), world.child.id, world.cohort.id, "Game", url),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "ProjectSubmission.project_url"


def test_bad_submissions_are_refused(world: World) -> None:
    enrolment = active(world, world.child)
    outsider = add_student(world)

    def submit(student: UUID, cohort: UUID, title: str = "Game") -> Any:
        return lambda: projects(world).submit(admin(world), student, cohort, title)

    error = refused(world, ValidationError, submit(outsider.id, world.cohort.id), "not a student")
    assert isinstance(error, ValidationError)
    assert error.field == "ProjectSubmission.student_id"
    error = refused(world, ValidationError, submit(world.child.id, world.cohort.id, " "))
    assert isinstance(error, ValidationError)
    assert error.field == "ProjectSubmission.title"
    refused(world, NotFound, submit(uuid4(), world.cohort.id), "Student")
    refused(world, NotFound, submit(world.child.id, uuid4()), "Cohort")
    enrolments(world).drop(admin(world), enrolment.id, on=date(2026, 2, 10), reason="Moved")
    refused(world, ValidationError, submit(world.child.id, world.cohort.id), "not a student")


# -- grading -------------------------------------------------------------------------------


def test_grading_derives_the_score_and_stamps_the_grader(world: World) -> None:
    submission = submitted(world)
    lead = world.actor("lead_instructor")
    graded = projects(world).grade(lead, submission.id, POINTS, "Great maze!")
    stored = load_submission(world, graded.id)
    assert stored.score == D("20.50")
    assert stored.rubric_scores == POINTS
    assert (stored.feedback, stored.graded_by_staff_id, stored.graded_at) == (
        "Great maze!",
        lead.staff_id,
        world.clock.now(),
    )
    entry = audit_entries(world, submission.id)[-1]
    assert entry.action == "project.grade"
    assert entry.changes["score"] == [None, "20.50"]


def test_a_regrade_is_audited_with_the_grade_before_and_after(world: World) -> None:
    submission = submitted(world)
    projects(world).grade(world.actor("lead_instructor"), submission.id, POINTS)
    regraded = projects(world).grade(
        world.actor("campus_manager"), submission.id, {**POINTS, "creativity": D("2")}, "Redone"
    )
    assert regraded.score == D("17.50")
    assert regraded.graded_by_staff_id == world.staff["campus_manager"].id
    entry = audit_entries(world, submission.id)[-1]
    assert entry.action == "project.regrade"
    assert entry.changes["score"] == ["20.50", "17.50"]
    assert entry.changes["rubric_scores"][0]["creativity"] == "5"
    assert entry.changes["rubric_scores"][1]["creativity"] == "2"
    assert entry.changes["feedback"] == [None, "Redone"]
    assert entry.changes["graded_by_staff_id"] == [
        str(world.staff["lead_instructor"].id),
        str(world.staff["campus_manager"].id),
    ]
    before = snapshot(world)
    projects(world).grade(
        world.actor("campus_manager"), submission.id, {**POINTS, "creativity": D("2")}, "Redone"
    )
    assert snapshot(world) == before


def test_the_cohort_rubric_is_used_when_there_is_one(world: World) -> None:
    submission = submitted(world)
    projects(world).set_rubric(admin(world), COHORT_RUBRIC, cohort_id=world.cohort.id)
    refused(
        world,
        ValidationError,
        lambda: projects(world).grade(admin(world), submission.id, POINTS),
        "not a criterion",
    )
    graded = projects(world).grade(admin(world), submission.id, {"presentation": D("19")})
    assert graded.score == D("19.00")


@pytest.mark.parametrize(
    ("points", "field", "words"),
    [
        ({**POINTS, "creativity": D("5.01")}, "rubric_scores.creativity", "between 0 and 5.00"),
        ({**POINTS, "functionality": D("-1")}, "rubric_scores.functionality", "between 0"),
        ({"functionality": D("8"), "creativity": D("5")}, "rubric_scores.code_quality", "missing"),
        ({**POINTS, "style": D("1")}, "rubric_scores.style", "not a criterion"),
        ({**POINTS, "creativity": 4.5}, "rubric_scores.creativity", "Decimal"),
        ({**POINTS, "creativity": D("4.555")}, "rubric_scores.creativity", "2 decimals"),
    ],
)
def test_bad_points_are_refused_naming_the_criterion(
    world: World, points: dict[str, Any], field: str, words: str
) -> None:
    submission = submitted(world)
    error = refused(
        world,
        ValidationError,
        lambda: projects(world).grade(admin(world), submission.id, points),
        words,
    )
    assert isinstance(error, ValidationError)
    assert error.field == field


def test_grading_needs_a_rubric(world: World) -> None:
    submission = submitted(world, rubric=False)
    error = refused(
        world,
        ValidationError,
        lambda: projects(world).grade(admin(world), submission.id, POINTS),
        "has a rubric",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Cohort.rubric"
    refused(world, NotFound, lambda: projects(world).grade(admin(world), uuid4(), POINTS))


# -- lists ---------------------------------------------------------------------------------


def test_submissions_are_listed_per_cohort_and_per_student_within_scope(world: World) -> None:
    werribee = submitted(world)
    python = python_class(world, world.child)
    world.clock.advance(timedelta(hours=1))
    geelong = projects(world).submit(admin(world), world.child.id, python.cohort.id, "Calculator")
    assert [s.id for s in projects(world).list_for_cohort(admin(world), world.cohort.id)] == [
        werribee.id
    ]
    everything = projects(world).list_for_student(admin(world), world.child.id)
    assert [s.id for s in everything] == [werribee.id, geelong.id]
    mine = projects(world).list_for_student(world.actor("teaching_assistant"), world.child.id)
    assert [s.id for s in mine] == [werribee.id]
    theirs = projects(world).list_for_student(world.actor("other_manager"), world.child.id)
    assert [s.id for s in theirs] == [geelong.id]
    with pytest.raises(Forbidden):
        projects(world).list_for_student(world.actor("other_instructor"), world.sibling.id)
    with pytest.raises(Forbidden):
        projects(world).list_for_cohort(world.actor("other_instructor"), world.cohort.id)


def test_a_former_students_submissions_stay_visible_to_their_cohorts_staff(world: World) -> None:
    submission = submitted(world)
    with world.uow() as uow:
        enrolment = uow.enrolments.find_live(world.child.id, world.cohort.id)
    assert enrolment is not None
    enrolments(world).complete(admin(world), enrolment.id, on=world.cohort.end_date)
    lead = world.actor("lead_instructor")
    assert [s.id for s in projects(world).list_for_student(lead, world.child.id)] == [submission.id]


# -- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_who_may_set_a_program_rubric(world: World, who: str) -> None:
    walk(
        world,
        who,
        CURRICULUM,
        lambda a: projects(world).set_rubric(a, RUBRIC, program_id=world.program.id),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_set_a_cohort_rubric(world: World, who: str) -> None:
    walk(
        world,
        who,
        UPDATES,
        lambda a: projects(world).set_rubric(a, RUBRIC, cohort_id=world.cohort.id),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_a_cohorts_rubric(world: World, who: str) -> None:
    walk(world, who, VIEWS, lambda a: projects(world).rubric(a, world.cohort.id))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_submit(world: World, who: str) -> None:
    active(world, world.child)
    walk(
        world,
        who,
        UPDATES,
        lambda a: projects(world).submit(a, world.child.id, world.cohort.id, "Game"),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_grade(world: World, who: str) -> None:
    submission = submitted(world)
    walk(world, who, UPDATES, lambda a: projects(world).grade(a, submission.id, POINTS))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_list_a_cohorts_submissions(world: World, who: str) -> None:
    submitted(world)
    walk(world, who, VIEWS, lambda a: projects(world).list_for_cohort(a, world.cohort.id))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_list_a_students_submissions(world: World, who: str) -> None:
    submitted(world)
    walk(world, who, VIEWS, lambda a: projects(world).list_for_student(a, world.child.id))
