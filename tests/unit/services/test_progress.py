"""ProgressService: students' status on skills (one at a time or a whole roll), the history
of every change, and the progress report.

The world's program uses the "Scratch Skills" tree (test_skills.SCRATCH); the world's three
children hold active enrolments in its cohort at Werribee, taught by the world's lead
instructor and teaching assistant.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, add_cohort, snapshot, walk
from tests.unit.services.test_enrolment import (
    active,
    add_student,
    audit_actions,
    audit_entries,
    enquiry,
    refused,
)
from tests.unit.services.test_enrolment import (
    service as enrolments,
)
from tests.unit.services.test_skills import (
    Tree,
    admin,
    build_tree,
    other_tree,
    skills,
)

from rocket_adapters.memory.repositories import MemorySkillProgressRepository
from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.model import SkillStatus as S
from rocket_core.services.progress import ProgressService

#: Who may update skill progress for the world's cohort, and who may read it.
UPDATES = {"super_admin", "campus_manager", "lead_instructor"}
VIEWS = UPDATES | {"teaching_assistant"}


def progress(world: World) -> ProgressService:
    return ProgressService(world.make_uow, world.clock, world.bus)


@attrs.define
class Class:
    tree: Tree
    kids: list[m.Student]
    enrolments: list[m.Enrolment]


def scratch_class(world: World) -> Class:
    """The Scratch tree on the world's program and its three children active in the cohort."""
    tree = build_tree(world)
    kids = [world.child, world.sibling, world.other_child]
    return Class(tree, kids, [active(world, kid) for kid in kids])


@attrs.define
class Python:
    tree: Tree
    cohort: m.Cohort


def python_class(world: World, student: m.Student) -> Python:
    """A Python program with its own tree, a cohort of it at Geelong taught by the other
    instructor, and ``student`` active in it."""
    program = m.Program(organisation_id=world.org_id, name="Python Basics")
    world.add(program)
    tree = build_tree(
        world,
        (("Variables", None), ("Strings", "Variables"), ("Functions", None)),
        name="Python Skills",
        program=program,
    )
    cohort = add_cohort(world, campus=world.other_campus, program=program, name="Python - Geelong")
    world.add(
        m.CohortStaff(
            organisation_id=world.org_id,
            cohort_id=cohort.id,
            staff_id=world.staff["other_instructor"].id,
            role=m.CohortStaffRole.LEAD_INSTRUCTOR,
        )
    )
    active(world, student, cohort)
    return Python(tree, cohort)


def record(world: World, student: m.Student, node_id: UUID) -> m.SkillProgress | None:
    with world.uow() as uow:
        return uow.skill_progress.find_for(student.id, node_id)


def later(world: World, minutes: int = 5) -> None:
    world.clock.advance(timedelta(minutes=minutes))


# -- one student -------------------------------------------------------------------------


def test_the_first_update_creates_the_record_with_its_history(world: World) -> None:
    c = scratch_class(world)
    lead = world.actor("lead_instructor")
    updated = progress(world).update(lead, world.child.id, c.tree["Move"], S.IN_PROGRESS)
    stored = record(world, world.child, c.tree["Move"])
    assert stored is not None
    assert stored.id == updated.id
    assert (stored.status, stored.mastered_at, stored.updated_by_staff_id) == (
        S.IN_PROGRESS,
        None,
        lead.staff_id,
    )
    (change,) = stored.history
    assert (change.from_status, change.to_status) == (S.NOT_STARTED, S.IN_PROGRESS)
    assert (change.changed_by_staff_id, change.changed_at) == (lead.staff_id, world.clock.now())
    (entry,) = audit_entries(world, stored.id)
    assert entry.action == "skill_progress.update"
    assert entry.changes["status"] == ["not_started", "in_progress"]


