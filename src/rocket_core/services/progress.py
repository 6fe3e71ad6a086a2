"""Skill progress: students' status on each skill, its history, and the progress report.

Who may do what (product-rules.md, "Staff permissions"):

- updating progress and learning notes: ``update skill progress, grade projects, learning
  notes`` (``Action.UPDATE_LEARNING``): super admins, campus managers at the campus, lead
  instructors of the cohort; teaching assistants and front desk may not;
- reading progress, its history and the report: ``view skill progress``
  (``Action.VIEW_PROGRESS``): also teaching assistants of the cohort; front desk may not.

A student's progress is reached through their cohorts: the ones in which they hold a live
enrolment (not completed, dropped or transferred). The actor's scope must cover one of those
cohorts (one at the actor's campus, or one the actor teaches); super admins need none.

Decisions where the rules are silent:

- **Which cohorts count for a skill.** A node belongs to one tree; the cohorts that count are
  the student's live cohorts whose program uses that tree. Updating a skill outside all of
  them is a ValidationError on SkillProgress.skill_node_id.
- **First touch.** A student has no record on a skill until it is first changed (it reads as
  not started). An update that changes nothing writes nothing: it returns the current record,
  or an unsaved not-started one when there is none.
- **Notes.** ``notes=None`` keeps the note, ``""`` clears it; ``notes_visible_to_family=None``
  keeps the flag. A new note is private to staff unless it is made visible. The audit records
  that a note changed and its visibility, not its text (notes can hold personal details).
- **Retired skills** keep their progress and history but refuse updates (Conflict).
- **The report** has one section per skill tree of the student's live cohorts that the actor
  may view (two cohorts of one tree give one section). It lists the live nodes in tree order;
  per top-level topic (a root node) the mastered nodes and the total of its live subtree, the
  root itself included; and the next skills: the first ``next_count`` live leaves (nodes with
  no live children) in tree order that are not mastered, because a topic is mastered through
  its skills. ``for_family=True`` drops the notes that are private to staff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.model import (
    Cohort,
    SkillNode,
    SkillProgress,
    SkillProgressChange,
    SkillStatus,
    Student,
)
from rocket_core.permissions import Action, Actor, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.skills import tree_order


@attrs.frozen(kw_only=True)
class NodeProgress:
    """One live skill of a report with the student's status on it."""

    node_id: UUID
    parent_node_id: UUID | None
    name: str
    level: int
    status: SkillStatus
    mastered_at: datetime | None = None
    notes: str | None = None
    notes_visible_to_family: bool = False


@attrs.frozen(kw_only=True)
class TopicProgress:
    """A top-level topic (root node): mastered nodes and all live nodes of its subtree."""

    node_id: UUID
    name: str
    mastered: int
    total: int


@attrs.frozen(kw_only=True)
class TreeProgress:
    """A student's progress through one skill tree."""

    skill_tree_id: UUID
    name: str
    cohort_ids: tuple[UUID, ...]
    nodes: tuple[NodeProgress, ...]
    topics: tuple[TopicProgress, ...]
    next_skills: tuple[NodeProgress, ...]


@attrs.frozen(kw_only=True)
class ProgressReport:
    """A student's progress report: one section per skill tree of their live cohorts."""

    student_id: UUID
    student_name: str
    for_family: bool
    trees: tuple[TreeProgress, ...]


# -- scope helpers (also used by the projects module) -------------------------------------


def may(actor: Actor, action: Action, cohort: Cohort) -> bool:
    """Whether ``actor`` may do ``action`` for ``cohort`` (its campus, or teaching it)."""
    try:
        authorise(actor, action, campus_id=cohort.campus_id, cohort_id=cohort.id)
    except Forbidden:
        return False
    return True


def authorise_any(actor: Actor, action: Action, cohorts: Iterable[Cohort]) -> list[Cohort]:
    """The cohorts among ``cohorts`` for which ``actor`` may do ``action``; Forbidden when
    there is none, unless the actor's scope is the whole organisation."""
    allowed = [cohort for cohort in cohorts if may(actor, action, cohort)]
    if not allowed:
        authorise(actor, action)  # passes for scope "all" only
    return allowed


