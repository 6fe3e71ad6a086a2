"""Model rules of rubrics (criteria and their maximum points, the derived score) and of
grading a project submission with one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import given

from rocket_core.errors import ValidationError
from rocket_core.model import ProjectSubmission, Rubric, RubricCriterion

D = Decimal
AT = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def rubric(*maxima: tuple[str, str]) -> Rubric:
    return Rubric(criteria=tuple(RubricCriterion(name=n, max_points=D(p)) for n, p in maxima))


GAME = rubric(("functionality", "10"), ("code_quality", "10"), ("creativity", "5"))


def submission() -> ProjectSubmission:
    return ProjectSubmission(
        organisation_id=uuid4(), student_id=uuid4(), cohort_id=uuid4(), title="Maze game"
    )


# -- criteria ------------------------------------------------------------------------------


@pytest.mark.parametrize("points", [D("0"), D("-1"), D("1000"), D("1.005"), 5, 5.0, D("NaN")])
def test_a_criterions_maximum_is_a_positive_amount_below_1000(points: Any) -> None:
    with pytest.raises(ValidationError) as info:
        RubricCriterion(name="creativity", max_points=points)
    assert info.value.field == "RubricCriterion.max_points"


def test_maxima_from_a_cent_to_999_99_are_accepted() -> None:
    assert RubricCriterion(name="a", max_points=D("0.01")).max_points == D("0.01")
    assert RubricCriterion(name="a", max_points=D("999.99")).max_points == D("999.99")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, None])
def test_a_criterion_has_a_name_of_at_most_100_characters(name: Any) -> None:
    with pytest.raises(ValidationError) as info:
        RubricCriterion(name=name, max_points=D("10"))
    assert info.value.field == "RubricCriterion.name"


# -- rubrics -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criteria", "words"),
    [
        ((), "at least one"),
        (
            (
                RubricCriterion(name="Creativity", max_points=D("5")),
                RubricCriterion(name=" creativity ", max_points=D("3")),
            ),
            "unique",
        ),
        (({"name": "creativity", "max_points": D("5")},), "RubricCriterion"),
    ],
)
def test_a_rubric_has_uniquely_named_criteria(criteria: Any, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        Rubric(criteria=criteria)
    assert info.value.field == "Rubric.criteria"
    assert words in info.value.rule


def test_the_max_score_is_the_sum_of_the_maxima_and_rubrics_compare_by_value() -> None:
    assert GAME.max_score == D("25.00")
    same = Rubric(criteria=list(GAME.criteria))
    assert same == GAME
    assert isinstance(same.criteria, tuple)
    assert rubric(("functionality", "10")) != GAME


def test_the_score_is_the_sum_of_the_points_to_the_cent() -> None:
    points = {"functionality": D("8"), "code_quality": D("7.5"), "creativity": D("0")}
    score = GAME.score(points)
    assert score == D("15.50")
    assert str(score) == "15.50"
    full = {"functionality": D("10"), "code_quality": D("10"), "creativity": D("5")}
    assert GAME.score(full) == GAME.max_score


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"creativity": D("5.01")}, "rubric_scores.creativity", "between 0 and 5"),
        ({"functionality": D("-0.01")}, "rubric_scores.functionality", "between 0"),
        ({"code_quality": None}, "rubric_scores.code_quality", "missing"),
        ({"style": D("1")}, "rubric_scores.style", "not a criterion"),
        ({"creativity": 4}, "rubric_scores.creativity", "Decimal"),
        ({"creativity": D("Infinity")}, "rubric_scores.creativity", "Decimal"),
        ({"creativity": D("2.345")}, "rubric_scores.creativity", "2 decimals"),
    ],
)
def test_bad_points_name_their_criterion(changes: dict[str, Any], field: str, words: str) -> None:
    points: dict[str, Any] = {"functionality": D("8"), "code_quality": D("7"), "creativity": D("4")}
    points.update(changes)
    points = {k: v for k, v in points.items() if v is not None}
    with pytest.raises(ValidationError) as info:
        GAME.score(points)
    assert info.value.field == field
    assert words in info.value.rule


@st.composite
def marked(draw: st.DrawFn) -> tuple[Rubric, dict[str, Decimal]]:
    """A rubric and valid points for it."""
    cents = draw(st.lists(st.integers(1, 16_666), min_size=1, max_size=6))
    criteria = [
        RubricCriterion(name=f"c{i}", max_points=D(c).scaleb(-2)) for i, c in enumerate(cents)
    ]
    points = {f"c{i}": D(draw(st.integers(0, c))).scaleb(-2) for i, c in enumerate(cents)}
    return Rubric(criteria=criteria), points


@given(marked())
def test_any_valid_points_score_their_sum_within_the_maximum(
    case: tuple[Rubric, dict[str, Decimal]],
) -> None:
    scheme, points = case
    score = scheme.score(points)
    assert score == sum(points.values(), D(0))
    assert D(0) <= score <= scheme.max_score
    assert score == score.quantize(D("0.01"))


# -- grading a submission ------------------------------------------------------------------


def test_grading_stamps_the_grade_and_a_regrade_replaces_it() -> None:
    project = submission()
    grader, other = uuid4(), uuid4()
    points = {"functionality": D("8"), "code_quality": D("7"), "creativity": D("4")}
    project.grade(GAME, points, by=grader, at=AT, feedback="Nice")
    assert (project.score, project.rubric_scores, project.feedback) == (D("19.00"), points, "Nice")
    assert (project.graded_by_staff_id, project.graded_at, project.is_graded) == (grader, AT, True)
    points["creativity"] = D("0")  # the submission keeps its own copy
    assert project.rubric_scores is not None
    assert project.rubric_scores["creativity"] == D("4")
    project.grade(GAME, points, by=other, at=AT.replace(hour=6))
    assert (project.score, project.feedback, project.graded_by_staff_id) == (
        D("15.00"),
        None,
        other,
    )


def test_bad_points_leave_the_submission_as_it_was() -> None:
    project = submission()
    project.grade(
        GAME,
        {"functionality": D("8"), "code_quality": D("7"), "creativity": D("4")},
        by=uuid4(),
        at=AT,
    )
    before = attrs.asdict(project)
    with pytest.raises(ValidationError):
        project.grade(GAME, {"functionality": D("11")}, by=uuid4(), at=AT, feedback="x")
    assert attrs.asdict(project) == before


def test_a_grade_needs_both_a_score_and_its_time() -> None:
    with pytest.raises(ValidationError) as info:
        ProjectSubmission(
            organisation_id=uuid4(),
            student_id=uuid4(),
            cohort_id=uuid4(),
            title="Maze",
            score=D("10"),
        )
    assert info.value.field == "ProjectSubmission.graded_at"


def test_a_rubric_adds_up_to_less_than_1000_points() -> None:
    """A score is DECIMAL(5,2): a rubric whose maxima reach 1000 could give unstorable grades."""
    criteria = [
        RubricCriterion(name="a", max_points=Decimal("600")),
        RubricCriterion(name="b", max_points=Decimal("399.99")),
    ]
    assert Rubric(criteria=criteria).max_score == Decimal("999.99")
    with pytest.raises(ValidationError) as caught:
        Rubric(criteria=[*criteria[:1], RubricCriterion(name="b", max_points=Decimal("400"))])
    assert caught.value.field == "Rubric.criteria"