def test_mastery_is_stamped_and_a_regression_stays_in_the_history(world: World) -> None:
    c = scratch_class(world)
    lead = world.actor("lead_instructor")
    progress(world).update(lead, world.child.id, c.tree["Move"], S.IN_PROGRESS)
    later(world)
    mastered = progress(world).update(lead, world.child.id, c.tree["Move"], "mastered")
    assert (mastered.status, mastered.mastered_at) == (S.MASTERED, world.clock.now())
    later(world)
    progress(world).update(admin(world), world.child.id, c.tree["Move"], S.IN_PROGRESS)
    stored = record(world, world.child, c.tree["Move"])
    assert stored is not None
    assert (stored.status, stored.mastered_at) == (S.IN_PROGRESS, None)
    history = progress(world).history(
        world.actor("teaching_assistant"), world.child.id, c.tree["Move"]
    )
    assert [(h.from_status, h.to_status) for h in history] == [
        (S.NOT_STARTED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.MASTERED),
        (S.MASTERED, S.IN_PROGRESS),
    ]
    assert [h.changed_by_staff_id for h in history] == [
        lead.staff_id,
        lead.staff_id,
        admin(world).staff_id,
    ]
    assert history[0].changed_at < history[1].changed_at < history[2].changed_at


def test_an_update_that_changes_nothing_writes_nothing(world: World) -> None:
    c = scratch_class(world)
    lead = world.actor("lead_instructor")
    before = snapshot(world)
    untouched = progress(world).update(lead, world.child.id, c.tree["Move"], S.NOT_STARTED)
    assert (untouched.status, untouched.history) == (S.NOT_STARTED, [])
    assert snapshot(world) == before
    assert record(world, world.child, c.tree["Move"]) is None
    progress(world).update(lead, world.child.id, c.tree["Move"], S.MASTERED, notes="Fast")
    before = snapshot(world)
    again = progress(world).update(lead, world.child.id, c.tree["Move"], S.MASTERED, notes="Fast")
    assert again.status is S.MASTERED
    assert snapshot(world) == before


def test_notes_are_private_unless_made_visible_and_empty_clears_them(world: World) -> None:
    c = scratch_class(world)
    lead = world.actor("lead_instructor")
    node = c.tree["Turn"]
    first = progress(world).update(lead, world.child.id, node, S.NOT_STARTED, notes="Shy today")
    assert (first.notes, first.notes_visible_to_family, first.history) == ("Shy today", False, [])
    assert record(world, world.child, node) is not None  # a note alone is a first touch
    shown = progress(world).update(
        lead, world.child.id, node, S.NOT_STARTED, notes_visible_to_family=True
    )
    assert (shown.notes, shown.notes_visible_to_family) == ("Shy today", True)
    cleared = progress(world).update(lead, world.child.id, node, S.NOT_STARTED, notes="")
    assert cleared.notes is None
    entries = audit_entries(world, first.id)
    assert [e.changes.get("notes") for e in entries] == ["changed", None, "cleared"]
    assert entries[1].changes["notes_visible_to_family"] == [False, True]
    assert all("Shy" not in str(e.changes) for e in entries)


def test_bad_progress_input_is_refused_and_writes_nothing(world: World) -> None:
    c = scratch_class(world)
    python = other_tree(world)  # not used by any program
    outsider = add_student(world)
    lead = world.actor("lead_instructor")

    def update(student: UUID, node: UUID, status: Any = S.MASTERED, **kw: Any) -> Any:
        return lambda: progress(world).update(lead, student, node, status, **kw)

    refused(world, NotFound, update(world.child.id, uuid4()), "SkillNode")
    refused(world, NotFound, update(uuid4(), c.tree["Move"]), "Student")
    error = refused(world, ValidationError, update(world.child.id, c.tree["Move"], "expert"))
    assert isinstance(error, ValidationError)
    assert error.field == "SkillProgress.status"
    for student, node in ((world.child.id, python["Variables"]), (outsider.id, c.tree["Move"])):
        error = refused(world, ValidationError, update(student, node), "not in the skill tree")
        assert isinstance(error, ValidationError)
        assert error.field == "SkillProgress.skill_node_id"
    error = refused(world, ValidationError, update(world.child.id, c.tree["Move"], notes=3))
    assert isinstance(error, ValidationError)
    assert error.field == "SkillProgress.notes"