def live_cohorts(uow: UnitOfWork, student_id: UUID) -> list[Cohort]:
    """The cohorts in which the student holds a live enrolment, in a stable order."""
    ids = {e.cohort_id for e in uow.enrolments.list_for_student(student_id) if e.is_live}
    return sorted(uow.cohorts.find_many(ids), key=lambda c: (c.start_date, c.name, str(c.id)))


def _cohorts_by_tree(uow: UnitOfWork, cohorts: list[Cohort]) -> dict[UUID, list[Cohort]]:
    """``cohorts`` grouped by the skill tree of their program (cohorts without one dropped)."""
    programs = {p.id: p for p in uow.programs.find_many({c.program_id for c in cohorts})}
    grouped: dict[UUID, list[Cohort]] = {}
    for cohort in cohorts:
        program = programs.get(cohort.program_id)
        if program is not None and program.skill_tree_id is not None:
            grouped.setdefault(program.skill_tree_id, []).append(cohort)
    return grouped


def _status(value: SkillStatus | str) -> SkillStatus:
    try:
        return SkillStatus(value)
    except ValueError:
        raise ValidationError(
            "SkillProgress.status",
            f"{value!r} is not one of {', '.join(s.value for s in SkillStatus)}",
        ) from None


def _refuse_retired(node: SkillNode) -> None:
    if node.is_retired:
        raise Conflict(f"skill {node.name!r} is retired: its progress can no longer change")


