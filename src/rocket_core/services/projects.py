"""Projects: rubrics, students' project submissions and their grading.

Who may do what (product-rules.md, "Staff permissions"):

- a program's rubric is curriculum, organisation-wide like the program itself:
  ``create cohorts, assign instructors`` (``Action.MANAGE_COHORTS``) with scope all, as in
  SchedulingService: super admins;
- a cohort's rubric, recording a submission and grading it: ``update skill progress, grade
  projects, learning notes`` (``Action.UPDATE_LEARNING``) for the cohort: super admins,
  campus managers at its campus, its lead instructors;
- reading submissions and rubrics: ``view skill progress`` (``Action.VIEW_PROGRESS``): also
  the cohort's teaching assistants.

Decisions where the rules are silent:

- **Which rubric.** A cohort's own rubric, else its program's (``rubric_for``). Setting None
  removes a rubric (the cohort then uses its program's). A rubric's best score stays
  below 1000 (scores are DECIMAL(5,2)): the Rubric itself refuses more.
- **Who can submit.** Staff record a submission for a student with a live or completed
  enrolment in the cohort (students and parents submit through the portal later).
- **Grading** needs a rubric; every criterion is marked (Rubric.score says which criterion
  is wrong as ``rubric_scores.<criterion>``). The score is derived from the points, the
  grader and the time are stamped. A regrade replaces the grade; its audit entry
  (``project.regrade``) keeps the score, points and feedback before and after. Grading again
  with the same points and feedback by the same grader writes nothing.
- **A student's submissions** are listed for the cohorts the actor may view; the actor must
  be able to view at least one cohort of the student (one with a live enrolment or a
  submission), super admins any.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import ValidationError
from rocket_core.model import Cohort, Program, ProjectSubmission, Rubric
from rocket_core.permissions import Action, Actor, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.progress import authorise_any, live_cohorts


def rubric_for(uow: UnitOfWork, cohort: Cohort) -> Rubric | None:
    """The rubric a cohort's projects are graded with: its own, else its program's."""
    if cohort.rubric is not None:
        return cohort.rubric
    return uow.programs.get(cohort.program_id).rubric


def _describe(rubric: Rubric | None) -> list[dict[str, Any]] | None:
    """A rubric for the audit: its criteria's names and maximum points."""
    if rubric is None:
        return None
    return [{"name": c.name, "max_points": c.max_points} for c in rubric.criteria]


