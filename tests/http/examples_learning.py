"""Examples of the learning routes: skill trees, skill progress, rubrics and projects.

The arrangements: ``scratch_class`` puts the "Scratch Skills" tree (tests/unit/services/
test_skills.SCRATCH) on the world's program and the Nguyen child (world.child) in its Monday
cohort at Werribee, taught by lead_instructor with teaching_assistant.

Who may (product-rules.md and the services' docstrings):

- curriculum (trees, nodes, a program's tree and rubric): ``create cohorts, assign
  instructors`` with scope all: the super admin only;
- reading a tree: every staff member;
- updating progress, a cohort's rubric, submitting and grading projects: ``update skill
  progress, grade projects``: SA, the Werribee campus manager, the cohort's lead instructor;
- reading progress, rubrics and submissions: ``view skill progress``: also the cohort's
  teaching assistant.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from tests.http.routing import EVERYONE, Example, example
from tests.unit.services.conftest import World
from tests.unit.services.test_enrolment import active
from tests.unit.services.test_skills import Tree, admin, build_tree, skills

from rocket_core import model as m
from rocket_core.services.projects import ProjectService

CURRICULUM = frozenset({"super_admin"})
UPDATES = frozenset({"super_admin", "campus_manager", "lead_instructor"})
VIEWS = UPDATES | {"teaching_assistant"}

#: A rubric as the API takes it.
RUBRIC = {
    "criteria": [
        {"name": "functionality", "max_points": "10"},
        {"name": "creativity", "max_points": "5", "description": "Something of their own"},
    ]
}


def scratch_tree(world: World) -> Tree:
    """The "Scratch Skills" tree (SCRATCH), used by the world's program: built once per
    world (every example of the module may run on one world, as the route table test does)."""
    with world.uow() as uow:
        tree = next((t for t in uow.skill_trees.list() if t.name == "Scratch Skills"), None)
        nodes = (
            {} if tree is None else {n.name: n.id for n in uow.skill_nodes.list_for_tree(tree.id)}
        )
    if tree is None:
        return build_tree(world)
    return Tree(tree.id, nodes)


def enrolled_child(world: World) -> None:
    """The Nguyen child (world.child) with a live enrolment in the world's cohort (made
    active unless it already has one)."""
    with world.uow() as uow:
        live = uow.enrolments.find_live(world.child.id, world.cohort.id)
    if live is None:
        active(world, world.child)


def scratch_class(world: World) -> Tree:
    """The Scratch tree on the world's program; the Nguyen child active in its cohort."""
    tree = scratch_tree(world)
    enrolled_child(world)
    return tree


def projects(world: World) -> ProjectService:
    return ProjectService(world.make_uow, world.clock, world.bus)


def graded_rubric() -> m.Rubric:
    return m.Rubric(
        criteria=(
            m.RubricCriterion(name="functionality", max_points=Decimal("10")),
            m.RubricCriterion(name="creativity", max_points=Decimal("5")),
        )
    )


def submission(world: World) -> m.ProjectSubmission:
    """A project of the Nguyen child in the world's cohort, its program with a rubric."""
    enrolled_child(world)
    service = projects(world)
    service.set_rubric(admin(world), graded_rubric(), program_id=world.program.id)
    return service.submit(admin(world), world.child.id, world.cohort.id, "Maze game")


# -- skill trees ------------------------------------------------------------------------------