class ProgressService(Service):
    """Skill progress of students: updates one at a time or a whole roll, history, reports."""

    def update(
        self,
        actor: Actor,
        student_id: UUID,
        node_id: UUID,
        status: SkillStatus | str,
        notes: str | None = None,
        notes_visible_to_family: bool | None = None,
    ) -> SkillProgress:
        """Set a student's status on a skill (and optionally the note and its visibility).
        The record is created on first touch; each status change is kept in its history
        (who, when, from, to) and ``mastered_at`` is stamped. ``Action.UPDATE_LEARNING`` for
        one of the student's live cohorts whose program uses the skill's tree."""
        wanted = _status(status)
        with self.transaction(actor) as uow:
            if not actor.can(Action.UPDATE_LEARNING):
                authorise(actor, Action.UPDATE_LEARNING)
            student = uow.students.get(student_id)
            node = uow.skill_nodes.get(node_id)
            cohorts = _cohorts_by_tree(uow, live_cohorts(uow, student.id)).get(
                node.skill_tree_id, []
            )
            if not cohorts:
                raise ValidationError(
                    "SkillProgress.skill_node_id",
                    f"skill {node.name!r} is not in the skill tree of a cohort"
                    f" {student.display_name} is enrolled in",
                )
            authorise_any(actor, Action.UPDATE_LEARNING, cohorts)
            _refuse_retired(node)
            progress = uow.skill_progress.find_for(student.id, node.id)
            is_new = progress is None
            if progress is None:
                progress = self._new(uow, student.id, node.id)
            note_changes: dict[str, Any] = {}
            if notes is not None:
                note_changes["notes"] = (
                    None if isinstance(notes, str) and not notes.strip() else notes
                )
            if notes_visible_to_family is not None:
                note_changes["notes_visible_to_family"] = notes_visible_to_family
            diff = {
                name: [getattr(progress, name), value]
                for name, value in note_changes.items()
                if getattr(progress, name) != value
            }
            if diff:
                progress.update(**note_changes, updated_by_staff_id=actor.staff_id)
            before = progress.status
            moved = progress.set_status(wanted, by=actor.staff_id, at=self.clock.now())
            if not moved and not diff:
                return progress
            if is_new:
                uow.skill_progress.add(progress)
            self._audit(uow, actor, progress, student, node, before, diff)
            return progress

    def update_roll(
        self,
        actor: Actor,
        cohort_id: UUID,
        node_id: UUID,
        statuses: Mapping[UUID, SkillStatus | str],
    ) -> list[SkillProgress]:
        """Set many students' status on one skill at once, in one transaction: all of them
        are saved, or none. Every student must hold a live enrolment in the cohort and the
        skill must be in the tree of the cohort's program (``Action.UPDATE_LEARNING`` for the
        cohort). Returns the records that changed, by student name."""
        wanted = {student_id: _status(value) for student_id, value in statuses.items()}
        if not wanted:
            raise ValidationError("statuses", "must name at least one student")
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(
                actor, Action.UPDATE_LEARNING, campus_id=cohort.campus_id, cohort_id=cohort.id
            )
            node = uow.skill_nodes.get(node_id)
            program = uow.programs.get(cohort.program_id)
            if program.skill_tree_id != node.skill_tree_id:
                raise ValidationError(
                    "SkillProgress.skill_node_id",
                    f"skill {node.name!r} is not in the skill tree of {program.name}",
                )
            _refuse_retired(node)
            students = {s.id: s for s in uow.students.find_many(wanted)}
            for student_id in wanted:
                if student_id not in students:
                    raise NotFound("Student", student_id)
            members = {e.student_id for e in uow.enrolments.list_for_cohort(cohort.id) if e.is_live}
            for student in sorted(students.values(), key=_by_name):
                if student.id not in members:
                    raise ValidationError(
                        "SkillProgress.student_id",
                        f"{student.display_name} holds no live enrolment in {cohort.name}",
                    )
            records = {
                p.student_id: p for p in uow.skill_progress.list_for_node(node.id, list(wanted))
            }
            now = self.clock.now()
            changed: list[SkillProgress] = []
            for student in sorted(students.values(), key=_by_name):
                progress = records.get(student.id)
                is_new = progress is None
                if progress is None:
                    progress = self._new(uow, student.id, node.id)
                before = progress.status
                if not progress.set_status(wanted[student.id], by=actor.staff_id, at=now):
                    continue
                if is_new:
                    uow.skill_progress.add(progress)
                self._audit(uow, actor, progress, student, node, before, {})
                changed.append(progress)
            return changed

    def history(
        self, actor: Actor, student_id: UUID, node_id: UUID
    ) -> tuple[SkillProgressChange, ...]:
        """Every status change of a student on a skill, oldest first (empty when never
        touched). ``Action.VIEW_PROGRESS`` for one of the student's live cohorts whose
        program uses the skill's tree (super admins: any)."""
        with self.transaction(actor) as uow:
            if not actor.can(Action.VIEW_PROGRESS):
                authorise(actor, Action.VIEW_PROGRESS)
            student = uow.students.get(student_id)
            node = uow.skill_nodes.get(node_id)
            cohorts = _cohorts_by_tree(uow, live_cohorts(uow, student.id)).get(
                node.skill_tree_id, []
            )
            authorise_any(actor, Action.VIEW_PROGRESS, cohorts)
            progress = uow.skill_progress.find_for(student.id, node.id)
            if progress is None:
                return ()
            return tuple(sorted(progress.history, key=lambda change: change.changed_at))

    def report(
        self,
        actor: Actor,
        student_id: UUID,
        next_count: int = 3,
        *,
        for_family: bool = False,
    ) -> ProgressReport:
        """The student's progress report (see the module docstring): per skill tree of the
        live cohorts the actor may view, each live node with its status, mastered counts
        per top-level topic and the next ``next_count`` skills. ``for_family`` leaves out
        the notes private to staff. ``Action.VIEW_PROGRESS``."""
        if isinstance(next_count, bool) or not isinstance(next_count, int) or next_count < 0:
            raise ValidationError("next_count", "must be a whole number, 0 or more")
        with self.transaction(actor) as uow:
            if not actor.can(Action.VIEW_PROGRESS):
                authorise(actor, Action.VIEW_PROGRESS)
            student = uow.students.get(student_id)
            visible = authorise_any(actor, Action.VIEW_PROGRESS, live_cohorts(uow, student.id))
            records = {p.skill_node_id: p for p in uow.skill_progress.list_for_student(student.id)}
            sections = []
            by_tree = _cohorts_by_tree(uow, visible)
            trees = {t.id: t for t in uow.skill_trees.find_many(list(by_tree))}
            for tree_id, cohorts in by_tree.items():
                tree = trees.get(tree_id)
                if tree is None:
                    continue
                nodes = tree_order(uow.skill_nodes.list_for_tree(tree.id))
                lines = [_line(node, records.get(node.id), for_family) for node in nodes]
                sections.append(
                    TreeProgress(
                        skill_tree_id=tree.id,
                        name=tree.name,
                        cohort_ids=tuple(c.id for c in cohorts),
                        nodes=tuple(lines),
                        topics=_topics(lines),
                        next_skills=_next(lines, next_count),
                    )
                )
            return ProgressReport(
                student_id=student.id,
                student_name=student.display_name,
                for_family=for_family,
                trees=tuple(sections),
            )

    # -- helpers ----------------------------------------------------------------------------

    def _new(self, uow: UnitOfWork, student_id: UUID, node_id: UUID) -> SkillProgress:
        """A not-started record (not added yet: only if something changes)."""
        return SkillProgress(
            organisation_id=uow.organisation_id,
            student_id=student_id,
            skill_node_id=node_id,
            created_at=self.clock.now(),
        )

    def _audit(
        self,
        uow: UnitOfWork,
        actor: Actor,
        progress: SkillProgress,
        student: Student,
        node: SkillNode,
        before: SkillStatus,
        note_diff: dict[str, list[Any]],
    ) -> None:
        changes: dict[str, Any] = {"student_id": student.id, "skill_node_id": node.id}
        if progress.status is not before:
            changes["status"] = [before, progress.status]
        if "notes" in note_diff:
            changes["notes"] = "changed" if progress.notes is not None else "cleared"
        if "notes_visible_to_family" in note_diff:
            changes["notes_visible_to_family"] = note_diff["notes_visible_to_family"]
        if progress.status is before:
            what = "notes changed"
        else:
            what = f"{progress.status.value} (was {before.value})"
        self.audit(
            uow,
            actor,
            "skill_progress.update",
            progress,
            f"{student.display_name} on {node.name}: {what}",
            changes,
        )