def test_a_retired_skill_keeps_its_progress_and_refuses_updates(world: World) -> None:
    c = scratch_class(world)
    lead = world.actor("lead_instructor")
    progress(world).update(lead, world.child.id, c.tree["Repeat"], S.MASTERED)
    skills(world).retire_node(admin(world), c.tree["Loops"])
    refused(
        world,
        Conflict,
        lambda: progress(world).update(lead, world.child.id, c.tree["Repeat"], S.IN_PROGRESS),
        "retired",
    )
    history = progress(world).history(lead, world.child.id, c.tree["Repeat"])
    assert [h.to_status for h in history] == [S.MASTERED]


def test_only_live_enrolments_open_a_students_progress(world: World) -> None:
    c = scratch_class(world)
    enrolments(world).drop(
        admin(world), c.enrolments[0].id, on=date(2026, 2, 10), reason="Moved away"
    )
    refused(
        world,
        ValidationError,
        lambda: progress(world).update(admin(world), world.child.id, c.tree["Move"], S.MASTERED),
    )
    # An enquiry is live: the student can be assessed in a trial.
    newcomer = add_student(world)
    enquiry(world, newcomer)
    progress(world).update(admin(world), newcomer.id, c.tree["Move"], S.IN_PROGRESS)


def test_the_scope_is_the_cohort_that_uses_the_skills_tree(world: World) -> None:
    c = scratch_class(world)
    py = python_class(world, world.child)
    geelong = world.actor("other_manager")
    progress(world).update(geelong, world.child.id, py.tree["Strings"], S.IN_PROGRESS)
    with pytest.raises(Forbidden):
        progress(world).update(geelong, world.child.id, c.tree["Move"], S.IN_PROGRESS)
    with pytest.raises(Forbidden):
        progress(world).update(
            world.actor("lead_instructor"), world.child.id, py.tree["Strings"], S.MASTERED
        )
    teacher = world.actor("other_instructor")
    assert [
        h.to_status for h in progress(world).history(teacher, world.child.id, py.tree["Strings"])
    ] == [S.IN_PROGRESS]
    with pytest.raises(Forbidden):
        progress(world).history(teacher, world.child.id, c.tree["Move"])


# -- a whole roll --------------------------------------------------------------------------


def test_a_roll_updates_every_student_in_one_call(world: World) -> None:
    c = scratch_class(world)
    lead = world.actor("lead_instructor")
    progress(world).update(lead, world.sibling.id, c.tree["Move"], S.MASTERED)
    changed = progress(world).update_roll(
        lead,
        world.cohort.id,
        c.tree["Move"],
        {
            world.child.id: S.MASTERED,
            world.sibling.id: S.MASTERED,
            world.other_child.id: "in_progress",
        },
    )
    # By name (last, first): Kim Nguyen, Alex Smith; An Nguyen did not change.
    assert [(p.student_id, p.status) for p in changed] == [
        (world.child.id, S.MASTERED),
        (world.other_child.id, S.IN_PROGRESS),
    ]
    for kid, status in (
        (world.child, S.MASTERED),
        (world.sibling, S.MASTERED),
        (world.other_child, S.IN_PROGRESS),
    ):
        stored = record(world, kid, c.tree["Move"])
        assert stored is not None
        assert stored.status is status
        assert [h.to_status for h in stored.history] == [status]
    assert [audit_actions(world, p.id) for p in changed] == [["skill_progress.update"]] * 2