class ProjectService(Service):
    """Rubrics, project submissions and grades."""

    def set_rubric(
        self,
        actor: Actor,
        rubric: Rubric | None,
        *,
        program_id: UUID | None = None,
        cohort_id: UUID | None = None,
    ) -> Program | Cohort:
        """Give a program (super admins) or a cohort (``Action.UPDATE_LEARNING`` for it)
        the rubric its projects are graded with; None removes it. Name exactly one of
        ``program_id`` and ``cohort_id``. Returns the program or cohort."""
        if rubric is not None and not isinstance(rubric, Rubric):
            raise ValidationError("rubric", "must be a Rubric")
        with self.transaction(actor) as uow:
            target: Program | Cohort
            if program_id is not None and cohort_id is None:
                target = uow.programs.get(program_id)
                authorise(actor, Action.MANAGE_COHORTS)
            elif cohort_id is not None and program_id is None:
                target = uow.cohorts.get(cohort_id)
                authorise(
                    actor, Action.UPDATE_LEARNING, campus_id=target.campus_id, cohort_id=target.id
                )
            else:
                raise ValidationError("cohort_id", "name exactly one of program_id and cohort_id")
            before = target.rubric
            if before == rubric:
                return target
            target.update(rubric=rubric)
            kind = "program" if isinstance(target, Program) else "cohort"
            self.audit(
                uow,
                actor,
                f"{kind}.rubric",
                target,
                f"Rubric of {target.name} "
                + (
                    "removed"
                    if rubric is None
                    else f"set: {', '.join(c.name for c in rubric.criteria)}"
                    f" (out of {rubric.max_score})"
                ),
                {"rubric": [_describe(before), _describe(rubric)]},
            )
            return target

    def rubric(self, actor: Actor, cohort_id: UUID) -> Rubric | None:
        """The rubric a cohort's projects are graded with (``Action.VIEW_PROGRESS``)."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(actor, Action.VIEW_PROGRESS, campus_id=cohort.campus_id, cohort_id=cohort.id)
            return rubric_for(uow, cohort)

    def submit(
        self,
        actor: Actor,
        student_id: UUID,
        cohort_id: UUID,
        title: str,
        project_url: str | None = None,
        description: str | None = None,
    ) -> ProjectSubmission:
        """Record a student's project for a cohort they are (or were, to its end) enrolled
        in; the URL must be http or https. ``Action.UPDATE_LEARNING`` for the cohort."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(
                actor, Action.UPDATE_LEARNING, campus_id=cohort.campus_id, cohort_id=cohort.id
            )
            student = uow.students.get(student_id)
            if not any(
                e.cohort_id == cohort.id and (e.is_live or e.status is EnrolmentStatus.COMPLETED)
                for e in uow.enrolments.list_for_student(student.id)
            ):
                raise ValidationError(
                    "ProjectSubmission.student_id",
                    f"{student.display_name} is not a student of {cohort.name}",
                )
            submission = ProjectSubmission(
                organisation_id=uow.organisation_id,
                student_id=student.id,
                cohort_id=cohort.id,
                title=title,
                description=description,
                project_url=project_url,
                submitted_at=self.clock.now(),
            )
            uow.projects.add(submission)
            self.audit(
                uow,
                actor,
                "project.submit",
                submission,
                f"Project {submission.title!r} of {student.display_name} submitted"
                f" for {cohort.name}",
                {
                    "student_id": student.id,
                    "cohort_id": cohort.id,
                    "title": submission.title,
                    "project_url": submission.project_url,
                },
            )
            return submission

    def grade(
        self,
        actor: Actor,
        submission_id: UUID,
        points: Mapping[str, Decimal],
        feedback: str | None = None,
    ) -> ProjectSubmission:
        """Grade a submission with its cohort's rubric: ``points`` per criterion, the score
        derived from them, grader and time stamped. A regrade is audited with the grade
        before and after. ``Action.UPDATE_LEARNING`` for the submission's cohort."""
        with self.transaction(actor) as uow:
            submission = uow.projects.get(submission_id)
            cohort = uow.cohorts.get(submission.cohort_id)
            authorise(
                actor, Action.UPDATE_LEARNING, campus_id=cohort.campus_id, cohort_id=cohort.id
            )
            rubric = rubric_for(uow, cohort)
            if rubric is None:
                raise ValidationError(
                    "Cohort.rubric",
                    f"neither {cohort.name} nor its program has a rubric to grade with",
                )
            score = rubric.score(points)
            before = {
                "score": submission.score,
                "rubric_scores": submission.rubric_scores,
                "feedback": submission.feedback,
                "graded_by_staff_id": submission.graded_by_staff_id,
            }
            if (
                submission.is_graded
                and before["score"] == score
                and before["rubric_scores"] == dict(points)
                and before["feedback"] == feedback
                and before["graded_by_staff_id"] == actor.staff_id
            ):
                return submission
            regrade = submission.is_graded
            submission.grade(
                rubric, points, by=actor.staff_id, at=self.clock.now(), feedback=feedback
            )
            after = {
                "score": submission.score,
                "rubric_scores": submission.rubric_scores,
                "feedback": submission.feedback,
                "graded_by_staff_id": submission.graded_by_staff_id,
            }
            changes = {
                key: [before[key], after[key]] for key in before if before[key] != after[key]
            }
            self.audit(
                uow,
                actor,
                "project.regrade" if regrade else "project.grade",
                submission,
                f"Project {submission.title!r} "
                + (
                    f"regraded: {before['score']} -> {submission.score}"
                    if regrade
                    else f"graded: {submission.score}"
                )
                + f" out of {rubric.max_score}",
                changes,
            )
            return submission

    def list_for_cohort(self, actor: Actor, cohort_id: UUID) -> list[ProjectSubmission]:
        """A cohort's submissions, oldest first (``Action.VIEW_PROGRESS``)."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(actor, Action.VIEW_PROGRESS, campus_id=cohort.campus_id, cohort_id=cohort.id)
            return uow.projects.list_for_cohort(cohort.id)

    def list_for_student(self, actor: Actor, student_id: UUID) -> list[ProjectSubmission]:
        """A student's submissions in the cohorts the actor may view, oldest first
        (``Action.VIEW_PROGRESS``; see the module docstring)."""
        with self.transaction(actor) as uow:
            if not actor.can(Action.VIEW_PROGRESS):
                authorise(actor, Action.VIEW_PROGRESS)
            student = uow.students.get(student_id)
            submissions = uow.projects.list_for_student(student.id)
            cohorts = {c.id: c for c in live_cohorts(uow, student.id)}
            missing = {s.cohort_id for s in submissions} - set(cohorts)
            cohorts.update({c.id: c for c in uow.cohorts.find_many(missing)})
            ordered = sorted(cohorts.values(), key=lambda c: str(c.id))
            allowed = {c.id for c in authorise_any(actor, Action.VIEW_PROGRESS, ordered)}
            return [s for s in submissions if s.cohort_id in allowed]