@example("POST /api/v1/skill-trees")
def create_tree(world: World) -> Example:
    return Example(
        method="POST",
        path="/api/v1/skill-trees",
        body={"name": "Python Skills", "description": "From variables to classes"},
        allowed=CURRICULUM,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/skill-trees/{tree_id:uuid}")
def get_tree(world: World) -> Example:
    tree = scratch_tree(world)
    return Example(method="GET", path=f"/api/v1/skill-trees/{tree.id}", allowed=EVERYONE)


@example("POST /api/v1/skill-trees/{tree_id:uuid}/nodes")
def add_node(world: World) -> Example:
    tree = scratch_tree(world)
    return Example(
        method="POST",
        path=f"/api/v1/skill-trees/{tree.id}/nodes",
        body={"name": "Glide", "parent_node_id": str(tree["Motion"]), "position": 0},
        allowed=CURRICULUM,
        ok=201,
        writes=True,
    )


@example("POST /api/v1/skill-trees/{tree_id:uuid}/reorder")
def reorder(world: World) -> Example:
    tree = scratch_tree(world)
    return Example(
        method="POST",
        path=f"/api/v1/skill-trees/{tree.id}/reorder",
        body={
            "parent_node_id": None,
            "node_ids": [str(tree["Events"]), str(tree["Loops"]), str(tree["Motion"])],
        },
        allowed=CURRICULUM,
        writes=True,
    )


@example("PATCH /api/v1/skill-nodes/{node_id:uuid}")
def update_node(world: World) -> Example:
    tree = scratch_tree(world)
    return Example(
        method="PATCH",
        path=f"/api/v1/skill-nodes/{tree['Motion']}",
        body={"name": "Movement", "description": "Moving sprites around the stage"},
        allowed=CURRICULUM,
        writes=True,
    )


@example("POST /api/v1/skill-nodes/{node_id:uuid}/move")
def move_node(world: World) -> Example:
    tree = scratch_tree(world)
    return Example(
        method="POST",
        path=f"/api/v1/skill-nodes/{tree['Forever']}/move",
        body={"parent_node_id": str(tree["Motion"]), "position": 1},
        allowed=CURRICULUM,
        writes=True,
    )


@example("POST /api/v1/skill-nodes/{node_id:uuid}/retire")
def retire_node(world: World) -> Example:
    tree = scratch_tree(world)
    return Example(
        method="POST",
        path=f"/api/v1/skill-nodes/{tree['Turn']}/retire",
        allowed=CURRICULUM,
        writes=True,
    )


@example("PUT /api/v1/programs/{program_id:uuid}/skill-tree")
def use_tree(world: World) -> Example:
    scratch_tree(world)
    other = skills(world).create_tree(admin(world), f"Scratch Skills {uuid4().hex[:6]}")
    return Example(
        method="PUT",
        path=f"/api/v1/programs/{world.program.id}/skill-tree",
        body={"skill_tree_id": str(other.id)},
        allowed=CURRICULUM,
        writes=True,
    )


# -- progress ---------------------------------------------------------------------------------


@example("PUT /api/v1/students/{student_id:uuid}/skills/{node_id:uuid}/progress")
def update_progress(world: World) -> Example:
    tree = scratch_class(world)
    return Example(
        method="PUT",
        path=f"/api/v1/students/{world.child.id}/skills/{tree['Move']}/progress",
        body={"status": "mastered", "notes": "Glides smoothly", "notes_visible_to_family": True},
        allowed=UPDATES,
        writes=True,
    )


@example("PUT /api/v1/cohorts/{cohort_id:uuid}/skills/{node_id:uuid}/progress")
def update_roll_progress(world: World) -> Example:
    tree = scratch_class(world)
    return Example(
        method="PUT",
        path=f"/api/v1/cohorts/{world.cohort.id}/skills/{tree['Repeat']}/progress",
        body={"statuses": [{"student_id": str(world.child.id), "status": "in_progress"}]},
        allowed=UPDATES,
        writes=True,
    )


@example("GET /api/v1/students/{student_id:uuid}/skills/{node_id:uuid}/history")
def progress_history(world: World) -> Example:
    tree = scratch_class(world)
    return Example(
        method="GET",
        path=f"/api/v1/students/{world.child.id}/skills/{tree['Move']}/history",
        allowed=VIEWS,
    )


@example("GET /api/v1/students/{student_id:uuid}/progress")
def progress_report(world: World) -> Example:
    scratch_class(world)
    return Example(
        method="GET",
        path=f"/api/v1/students/{world.child.id}/progress",
        query={"next_count": "2"},
        allowed=VIEWS,
    )


# -- rubrics and projects ---------------------------------------------------------------------


@example("PUT /api/v1/programs/{program_id:uuid}/rubric")
def set_program_rubric(world: World) -> Example:
    return Example(
        method="PUT",
        path=f"/api/v1/programs/{world.program.id}/rubric",
        body=RUBRIC,
        allowed=CURRICULUM,
        writes=True,
    )


@example("DELETE /api/v1/programs/{program_id:uuid}/rubric")
def remove_program_rubric(world: World) -> Example:
    projects(world).set_rubric(admin(world), graded_rubric(), program_id=world.program.id)
    return Example(
        method="DELETE",
        path=f"/api/v1/programs/{world.program.id}/rubric",
        allowed=CURRICULUM,
        ok=204,
        writes=True,
    )


@example("GET /api/v1/cohorts/{cohort_id:uuid}/rubric")
def cohort_rubric(world: World) -> Example:
    projects(world).set_rubric(admin(world), graded_rubric(), program_id=world.program.id)
    return Example(method="GET", path=f"/api/v1/cohorts/{world.cohort.id}/rubric", allowed=VIEWS)


@example("PUT /api/v1/cohorts/{cohort_id:uuid}/rubric")
def set_cohort_rubric(world: World) -> Example:
    return Example(
        method="PUT",
        path=f"/api/v1/cohorts/{world.cohort.id}/rubric",
        body=RUBRIC,
        allowed=UPDATES,
        writes=True,
    )


@example("DELETE /api/v1/cohorts/{cohort_id:uuid}/rubric")
def remove_cohort_rubric(world: World) -> Example:
    projects(world).set_rubric(admin(world), graded_rubric(), cohort_id=world.cohort.id)
    return Example(
        method="DELETE",
        path=f"/api/v1/cohorts/{world.cohort.id}/rubric",
        allowed=UPDATES,
        ok=204,
        writes=True,
    )


@example("POST /api/v1/cohorts/{cohort_id:uuid}/projects")
def submit_project(world: World) -> Example:
    enrolled_child(world)
    return Example(
        method="POST",
        path=f"/api/v1/cohorts/{world.cohort.id}/projects",
        body={
            "student_id": str(world.child.id),
            "title": "Maze game",
            "project_url": "https://scratch.mit.edu/projects/1234",
        },
        allowed=UPDATES,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/cohorts/{cohort_id:uuid}/projects")
def cohort_projects(world: World) -> Example:
    submission(world)
    return Example(method="GET", path=f"/api/v1/cohorts/{world.cohort.id}/projects", allowed=VIEWS)


@example("GET /api/v1/students/{student_id:uuid}/projects")
def student_projects(world: World) -> Example:
    submission(world)
    return Example(method="GET", path=f"/api/v1/students/{world.child.id}/projects", allowed=VIEWS)


@example("POST /api/v1/projects/{submission_id:uuid}/grade")
def grade_project(world: World) -> Example:
    project = submission(world)
    return Example(
        method="POST",
        path=f"/api/v1/projects/{project.id}/grade",
        body={"points": {"functionality": "8.5", "creativity": "4"}, "feedback": "Great maze"},
        allowed=UPDATES,
        writes=True,
    )
