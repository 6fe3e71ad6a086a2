"""Learning: skill trees and their nodes, students' skill progress and its report, rubrics,
project submissions and their grading."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import attrs
from litestar import delete, get, patch, post, put
from litestar.params import Parameter
from msgspec import UNSET, UnsetType

from rocket_core.model import (
    ProjectSubmission,
    Rubric,
    RubricCriterion,
    SkillNode,
    SkillProgress,
    SkillProgressChange,
    SkillStatus,
    SkillTree,
)
from rocket_core.permissions import Actor
from rocket_core.services.progress import NodeProgress, ProgressReport, ProgressService
from rocket_core.services.projects import ProjectService
from rocket_core.services.skills import SkillTreeService, SkillTreeView
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page

STAFF = {"access": "staff"}
SKILLS, PROGRESS, PROJECTS = ["skills"], ["progress"], ["projects"]


# -- skill trees ------------------------------------------------------------------------------


@attrs.frozen
class SkillTreeIn:
    """A new skill tree (its name is unique in the organisation)."""

    name: str
    description: str | None = None


@attrs.frozen
class SkillTreeOut:
    """A skill tree."""

    id: UUID
    name: str
    description: str | None
    created_at: datetime


@attrs.frozen
class TreeNodeOut:
    """A live skill of a tree: its parent, depth (0 for a top-level skill) and place among
    its siblings (0 first)."""

    id: UUID
    parent_node_id: UUID | None
    name: str
    description: str | None
    level: int
    order: int
    badge_icon_url: str | None


@attrs.frozen
class SkillTreeViewOut:
    """A tree and its live skills in tree order (depth first, siblings by order)."""

    id: UUID
    name: str
    description: str | None
    nodes: list[TreeNodeOut]


@attrs.frozen
class SkillNodeOut:
    """A skill of a tree (``retired_at``: taken out of the tree, progress kept)."""

    id: UUID
    skill_tree_id: UUID
    parent_node_id: UUID | None
    name: str
    description: str | None
    level: int
    order: int
    badge_icon_url: str | None
    retired_at: datetime | None


@attrs.frozen
class SkillNodeIn:
    """A new skill under ``parent_node_id`` (top level when null), last among its siblings
    or at ``position`` (0 first)."""

    name: str
    parent_node_id: UUID | None = None
    description: str | None = None
    position: int | None = None
    badge_icon_url: str | None = None


@attrs.frozen
class SkillNodeChangesIn:
    """Changes to a live skill: only the fields given change (null clears a description or
    a badge)."""

    name: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    badge_icon_url: str | UnsetType | None = UNSET


@attrs.frozen
class MoveIn:
    """Where a skill (with its subtree) goes: under ``parent_node_id`` (null: the top
    level), last among its new siblings or at ``position``."""

    parent_node_id: UUID | None
    position: int | None = None


@attrs.frozen
class ReorderIn:
    """The live children of ``parent_node_id`` (null: the tree's top-level skills) in their
    new order, each exactly once."""

    parent_node_id: UUID | None
    node_ids: list[UUID]


@attrs.frozen
class ProgramSkillTreeIn:
    """The skill tree a program uses (null: none)."""

    skill_tree_id: UUID | None


@attrs.frozen
class ProgramSkillTreeOut:
    """A program and the skill tree it uses."""

    program_id: UUID
    skill_tree_id: UUID | None


def _tree(tree: SkillTree) -> SkillTreeOut:
    return SkillTreeOut(
        id=tree.id, name=tree.name, description=tree.description, created_at=tree.created_at
    )


def _tree_view(view: SkillTreeView) -> SkillTreeViewOut:
    return SkillTreeViewOut(
        id=view.id,
        name=view.name,
        description=view.description,
        nodes=[
            TreeNodeOut(**{f.name: getattr(node, f.name) for f in attrs.fields(TreeNodeOut)})
            for node in view.nodes
        ],
    )


def _node(node: SkillNode) -> SkillNodeOut:
    return SkillNodeOut(**{f.name: getattr(node, f.name) for f in attrs.fields(SkillNodeOut)})


@post("/skill-trees", opt=STAFF, sync_to_thread=True, tags=SKILLS)
def create_tree(data: SkillTreeIn, actor: Actor, skills: SkillTreeService) -> SkillTreeOut:
    """Create an empty skill tree."""
    return _tree(skills.create_tree(actor, data.name, data.description))


@get("/skill-trees/{tree_id:uuid}", opt=STAFF, sync_to_thread=True, tags=SKILLS)
def get_tree(tree_id: UUID, actor: Actor, skills: SkillTreeService) -> SkillTreeViewOut:
    """A skill tree and its live skills in tree order."""
    return _tree_view(skills.tree(actor, tree_id))


@post("/skill-trees/{tree_id:uuid}/nodes", opt=STAFF, sync_to_thread=True, tags=SKILLS)
def add_node(
    tree_id: UUID, data: SkillNodeIn, actor: Actor, skills: SkillTreeService
) -> SkillNodeOut:
    """Add a skill to the tree."""
    return _node(
        skills.add_node(
            actor,
            tree_id,
            data.name,
            data.parent_node_id,
            description=data.description,
            position=data.position,
            badge_icon_url=data.badge_icon_url,
        )
    )


@post(
    "/skill-trees/{tree_id:uuid}/reorder",
    opt=STAFF,
    sync_to_thread=True,
    tags=SKILLS,
    status_code=200,
)
def reorder(
    tree_id: UUID, data: ReorderIn, actor: Actor, skills: SkillTreeService
) -> list[SkillNodeOut]:
    """Put a skill's children (or the tree's top-level skills) in a new order; the siblings
    in their new order."""
    return [_node(n) for n in skills.reorder(actor, data.parent_node_id, tree_id, data.node_ids)]


@patch("/skill-nodes/{node_id:uuid}", opt=STAFF, sync_to_thread=True, tags=SKILLS)
def update_node(
    node_id: UUID, data: SkillNodeChangesIn, actor: Actor, skills: SkillTreeService
) -> SkillNodeOut:
    """Rename a skill, or change its description or badge."""
    changes = {k: v for k, v in attrs.asdict(data).items() if v is not UNSET}
    return _node(skills.update_node(actor, node_id, **changes))


@post(
    "/skill-nodes/{node_id:uuid}/move", opt=STAFF, sync_to_thread=True, tags=SKILLS, status_code=200
)
def move_node(node_id: UUID, data: MoveIn, actor: Actor, skills: SkillTreeService) -> SkillNodeOut:
    """Move a skill and its subtree elsewhere in its tree."""
    return _node(skills.move_node(actor, node_id, data.parent_node_id, data.position))


@post(
    "/skill-nodes/{node_id:uuid}/retire",
    opt=STAFF,
    sync_to_thread=True,
    tags=SKILLS,
    status_code=200,
)
def retire_node(node_id: UUID, actor: Actor, skills: SkillTreeService) -> list[SkillNodeOut]:
    """Take a skill and its subtree out of the tree (students' progress is kept); the
    retired skills, parents first."""
    return [_node(n) for n in skills.retire_node(actor, node_id)]


@put("/programs/{program_id:uuid}/skill-tree", opt=STAFF, sync_to_thread=True, tags=SKILLS)
def use_tree(
    program_id: UUID, data: ProgramSkillTreeIn, actor: Actor, skills: SkillTreeService
) -> ProgramSkillTreeOut:
    """Point a program at a skill tree (or at none)."""
    program = skills.use_tree(actor, program_id, data.skill_tree_id)
    return ProgramSkillTreeOut(program_id=program.id, skill_tree_id=program.skill_tree_id)


# -- progress ---------------------------------------------------------------------------------


@attrs.frozen
class ProgressIn:
    """A student's status on a skill; ``notes`` null keeps the note ("" clears it),
    ``notes_visible_to_family`` null keeps the flag."""

    status: SkillStatus
    notes: str | None = None
    notes_visible_to_family: bool | None = None


@attrs.frozen
class StudentStatusIn:
    """One student's status on the skill."""

    student_id: UUID
    status: SkillStatus


@attrs.frozen
class RollProgressIn:
    """Statuses of students of the cohort on one skill, saved together or not at all."""

    statuses: list[StudentStatusIn]


@attrs.frozen
class SkillProgressOut:
    """A student's status on a skill (``id`` of a record never saved when never touched)."""

    id: UUID
    student_id: UUID
    skill_node_id: UUID
    status: SkillStatus
    mastered_at: datetime | None
    notes: str | None
    notes_visible_to_family: bool
    updated_by_staff_id: UUID | None


@attrs.frozen
class ProgressChangeOut:
    """One change of a student's status on a skill."""

    from_status: SkillStatus
    to_status: SkillStatus
    changed_by_staff_id: UUID | None
    changed_at: datetime


@attrs.frozen
class NodeProgressOut:
    """A live skill of the report with the student's status."""

    node_id: UUID
    parent_node_id: UUID | None
    name: str
    level: int
    status: SkillStatus
    mastered_at: datetime | None
    notes: str | None
    notes_visible_to_family: bool


@attrs.frozen
class TopicProgressOut:
    """A top-level topic: skills mastered out of all its live skills (itself included)."""

    node_id: UUID
    name: str
    mastered: int
    total: int


@attrs.frozen
class TreeProgressOut:
    """The student's progress through one skill tree of their cohorts."""

    skill_tree_id: UUID
    name: str
    cohort_ids: list[UUID]
    nodes: list[NodeProgressOut]
    topics: list[TopicProgressOut]
    next_skills: list[NodeProgressOut]


@attrs.frozen
class ProgressReportOut:
    """A student's progress report, one section per skill tree."""

    student_id: UUID
    student_name: str
    for_family: bool
    trees: list[TreeProgressOut]


def _progress(progress: SkillProgress) -> SkillProgressOut:
    return SkillProgressOut(
        **{f.name: getattr(progress, f.name) for f in attrs.fields(SkillProgressOut)}
    )


def _change(change: SkillProgressChange) -> ProgressChangeOut:
    return ProgressChangeOut(
        **{f.name: getattr(change, f.name) for f in attrs.fields(ProgressChangeOut)}
    )


def _node_progress(line: NodeProgress) -> NodeProgressOut:
    return NodeProgressOut(**{f.name: getattr(line, f.name) for f in attrs.fields(NodeProgressOut)})


def _report(report: ProgressReport) -> ProgressReportOut:
    return ProgressReportOut(
        student_id=report.student_id,
        student_name=report.student_name,
        for_family=report.for_family,
        trees=[
            TreeProgressOut(
                skill_tree_id=tree.skill_tree_id,
                name=tree.name,
                cohort_ids=list(tree.cohort_ids),
                nodes=[_node_progress(n) for n in tree.nodes],
                topics=[
                    TopicProgressOut(
                        node_id=t.node_id, name=t.name, mastered=t.mastered, total=t.total
                    )
                    for t in tree.topics
                ],
                next_skills=[_node_progress(n) for n in tree.next_skills],
            )
            for tree in report.trees
        ],
    )


@put(
    "/students/{student_id:uuid}/skills/{node_id:uuid}/progress",
    opt=STAFF,
    sync_to_thread=True,
    tags=PROGRESS,
)
def update_progress(
    student_id: UUID, node_id: UUID, data: ProgressIn, actor: Actor, progress: ProgressService
) -> SkillProgressOut:
    """Set a student's status on a skill (and the note); every change is kept in its
    history."""
    return _progress(
        progress.update(
            actor,
            student_id,
            node_id,
            data.status,
            notes=data.notes,
            notes_visible_to_family=data.notes_visible_to_family,
        )
    )


@put(
    "/cohorts/{cohort_id:uuid}/skills/{node_id:uuid}/progress",
    opt=STAFF,
    sync_to_thread=True,
    tags=PROGRESS,
)
def update_roll_progress(
    cohort_id: UUID, node_id: UUID, data: RollProgressIn, actor: Actor, progress: ProgressService
) -> list[SkillProgressOut]:
    """Set many students' status on one skill at once; the records that changed."""
    statuses = {item.student_id: item.status for item in data.statuses}
    return [_progress(p) for p in progress.update_roll(actor, cohort_id, node_id, statuses)]


@get(
    "/students/{student_id:uuid}/skills/{node_id:uuid}/history",
    opt=STAFF,
    sync_to_thread=True,
    tags=PROGRESS,
)
def progress_history(
    student_id: UUID,
    node_id: UUID,
    actor: Actor,
    progress: ProgressService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProgressChangeOut]:
    """Every change of a student's status on a skill, oldest first."""
    changes = progress.history(actor, student_id, node_id)
    return page([_change(c) for c in changes], limit, offset)


@get("/students/{student_id:uuid}/progress", opt=STAFF, sync_to_thread=True, tags=PROGRESS)
def progress_report(
    student_id: UUID,
    actor: Actor,
    progress: ProgressService,
    next_count: Annotated[
        int, Parameter(ge=0, le=100, description="how many next skills to suggest")
    ] = 3,
    for_family: Annotated[
        bool, Parameter(description="leave out the notes private to staff")
    ] = False,
) -> ProgressReportOut:
    """A student's progress report: per skill tree, every live skill with its status,
    mastered counts per topic and the next skills."""
    return _report(progress.report(actor, student_id, next_count, for_family=for_family))


# -- rubrics and projects ---------------------------------------------------------------------


@attrs.frozen
class CriterionIn:
    """One criterion of a rubric and its maximum points (a decimal string, e.g. "10")."""

    name: str
    max_points: Decimal
    description: str | None = None


@attrs.frozen
class RubricIn:
    """A rubric: at least one criterion, names unique."""

    criteria: list[CriterionIn]


@attrs.frozen
class CriterionOut:
    """One criterion of a rubric."""

    name: str
    max_points: Decimal
    description: str | None


@attrs.frozen
class RubricOut:
    """A rubric and its best possible score."""

    criteria: list[CriterionOut]
    max_score: Decimal


@attrs.frozen
class SubmissionIn:
    """A student's project for the cohort."""

    student_id: UUID
    title: str
    project_url: str | None = None
    description: str | None = None


@attrs.frozen
class GradeIn:
    """Points per criterion of the cohort's rubric (every criterion, decimal strings)."""

    points: dict[str, Decimal]
    feedback: str | None = None


@attrs.frozen
class ProjectOut:
    """A project submission and its grade (null until graded)."""

    id: UUID
    student_id: UUID
    cohort_id: UUID
    title: str
    description: str | None
    project_url: str | None
    submitted_at: datetime
    score: Decimal | None
    rubric_scores: dict[str, Decimal] | None
    feedback: str | None
    graded_by_staff_id: UUID | None
    graded_at: datetime | None


def _rubric_of(data: RubricIn) -> Rubric:
    """The domain's Rubric (its validators answer 422 naming the field)."""
    criteria: tuple[RubricCriterion, ...] = tuple(
        RubricCriterion(name=c.name, max_points=c.max_points, description=c.description)
        for c in data.criteria
    )
    # mypy's attrs plugin types the field by its converter (``tuple``'s generic signature)
    return Rubric(criteria=criteria)  # type: ignore[arg-type]


def _rubric(rubric: Rubric) -> RubricOut:
    return RubricOut(
        criteria=[
            CriterionOut(name=c.name, max_points=c.max_points, description=c.description)
            for c in rubric.criteria
        ],
        max_score=rubric.max_score,
    )


def _project(submission: ProjectSubmission) -> ProjectOut:
    return ProjectOut(**{f.name: getattr(submission, f.name) for f in attrs.fields(ProjectOut)})


@put("/programs/{program_id:uuid}/rubric", opt=STAFF, sync_to_thread=True, tags=PROJECTS)
def set_program_rubric(
    program_id: UUID, data: RubricIn, actor: Actor, projects: ProjectService
) -> RubricOut:
    """Set the rubric the program's projects are graded with (unless a cohort has its own)."""
    rubric = _rubric_of(data)
    projects.set_rubric(actor, rubric, program_id=program_id)
    return _rubric(rubric)


@delete(
    "/programs/{program_id:uuid}/rubric",
    opt=STAFF,
    sync_to_thread=True,
    tags=PROJECTS,
    status_code=204,
)
def remove_program_rubric(program_id: UUID, actor: Actor, projects: ProjectService) -> None:
    """Remove the program's rubric."""
    projects.set_rubric(actor, None, program_id=program_id)


@get("/cohorts/{cohort_id:uuid}/rubric", opt=STAFF, sync_to_thread=True, tags=PROJECTS)
def cohort_rubric(cohort_id: UUID, actor: Actor, projects: ProjectService) -> RubricOut | None:
    """The rubric the cohort's projects are graded with: its own, else its program's (null:
    none)."""
    rubric = projects.rubric(actor, cohort_id)
    return None if rubric is None else _rubric(rubric)


@put("/cohorts/{cohort_id:uuid}/rubric", opt=STAFF, sync_to_thread=True, tags=PROJECTS)
def set_cohort_rubric(
    cohort_id: UUID, data: RubricIn, actor: Actor, projects: ProjectService
) -> RubricOut:
    """Give the cohort its own rubric (in place of its program's)."""
    rubric = _rubric_of(data)
    projects.set_rubric(actor, rubric, cohort_id=cohort_id)
    return _rubric(rubric)


@delete(
    "/cohorts/{cohort_id:uuid}/rubric",
    opt=STAFF,
    sync_to_thread=True,
    tags=PROJECTS,
    status_code=204,
)
def remove_cohort_rubric(cohort_id: UUID, actor: Actor, projects: ProjectService) -> None:
    """Remove the cohort's own rubric (its program's applies again)."""
    projects.set_rubric(actor, None, cohort_id=cohort_id)


@post("/cohorts/{cohort_id:uuid}/projects", opt=STAFF, sync_to_thread=True, tags=PROJECTS)
def submit_project(
    cohort_id: UUID, data: SubmissionIn, actor: Actor, projects: ProjectService
) -> ProjectOut:
    """Record a student's project for the cohort."""
    return _project(
        projects.submit(
            actor,
            data.student_id,
            cohort_id,
            data.title,
            project_url=data.project_url,
            description=data.description,
        )
    )


@get("/cohorts/{cohort_id:uuid}/projects", opt=STAFF, sync_to_thread=True, tags=PROJECTS)
def cohort_projects(
    cohort_id: UUID,
    actor: Actor,
    projects: ProjectService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProjectOut]:
    """The cohort's project submissions, oldest first."""
    return page([_project(s) for s in projects.list_for_cohort(actor, cohort_id)], limit, offset)


@get("/students/{student_id:uuid}/projects", opt=STAFF, sync_to_thread=True, tags=PROJECTS)
def student_projects(
    student_id: UUID,
    actor: Actor,
    projects: ProjectService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProjectOut]:
    """A student's project submissions in the cohorts the caller may view, oldest first."""
    return page([_project(s) for s in projects.list_for_student(actor, student_id)], limit, offset)


@post(
    "/projects/{submission_id:uuid}/grade",
    opt=STAFF,
    sync_to_thread=True,
    tags=PROJECTS,
    status_code=200,
)
def grade_project(
    submission_id: UUID, data: GradeIn, actor: Actor, projects: ProjectService
) -> ProjectOut:
    """Grade a submission with its cohort's rubric (a regrade replaces the grade)."""
    return _project(projects.grade(actor, submission_id, data.points, feedback=data.feedback))


ROUTES: list[Any] = [
    create_tree,
    get_tree,
    add_node,
    reorder,
    update_node,
    move_node,
    retire_node,
    use_tree,
    update_progress,
    update_roll_progress,
    progress_history,
    progress_report,
    set_program_rubric,
    remove_program_rubric,
    cohort_rubric,
    set_cohort_rubric,
    remove_cohort_rubric,
    submit_project,
    cohort_projects,
    student_projects,
    grade_project,
]
