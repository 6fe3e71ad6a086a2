"""Learning context: skill trees and nodes, students' progress with its history, projects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core.errors import ValidationError
from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now


class SkillStatus(StrEnum):
    """SkillProgress.status."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    MASTERED = "mastered"


@attrs.define(slots=False, eq=False, kw_only=True)
class SkillTree(Entity):
    """A hierarchy of skills for a program (e.g. "Python Fundamentals")."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    name: str = attrs.field(validator=c.text(200))
    description: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))


@attrs.define(slots=False, eq=False, kw_only=True)
class SkillNode(Entity):
    """One skill in a tree. ``level`` is its depth (0 for a root), ``order`` its place among
    its siblings."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    skill_tree_id: UUID = attrs.field(validator=c.of_type(UUID))
    parent_node_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    name: str = attrs.field(validator=c.text(200))
    description: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    level: int = attrs.field(default=0, validator=c.whole_number(0, 100))
    order: int = attrs.field(default=0, validator=c.whole_number(0))
    badge_icon_url: str | None = attrs.field(default=None, validator=c.optional(c.http_url(500)))
    #: When the node was taken out of the tree; students' progress on it is kept.
    retired_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    @property
    def is_retired(self) -> bool:
        """True once the node was retired (it no longer shows in the tree)."""
        return self.retired_at is not None

    def retire(self, at: datetime) -> None:
        """Take the node out of the tree (no hard delete: progress on it stays)."""
        c.aware(self, attrs.fields(SkillNode).retired_at, at)
        if self.retired_at is None:
            self.retired_at = at

    def __attrs_post_init__(self) -> None:
        c.require(self.parent_node_id != self.id, "SkillNode.parent_node_id", "cannot be itself")
        c.require(
            (self.parent_node_id is None) == (self.level == 0),
            "SkillNode.level",
            "is 0 exactly for a root node (no parent)",
        )

    def child(self, *, name: str, order: int, description: str | None = None) -> SkillNode:
        """A new node under this one, one level deeper."""
        return SkillNode(
            organisation_id=self.organisation_id,
            skill_tree_id=self.skill_tree_id,
            parent_node_id=self.id,
            name=name,
            level=self.level + 1,
            order=order,
            description=description,
        )


@attrs.define(slots=False, eq=False, kw_only=True)
class SkillProgressChange(Entity):
    """One change of a student's status on a skill: who, when, from and to."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    skill_progress_id: UUID = attrs.field(validator=c.of_type(UUID))
    from_status: SkillStatus = attrs.field(validator=c.member_of(SkillStatus))
    to_status: SkillStatus = attrs.field(validator=c.member_of(SkillStatus))
    changed_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    changed_at: datetime = attrs.field(validator=c.aware)


@attrs.define(slots=False, eq=False, kw_only=True)
class SkillProgress(Entity):
    """A student's status on one skill node, with every change kept in ``history``.

    Use ``set_status``: it stamps ``mastered_at`` and appends the change, so the history
    always ends at the current status and a regression stays visible.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    student_id: UUID = attrs.field(validator=c.of_type(UUID))
    skill_node_id: UUID = attrs.field(validator=c.of_type(UUID))
    status: SkillStatus = attrs.field(
        default=SkillStatus.NOT_STARTED, validator=c.member_of(SkillStatus)
    )
    mastered_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    updated_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    notes: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    notes_visible_to_family: bool = attrs.field(default=False, validator=c.of_type(bool))
    history: list[SkillProgressChange] = attrs.field(factory=list)
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            (self.status is SkillStatus.MASTERED) == (self.mastered_at is not None),
            "SkillProgress.mastered_at",
            "is set exactly when the skill is mastered",
        )

    def set_status(self, status: SkillStatus, *, by: UUID | None, at: datetime) -> bool:
        """Move to ``status``; returns False (and records nothing) when it is unchanged."""
        c.member_of(SkillStatus)(self, attrs.fields(SkillProgress).status, status)
        c.aware(self, attrs.fields(SkillProgress).mastered_at, at)
        if status is self.status:
            return False
        self.history.append(
            SkillProgressChange(
                organisation_id=self.organisation_id,
                skill_progress_id=self.id,
                from_status=self.status,
                to_status=status,
                changed_by_staff_id=by,
                changed_at=at,
            )
        )
        self.status = status
        self.mastered_at = at if status is SkillStatus.MASTERED else None
        self.updated_by_staff_id = by
        return True