def _by_name(student: Student) -> tuple[tuple[str, str], str]:
    return (student.sort_key, str(student.id))


def _line(node: SkillNode, record: SkillProgress | None, for_family: bool) -> NodeProgress:
    if record is None:
        return NodeProgress(
            node_id=node.id,
            parent_node_id=node.parent_node_id,
            name=node.name,
            level=node.level,
            status=SkillStatus.NOT_STARTED,
        )
    hidden = for_family and not record.notes_visible_to_family
    return NodeProgress(
        node_id=node.id,
        parent_node_id=node.parent_node_id,
        name=node.name,
        level=node.level,
        status=record.status,
        mastered_at=record.mastered_at,
        notes=None if hidden else record.notes,
        notes_visible_to_family=record.notes_visible_to_family,
    )


def _topics(lines: list[NodeProgress]) -> tuple[TopicProgress, ...]:
    """Per root (lines are in tree order, so a subtree follows its root until the next
    root): mastered and total live nodes, the root included."""
    topics: list[TopicProgress] = []
    for line in lines:
        if line.parent_node_id is None:
            topics.append(TopicProgress(node_id=line.node_id, name=line.name, mastered=0, total=0))
        current = topics[-1]
        topics[-1] = attrs.evolve(
            current,
            mastered=current.mastered + (line.status is SkillStatus.MASTERED),
            total=current.total + 1,
        )
    return tuple(topics)


def _next(lines: list[NodeProgress], count: int) -> tuple[NodeProgress, ...]:
    """The first ``count`` live leaves in tree order that are not mastered."""
    parents = {line.parent_node_id for line in lines}
    leaves = [
        line
        for line in lines
        if line.node_id not in parents and line.status is not SkillStatus.MASTERED
    ]
    return tuple(leaves[:count])