def test_a_roll_reads_the_records_in_one_query(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = scratch_class(world)

    def per_student(*args: object) -> None:
        raise AssertionError("update_roll must not look records up one student at a time")

    monkeypatch.setattr(MemorySkillProgressRepository, "find_for", per_student)
    changed = progress(world).update_roll(
        admin(world), world.cohort.id, c.tree["Turn"], {k.id: S.IN_PROGRESS for k in c.kids}
    )
    assert len(changed) == 3


def test_a_roll_is_all_or_nothing(world: World) -> None:
    c = scratch_class(world)
    outsider = add_student(world)
    python = other_tree(world)
    lead = world.actor("lead_instructor")

    def roll(node: UUID, statuses: dict[UUID, Any]) -> Any:
        return lambda: progress(world).update_roll(lead, world.cohort.id, node, statuses)

    good = {world.child.id: S.MASTERED}
    error = refused(
        world,
        ValidationError,
        roll(c.tree["Move"], {**good, outsider.id: S.MASTERED}),
        outsider.display_name,
    )
    assert isinstance(error, ValidationError)
    assert error.field == "SkillProgress.student_id"
    refused(world, NotFound, roll(c.tree["Move"], {**good, uuid4(): S.MASTERED}), "Student")
    refused(world, NotFound, roll(uuid4(), good), "SkillNode")
    refused(world, ValidationError, roll(c.tree["Move"], {**good, world.sibling.id: "done"}))
    refused(world, ValidationError, roll(c.tree["Move"], {}), "at least one")
    error = refused(world, ValidationError, roll(python["Variables"], good), "Scratch Basics")
    assert isinstance(error, ValidationError)
    assert error.field == "SkillProgress.skill_node_id"
    refused(
        world,
        NotFound,
        lambda: progress(world).update_roll(lead, uuid4(), c.tree["Move"], good),
        "Cohort",
    )
    skills(world).retire_node(admin(world), c.tree["Move"])
    refused(world, Conflict, roll(c.tree["Move"], good), "retired")


def test_a_roll_needs_live_enrolments_in_that_cohort(world: World) -> None:
    c = scratch_class(world)
    enrolments(world).drop(
        admin(world), c.enrolments[1].id, on=date(2026, 2, 10), reason="Moved away"
    )
    refused(
        world,
        ValidationError,
        lambda: progress(world).update_roll(
            admin(world), world.cohort.id, c.tree["Move"], {world.sibling.id: S.MASTERED}
        ),
        "no live enrolment",
    )


# -- the report ----------------------------------------------------------------------------


def arrange_report(world: World) -> Class:
    c = scratch_class(world)
    lead = world.actor("lead_instructor")
    kid = world.child.id
    progress(world).update(lead, kid, c.tree["Move"], S.MASTERED, notes="Private remark")
    progress(world).update(
        lead, kid, c.tree["Turn left"], S.MASTERED, notes="Well done!", notes_visible_to_family=True
    )
    progress(world).update(lead, kid, c.tree["Repeat"], S.IN_PROGRESS)
    progress(world).update(lead, kid, c.tree["Motion"], S.MASTERED)
    return c


def test_the_report_lists_the_tree_with_topics_and_next_skills(world: World) -> None:
    c = arrange_report(world)
    report = progress(world).report(world.actor("teaching_assistant"), world.child.id)
    assert (report.student_id, report.student_name, report.for_family) == (
        world.child.id,
        world.child.display_name,
        False,
    )
    (section,) = report.trees
    assert (section.skill_tree_id, section.name, section.cohort_ids) == (
        c.tree.id,
        "Scratch Skills",
        (world.cohort.id,),
    )
    assert [(n.name, n.status) for n in section.nodes] == [
        ("Motion", S.MASTERED),
        ("Move", S.MASTERED),
        ("Turn", S.NOT_STARTED),
        ("Turn left", S.MASTERED),
        ("Loops", S.NOT_STARTED),
        ("Repeat", S.IN_PROGRESS),
        ("Forever", S.NOT_STARTED),
        ("Events", S.NOT_STARTED),
    ]
    assert section.nodes[1].mastered_at == world.clock.now()
    assert section.nodes[1].notes == "Private remark"
    assert [(t.name, t.mastered, t.total) for t in section.topics] == [
        ("Motion", 3, 4),
        ("Loops", 0, 3),
        ("Events", 0, 1),
    ]
    # Leaves not mastered, in tree order ("Turn" and "Loops" are topics of their skills).
    assert [n.name for n in section.next_skills] == ["Repeat", "Forever", "Events"]
    short = progress(world).report(admin(world), world.child.id, next_count=1)
    assert [n.name for n in short.trees[0].next_skills] == ["Repeat"]


def test_the_family_report_drops_private_notes(world: World) -> None:
    arrange_report(world)
    report = progress(world).report(admin(world), world.child.id, for_family=True)
    notes = {n.name: n.notes for n in report.trees[0].nodes}
    assert notes["Turn left"] == "Well done!"
    assert notes["Move"] is None
    assert report.for_family


def test_the_report_leaves_retired_skills_out(world: World) -> None:
    c = arrange_report(world)
    skills(world).retire_node(admin(world), c.tree["Turn"])
    (section,) = progress(world).report(admin(world), world.child.id).trees
    assert [n.name for n in section.nodes] == [
        "Motion",
        "Move",
        "Loops",
        "Repeat",
        "Forever",
        "Events",
    ]
    assert section.topics[0].mastered == 2
    assert section.topics[0].total == 2
    # The progress on the retired skill is kept.
    assert record(world, world.child, c.tree["Turn left"]) is not None


def test_the_report_has_a_section_per_tree_the_actor_may_view(world: World) -> None:
    c = scratch_class(world)
    py = python_class(world, world.child)
    everything = progress(world).report(admin(world), world.child.id)
    assert {t.skill_tree_id for t in everything.trees} == {c.tree.id, py.tree.id}
    (mine,) = progress(world).report(world.actor("lead_instructor"), world.child.id).trees
    assert mine.skill_tree_id == c.tree.id
    (theirs,) = progress(world).report(world.actor("other_manager"), world.child.id).trees
    assert theirs.skill_tree_id == py.tree.id
    assert [n.name for n in theirs.next_skills] == ["Strings", "Functions"]
    with pytest.raises(Forbidden):
        progress(world).report(world.actor("other_instructor"), world.sibling.id)


def test_a_student_without_live_cohorts_is_for_super_admins_only(world: World) -> None:
    outsider = add_student(world)
    assert progress(world).report(admin(world), outsider.id).trees == ()
    with pytest.raises(Forbidden):
        progress(world).report(world.actor("campus_manager"), outsider.id)
    with pytest.raises(NotFound):
        progress(world).report(admin(world), uuid4())


@pytest.mark.parametrize("count", [-1, True, 1.5])
def test_next_count_must_be_a_whole_number(world: World, count: Any) -> None:
    scratch_class(world)
    error = refused(
        world, ValidationError, lambda: progress(world).report(admin(world), world.child.id, count)
    )
    assert isinstance(error, ValidationError)
    assert error.field == "next_count"


# -- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_who_may_update_progress(world: World, who: str) -> None:
    c = scratch_class(world)
    walk(
        world,
        who,
        UPDATES,
        lambda a: progress(world).update(a, world.child.id, c.tree["Move"], S.MASTERED),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_update_a_roll(world: World, who: str) -> None:
    c = scratch_class(world)
    walk(
        world,
        who,
        UPDATES,
        lambda a: progress(world).update_roll(
            a, world.cohort.id, c.tree["Move"], {world.child.id: S.MASTERED}
        ),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_the_history(world: World, who: str) -> None:
    c = scratch_class(world)
    walk(world, who, VIEWS, lambda a: progress(world).history(a, world.child.id, c.tree["Move"]))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_the_report(world: World, who: str) -> None:
    scratch_class(world)
    walk(world, who, VIEWS, lambda a: progress(world).report(a, world.child.id))