def _points(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    c.money()(instance, attribute, value)
    if not Decimal(0) < value < Decimal(1000):
        raise c.fail(instance, attribute, "must be more than 0 and less than 1000")


@attrs.frozen(kw_only=True)
class RubricCriterion:
    """One thing a project is marked on (e.g. "functionality") and its maximum points."""

    name: str = attrs.field(validator=c.text(100))
    max_points: Decimal = attrs.field(validator=_points)
    description: str | None = attrs.field(default=None, validator=c.optional(c.text(500)))


def _criteria(
    instance: object, attribute: attrs.Attribute[tuple[RubricCriterion, ...]], value: object
) -> None:
    if not isinstance(value, tuple) or not value:
        raise c.fail(instance, attribute, "needs at least one criterion")
    if not all(isinstance(item, RubricCriterion) for item in value):
        raise c.fail(instance, attribute, "must be RubricCriterion values")
    names = [item.name.strip().casefold() for item in value]
    if len(set(names)) != len(names):
        raise c.fail(instance, attribute, "criterion names must be unique")
    if sum(item.max_points for item in value) >= Decimal(1000):
        # a score is DECIMAL(5,2)
        raise c.fail(instance, attribute, "the maximum points must add up to less than 1000")


@attrs.frozen(kw_only=True)
class Rubric:
    """How projects are marked: criteria with their maximum points. A cohort's rubric
    overrides its program's. The score of a grading is the sum of the criteria's points."""

    criteria: tuple[RubricCriterion, ...] = attrs.field(converter=tuple, validator=_criteria)

    @property
    def max_score(self) -> Decimal:
        """The best possible score: every criterion's maximum."""
        return sum((item.max_points for item in self.criteria), Decimal("0.00"))

    def score(self, points: Mapping[str, Decimal]) -> Decimal:
        """The score for ``points`` (criterion name -> points): every criterion marked, none
        unknown, each between 0 and its maximum; raises ValidationError naming the criterion."""
        by_name = {item.name: item for item in self.criteria}
        for name in points:
            if name not in by_name:
                raise ValidationError(f"rubric_scores.{name}", "is not a criterion of the rubric")
        total = Decimal("0.00")
        for item in self.criteria:
            if item.name not in points:
                raise ValidationError(f"rubric_scores.{item.name}", "is missing")
            value = points[item.name]
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValidationError(f"rubric_scores.{item.name}", "must be a Decimal")
            if value < 0 or value > item.max_points:
                raise ValidationError(
                    f"rubric_scores.{item.name}",
                    f"must be between 0 and {item.max_points} (the criterion's maximum)",
                )
            if value != value.quantize(Decimal("0.01")):
                raise ValidationError(f"rubric_scores.{item.name}", "has more than 2 decimals")
            total += value
        return total.quantize(Decimal("0.01"))


def _score(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    # DECIMAL(5,2): 0.00 to 999.99
    c.money()(instance, attribute, value)
    if value >= Decimal(1000):
        raise c.fail(instance, attribute, "must be less than 1000")


def _rubric_scores(
    instance: object, attribute: attrs.Attribute[dict[str, Decimal]], value: object
) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, Decimal) and v >= 0
        for k, v in value.items()
    ):
        raise c.fail(instance, attribute, "must map criterion names to non-negative Decimals")


@attrs.define(slots=False, eq=False, kw_only=True)
class ProjectSubmission(Entity):
    """A student's project for a cohort, and its grade once marked."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    student_id: UUID = attrs.field(validator=c.of_type(UUID))
    cohort_id: UUID = attrs.field(validator=c.of_type(UUID))
    title: str = attrs.field(validator=c.text(200))
    description: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    project_url: str | None = attrs.field(default=None, validator=c.optional(c.http_url(500)))
    submitted_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    graded_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    score: Decimal | None = attrs.field(default=None, validator=c.optional(_score))
    rubric_scores: dict[str, Decimal] | None = attrs.field(
        default=None, validator=c.optional(_rubric_scores)
    )
    feedback: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    graded_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        graded = (self.score is not None, self.graded_at is not None)
        c.require(
            graded[0] == graded[1],
            "ProjectSubmission.graded_at",
            "a grade has both a score and the time it was given",
        )

    @property
    def is_graded(self) -> bool:
        """True once a score has been given."""
        return self.score is not None

    def grade(
        self,
        rubric: Rubric,
        points: Mapping[str, Decimal],
        *,
        by: UUID,
        at: datetime,
        feedback: str | None = None,
    ) -> None:
        """Mark the project with ``rubric``: the score is derived from ``points``; the grader
        and the time are stamped (a regrade replaces them; the audit keeps the old grade)."""
        score = rubric.score(points)
        self.update(
            rubric_scores=dict(points),
            score=score,
            feedback=feedback,
            graded_by_staff_id=by,
            graded_at=at,
        )
