"""The learning routes: skill trees and nodes, skill progress and its report, rubrics and
project submissions, over the service tests' school (tests/http/conftest.py).

``scratch_class`` (examples_learning.py) puts the "Scratch Skills" tree on the world's program
and the Nguyen child in its Monday cohort at Werribee.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from tests.http.conftest import Api, problem
from tests.http.examples_learning import RUBRIC, scratch_class, scratch_tree, submission
from tests.unit.services.helpers import snapshot

from rocket_core import model as m


def unchanged(api: Api, who: str, method: str, path: str, body: Any, status: int) -> dict[str, Any]:
    """Call as ``who``, expect ``status`` problem details and nothing written."""
    before = snapshot(api.world)
    response = api.client(who).request(method, path, json=body)
    assert response.status_code == status, response.text
    assert snapshot(api.world) == before
    return problem(response)


def load_program(api: Api) -> m.Program:
    with api.world.uow() as uow:
        return uow.programs.get(api.world.program.id)


# -- skill trees ------------------------------------------------------------------------------


def test_a_tree_is_built_and_read_in_tree_order(api: Api) -> None:
    admin = api.client("super_admin")

    created = admin.post("/api/v1/skill-trees", json={"name": "Python Skills"})
    assert created.status_code == 201, created.text
    tree = created.json()
    assert tree["name"] == "Python Skills"
    assert tree["description"] is None
    assert set(tree) == {"id", "name", "description", "created_at"}
    nodes = f"/api/v1/skill-trees/{tree['id']}/nodes"
    basics = admin.post(nodes, json={"name": "Basics"}).json()
    admin.post(nodes, json={"name": "Functions"})
    strings = admin.post(nodes, json={"name": "Strings", "parent_node_id": basics["id"]})
    first = admin.post(
        nodes, json={"name": "Variables", "parent_node_id": basics["id"], "position": 0}
    )
    assert strings.status_code == 201, strings.text
    assert first.json()["level"] == 1
    assert first.json()["order"] == 0
    assert first.json()["skill_tree_id"] == tree["id"]

    read = api.client("teaching_assistant").get(f"/api/v1/skill-trees/{tree['id']}")

    assert read.status_code == 200, read.text
    assert [(n["name"], n["level"], n["order"]) for n in read.json()["nodes"]] == [
        ("Basics", 0, 0),
        ("Variables", 1, 0),
        ("Strings", 1, 1),
        ("Functions", 0, 1),
    ]


def test_nodes_are_changed_moved_reordered_and_retired(api: Api) -> None:
    tree = scratch_tree(api.world)
    admin = api.client("super_admin")
    motion = f"/api/v1/skill-nodes/{tree['Motion']}"

    renamed = admin.patch(motion, json={"name": "Movement", "description": "Sprites move"})
    kept = admin.patch(motion, json={"badge_icon_url": "https://badges.example/move.png"})
    cleared = admin.patch(motion, json={"description": None})
    moved = admin.post(
        f"/api/v1/skill-nodes/{tree['Forever']}/move",
        json={"parent_node_id": str(tree["Turn"]), "position": 0},
    )
    reordered = admin.post(
        f"/api/v1/skill-trees/{tree.id}/reorder",
        json={
            "parent_node_id": None,
            "node_ids": [str(tree["Events"]), str(tree["Motion"]), str(tree["Loops"])],
        },
    )
    retired = admin.post(f"/api/v1/skill-nodes/{tree['Turn']}/retire")

    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Movement"
    assert kept.json()["description"] == "Sprites move"
    assert kept.json()["name"] == "Movement"
    assert cleared.json()["description"] is None
    assert cleared.json()["badge_icon_url"] == "https://badges.example/move.png"
    assert moved.status_code == 200, moved.text
    assert (moved.json()["level"], moved.json()["parent_node_id"]) == (2, str(tree["Turn"]))
    assert reordered.status_code == 200, reordered.text
    assert [n["name"] for n in reordered.json()] == ["Events", "Movement", "Loops"]
    assert retired.status_code == 200, retired.text
    assert [n["name"] for n in retired.json()] == ["Turn", "Forever", "Turn left"]
    assert all(n["retired_at"] is not None for n in retired.json())
    names = [n["name"] for n in admin.get(f"/api/v1/skill-trees/{tree.id}").json()["nodes"]]
    assert names == ["Events", "Movement", "Move", "Loops", "Repeat"]


def test_a_program_points_at_a_tree_and_lets_go(api: Api) -> None:
    tree = scratch_tree(api.world)
    path = f"/api/v1/programs/{api.world.program.id}/skill-tree"
    admin = api.client("super_admin")

    none = admin.put(path, json={"skill_tree_id": None})
    again = admin.put(path, json={"skill_tree_id": str(tree.id)})

    assert none.status_code == 200, none.text
    assert none.json() == {"program_id": str(api.world.program.id), "skill_tree_id": None}
    assert again.json()["skill_tree_id"] == str(tree.id)
    assert load_program(api).skill_tree_id == tree.id


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": 5}, 400, "name"),
        ({"name": "Python", "colour": "blue"}, 400, "colour"),
        ({}, 400, "name"),
        ({"name": "   "}, 422, "SkillTree.name"),
    ],
)
def test_bad_trees_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], status: int, field: str
) -> None:
    found = unchanged(api, "super_admin", "POST", "/api/v1/skill-trees", body, status)
    named = found.get("field") or " ".join(str(e["field"]) for e in found.get("errors", []))
    assert field in named, found


def test_a_duplicate_tree_name_is_a_conflict(api: Api) -> None:
    scratch_tree(api.world)
    body = {"name": "scratch skills"}
    assert unchanged(api, "super_admin", "POST", "/api/v1/skill-trees", body, 409)


def test_bad_node_changes_are_refused_and_nothing_is_written(api: Api) -> None:
    tree = scratch_tree(api.world)
    nodes, motion = f"/api/v1/skill-trees/{tree.id}/nodes", tree["Motion"]

    under_itself = unchanged(
        api,
        "super_admin",
        "POST",
        f"/api/v1/skill-nodes/{motion}/move",
        {"parent_node_id": str(tree["Turn left"])},
        422,
    )
    bad_position = unchanged(
        api, "super_admin", "POST", nodes, {"name": "Glide", "position": 9}, 422
    )
    null_name = unchanged(
        api, "super_admin", "PATCH", f"/api/v1/skill-nodes/{motion}", {"name": None}, 400
    )
    bad_badge = unchanged(
        api,
        "super_admin",
        "PATCH",
        f"/api/v1/skill-nodes/{motion}",
        {"badge_icon_url": "ftp://badges"},
        422,
    )
    missing_order = unchanged(
        api,
        "super_admin",
        "POST",
        f"/api/v1/skill-trees/{tree.id}/reorder",
        {"parent_node_id": None, "node_ids": [str(motion)]},
        422,
    )

    assert under_itself["field"] == "SkillNode.parent_node_id"
    assert bad_position["field"] == "position"
    assert null_name["errors"][0]["field"] == "name"
    assert bad_badge["field"] == "SkillNode.badge_icon_url"
    assert missing_order["field"] == "ordered_node_ids"


def test_unknown_trees_and_nodes_are_not_found(api: Api) -> None:
    unknown = uuid4()
    for method, path, body in [
        ("GET", f"/api/v1/skill-trees/{unknown}", None),
        ("POST", f"/api/v1/skill-trees/{unknown}/nodes", {"name": "Glide"}),
        ("PATCH", f"/api/v1/skill-nodes/{unknown}", {"name": "Glide"}),
        ("POST", f"/api/v1/skill-nodes/{unknown}/retire", None),
        ("PUT", f"/api/v1/programs/{unknown}/skill-tree", {"skill_tree_id": None}),
        (
            "PUT",
            f"/api/v1/programs/{api.world.program.id}/skill-tree",
            {"skill_tree_id": str(unknown)},
        ),
    ]:
        assert unchanged(api, "super_admin", method, path, body, 404)["status"] == 404


def test_curriculum_is_edited_by_super_admins_only(api: Api) -> None:
    tree = scratch_tree(api.world)
    refused = unchanged(
        api, "campus_manager", "POST", f"/api/v1/skill-trees/{tree.id}/nodes", {"name": "X"}, 403
    )
    assert "campus" in refused["detail"]
    unchanged(api, "lead_instructor", "POST", "/api/v1/skill-trees", {"name": "Mine"}, 403)


# -- progress ---------------------------------------------------------------------------------


def test_progress_is_updated_read_back_in_its_history_and_the_report(api: Api) -> None:
    tree = scratch_class(api.world)
    child = api.world.child.id
    lead = api.client("lead_instructor")

    started = lead.put(
        f"/api/v1/students/{child}/skills/{tree['Move']}/progress",
        json={"status": "in_progress", "notes": "Nearly there"},
    )
    mastered = lead.put(
        f"/api/v1/students/{child}/skills/{tree['Move']}/progress", json={"status": "mastered"}
    )
    history = api.client("teaching_assistant").get(
        f"/api/v1/students/{child}/skills/{tree['Move']}/history"
    )
    report = api.client("campus_manager").get(
        f"/api/v1/students/{child}/progress", params={"next_count": 2, "for_family": True}
    )

    assert started.status_code == 200, started.text
    assert started.json()["notes"] == "Nearly there"
    assert started.json()["notes_visible_to_family"] is False
    assert mastered.json()["status"] == "mastered"
    assert mastered.json()["mastered_at"] is not None
    assert mastered.json()["notes"] == "Nearly there"
    assert history.status_code == 200, history.text
    changes = history.json()
    assert changes["total"] == 2
    assert [(c["from_status"], c["to_status"]) for c in changes["items"]] == [
        ("not_started", "in_progress"),
        ("in_progress", "mastered"),
    ]
    assert changes["items"][0]["changed_by_staff_id"] == str(api.world.staff["lead_instructor"].id)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["for_family"] is True
    [section] = body["trees"]
    assert section["cohort_ids"] == [str(api.world.cohort.id)]
    move = next(n for n in section["nodes"] if n["name"] == "Move")
    assert move["status"] == "mastered"
    assert move["notes"] is None  # private to staff
    assert section["topics"][0] == {
        "node_id": str(tree["Motion"]),
        "name": "Motion",
        "mastered": 1,
        "total": 4,
    }
    assert [n["name"] for n in section["next_skills"]] == ["Turn left", "Repeat"]


def test_a_roll_of_progress_is_saved_at_once(api: Api) -> None:
    tree = scratch_class(api.world)
    path = f"/api/v1/cohorts/{api.world.cohort.id}/skills/{tree['Repeat']}/progress"
    body = {"statuses": [{"student_id": str(api.world.child.id), "status": "mastered"}]}

    first = api.client("campus_manager").put(path, json=body)
    again = api.client("campus_manager").put(path, json=body)

    assert first.status_code == 200, first.text
    [record] = first.json()
    assert record["student_id"] == str(api.world.child.id)
    assert record["status"] == "mastered"
    assert again.json() == []  # nothing changed


def test_bad_progress_is_refused_and_nothing_is_written(api: Api) -> None:
    tree = scratch_class(api.world)
    child, move = api.world.child.id, tree["Move"]
    path = f"/api/v1/students/{child}/skills/{move}/progress"

    wrong_status = unchanged(api, "super_admin", "PUT", path, {"status": "expert"}, 400)
    wrong_flag = unchanged(
        api,
        "super_admin",
        "PUT",
        path,
        {"status": "mastered", "notes_visible_to_family": "yes"},
        400,
    )
    outsider = unchanged(
        api,
        "super_admin",
        "PUT",
        f"/api/v1/students/{api.world.other_child.id}/skills/{move}/progress",
        {"status": "mastered"},
        422,
    )
    stranger = unchanged(
        api,
        "super_admin",
        "PUT",
        f"/api/v1/cohorts/{api.world.cohort.id}/skills/{move}/progress",
        {"statuses": [{"student_id": str(api.world.other_child.id), "status": "mastered"}]},
        422,
    )
    unknown = unchanged(
        api,
        "super_admin",
        "PUT",
        f"/api/v1/students/{uuid4()}/skills/{move}/progress",
        {"status": "mastered"},
        404,
    )
    bad_count = api.client("super_admin").get(
        f"/api/v1/students/{child}/progress", params={"next_count": -1}
    )

    assert wrong_status["errors"][0]["field"] == "status"
    assert wrong_flag["errors"][0]["field"] == "notes_visible_to_family"
    assert outsider["field"] == "SkillProgress.skill_node_id"
    assert stranger["field"] == "SkillProgress.student_id"
    assert unknown["detail"] == "Student not found"
    assert bad_count.status_code == 400


def test_assistants_read_progress_but_do_not_update_it(api: Api) -> None:
    tree = scratch_class(api.world)
    child = api.world.child.id
    unchanged(
        api,
        "teaching_assistant",
        "PUT",
        f"/api/v1/students/{child}/skills/{tree['Move']}/progress",
        {"status": "mastered"},
        403,
    )
    assert (
        api.client("teaching_assistant").get(f"/api/v1/students/{child}/progress").status_code
        == 200
    )
    unchanged(api, "other_manager", "GET", f"/api/v1/students/{child}/progress", None, 403)
    unchanged(api, "front_desk", "GET", f"/api/v1/students/{child}/progress", None, 403)


# -- rubrics and projects ---------------------------------------------------------------------


def test_rubrics_of_a_program_and_a_cohort(api: Api) -> None:
    program = f"/api/v1/programs/{api.world.program.id}/rubric"
    cohort = f"/api/v1/cohorts/{api.world.cohort.id}/rubric"
    admin, lead = api.client("super_admin"), api.client("lead_instructor")

    nothing = lead.get(cohort)
    set_program = admin.put(program, json=RUBRIC)
    inherited = lead.get(cohort)
    own = lead.put(cohort, json={"criteria": [{"name": "teamwork", "max_points": "20"}]})
    after_own = lead.get(cohort)
    removed = lead.delete(cohort)
    after_removal = lead.get(cohort)
    program_removed = admin.delete(program)

    assert nothing.status_code == 200, nothing.text
    assert nothing.json() is None
    assert set_program.status_code == 200, set_program.text
    assert set_program.json() == {
        "criteria": [
            {"name": "functionality", "max_points": "10", "description": None},
            {"name": "creativity", "max_points": "5", "description": "Something of their own"},
        ],
        "max_score": "15.00",
    }
    assert inherited.json() == set_program.json()
    assert own.status_code == 200, own.text
    assert after_own.json()["criteria"][0]["name"] == "teamwork"
    assert removed.status_code == 204
    assert after_removal.json() == set_program.json()
    assert program_removed.status_code == 204
    assert load_program(api).rubric is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"criteria": []}, 422, "Rubric.criteria"),
        ({"criteria": [{"name": "x", "max_points": "0"}]}, 422, "RubricCriterion.max_points"),
        ({"criteria": [{"name": "x", "max_points": "NaN"}]}, 422, "RubricCriterion.max_points"),
        ({"criteria": [{"name": "x", "max_points": "ten"}]}, 400, "criteria"),
        ({"criteria": [{"name": "x", "max_points": "1", "weight": 2}]}, 400, "weight"),
    ],
)
def test_bad_rubrics_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], status: int, field: str
) -> None:
    path = f"/api/v1/cohorts/{api.world.cohort.id}/rubric"
    found = unchanged(api, "super_admin", "PUT", path, body, status)
    named = found.get("field") or " ".join(str(e["field"]) for e in found.get("errors", []))
    assert field in named, found


def test_projects_are_submitted_listed_and_graded(api: Api) -> None:
    scratch_class(api.world)
    api.client("super_admin").put(f"/api/v1/programs/{api.world.program.id}/rubric", json=RUBRIC)
    lead = api.client("lead_instructor")

    submitted = lead.post(
        f"/api/v1/cohorts/{api.world.cohort.id}/projects",
        json={
            "student_id": str(api.world.child.id),
            "title": "Maze game",
            "project_url": "https://scratch.mit.edu/projects/1234",
        },
    )
    project = submitted.json()
    graded = lead.post(
        f"/api/v1/projects/{project['id']}/grade",
        json={"points": {"functionality": "8.5", "creativity": 4}, "feedback": "Great maze"},
    )
    by_cohort = api.client("teaching_assistant").get(
        f"/api/v1/cohorts/{api.world.cohort.id}/projects"
    )
    by_student = lead.get(f"/api/v1/students/{api.world.child.id}/projects", params={"limit": 1})

    assert submitted.status_code == 201, submitted.text
    assert project["score"] is None
    assert project["graded_at"] is None
    assert project["cohort_id"] == str(api.world.cohort.id)
    assert graded.status_code == 200, graded.text
    assert graded.json()["score"] == "12.50"
    assert graded.json()["rubric_scores"] == {"functionality": "8.5", "creativity": "4"}
    assert graded.json()["graded_by_staff_id"] == str(api.world.staff["lead_instructor"].id)
    assert by_cohort.status_code == 200, by_cohort.text
    assert [p["id"] for p in by_cohort.json()["items"]] == [project["id"]]
    assert by_student.json()["total"] == 1
    assert by_student.json()["limit"] == 1


def test_bad_submissions_and_grades_are_refused_and_nothing_is_written(api: Api) -> None:
    project = submission(api.world)
    cohort = f"/api/v1/cohorts/{api.world.cohort.id}/projects"

    bad_url = unchanged(
        api,
        "super_admin",
        "POST",
        cohort,
        {"student_id": str(api.world.child.id), "title": "Maze", "project_url": "javascript:x"},
        422,
    )
    not_in_cohort = unchanged(
        api,
        "super_admin",
        "POST",
        cohort,
        {"student_id": str(api.world.other_child.id), "title": "Maze"},
        422,
    )
    bad_id = unchanged(
        api, "super_admin", "POST", cohort, {"student_id": "kim", "title": "Maze"}, 400
    )
    missing = unchanged(
        api,
        "super_admin",
        "POST",
        f"/api/v1/projects/{project.id}/grade",
        {"points": {"functionality": "8"}},
        422,
    )
    too_many = unchanged(
        api,
        "super_admin",
        "POST",
        f"/api/v1/projects/{project.id}/grade",
        {"points": {"functionality": "11", "creativity": "1"}},
        422,
    )
    unknown = unchanged(
        api, "super_admin", "POST", f"/api/v1/projects/{uuid4()}/grade", {"points": {}}, 404
    )

    assert bad_url["field"] == "ProjectSubmission.project_url"
    assert not_in_cohort["field"] == "ProjectSubmission.student_id"
    assert bad_id["errors"][0]["field"] == "student_id"
    assert missing["field"] == "rubric_scores.creativity"
    assert too_many["field"] == "rubric_scores.functionality"
    assert unknown["detail"] == "ProjectSubmission not found"


def test_who_grades_and_who_only_reads_projects(api: Api) -> None:
    project = submission(api.world)
    grade = {"points": {"functionality": "8", "creativity": "4"}}
    unchanged(api, "teaching_assistant", "POST", f"/api/v1/projects/{project.id}/grade", grade, 403)
    unchanged(api, "other_instructor", "POST", f"/api/v1/projects/{project.id}/grade", grade, 403)
    listed = api.client("teaching_assistant").get(f"/api/v1/cohorts/{api.world.cohort.id}/projects")
    assert listed.status_code == 200
    unchanged(
        api, "front_desk", "GET", f"/api/v1/cohorts/{api.world.cohort.id}/projects", None, 403
    )
