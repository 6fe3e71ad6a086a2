"""Hypothesis state machines over the learning use cases on the memory adapter.

ProgressJourney: any sequence of progress changes (one student at a time, whole rolls,
skills retired on the way) leaves every record's history consistent with its status: it
chains from not_started, each change starts where the previous one ended, the last one ends
at the current status, and ``mastered_at`` is set exactly when the skill is mastered (at the
time of the change that mastered it).

TreeEditing: any sequence of add / move / reorder / retire keeps every node's level at its
parent's plus one, the live siblings numbered 0..n-1 in the order a simple model predicts,
live nodes under live parents, and no cycles. Refused moves (a node under its own subtree)
write nothing.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.unit.services.conftest import World, build_world
from tests.unit.services.helpers import snapshot
from tests.unit.services.test_enrolment import active
from tests.unit.services.test_skills import SCRATCH, build_tree

from rocket_core import model as m
from rocket_core.errors import Conflict, ValidationError
from rocket_core.model import SkillStatus as S
from rocket_core.permissions import Actor
from rocket_core.services.progress import ProgressService
from rocket_core.services.skills import SkillTreeService, tree_order

pick = st.integers(min_value=0, max_value=10_000)
statuses = st.sampled_from(list(S))
#: Small ranges, so that the same student and skill come back often.
kid = st.integers(min_value=0, max_value=2)
skill = st.integers(min_value=0, max_value=len(SCRATCH) - 1)


class ProgressJourney(RuleBasedStateMachine):
    """The Scratch tree, three children in the world's cohort, their lead instructor."""

    def __init__(self) -> None:
        super().__init__()
        self.world: World = build_world()
        self.tree = build_tree(self.world)
        self.nodes: list[UUID] = list(self.tree.nodes.values())
        self.kids: list[UUID] = [
            self.world.child.id,
            self.world.sibling.id,
            self.world.other_child.id,
        ]
        for kid in (self.world.child, self.world.sibling, self.world.other_child):
            active(self.world, kid)
        self.service = ProgressService(self.world.make_uow, self.world.clock, self.world.bus)
        self.skills = SkillTreeService(self.world.make_uow, self.world.clock, self.world.bus)
        self.lead: Actor = self.world.actor("lead_instructor")
        #: What each (student, node) should be, and how many changes it went through.
        self.expected: dict[tuple[UUID, UUID], S] = {}
        self.changes: dict[tuple[UUID, UUID], int] = {}
        self.retired: set[UUID] = set()

    def tick(self) -> None:
        self.world.clock.advance(timedelta(minutes=1))

    def apply(self, student: UUID, node: UUID, status: S) -> None:
        key = (student, node)
        if self.expected.get(key, S.NOT_STARTED) is not status:
            self.changes[key] = self.changes.get(key, 0) + 1
        self.expected[key] = status

    @rule(student=kid, node=skill, status=statuses)
    def update_one(self, student: int, node: int, status: S) -> None:
        self.tick()
        kid, skill = self.kids[student % 3], self.nodes[node % len(self.nodes)]
        if skill in self.retired:
            before = snapshot(self.world)
            with pytest.raises(Conflict):
                self.service.update(self.lead, kid, skill, status)
            assert snapshot(self.world) == before
            return
        updated = self.service.update(self.lead, kid, skill, status)
        assert updated.status is status
        self.apply(kid, skill, status)

    @rule(node=skill, marks=st.lists(st.tuples(kid, statuses), min_size=1, max_size=3))
    def update_roll(self, node: int, marks: list[tuple[int, S]]) -> None:
        self.tick()
        skill = self.nodes[node % len(self.nodes)]
        wanted = {self.kids[i % 3]: status for i, status in marks}
        if skill in self.retired:
            before = snapshot(self.world)
            with pytest.raises(Conflict):
                self.service.update_roll(self.lead, self.world.cohort.id, skill, wanted)
            assert snapshot(self.world) == before
            return
        changed = self.service.update_roll(self.lead, self.world.cohort.id, skill, wanted)
        expected_changes = {
            kid
            for kid, status in wanted.items()
            if self.expected.get((kid, skill), S.NOT_STARTED) is not status
        }
        assert {p.student_id for p in changed} == expected_changes
        for kid, status in wanted.items():
            self.apply(kid, skill, status)

    @precondition(lambda self: len(self.retired) < 3)
    @rule(node=skill)
    def retire(self, node: int) -> None:
        skill = self.nodes[node % len(self.nodes)]
        if skill in self.retired:
            return
        self.tick()
        for retired in self.skills.retire_node(self.world.actor("super_admin"), skill):
            self.retired.add(retired.id)

    @invariant()
    def histories_match_the_statuses(self) -> None:
        with self.world.uow() as uow:
            records = [p for kid in self.kids for p in uow.skill_progress.list_for_student(kid)]
        assert {(p.student_id, p.skill_node_id) for p in records} == {
            key for key, count in self.changes.items() if count
        }
        for p in records:
            key = (p.student_id, p.skill_node_id)
            assert p.status is self.expected[key]
            assert len(p.history) == self.changes[key]
            previous = S.NOT_STARTED
            for change in p.history:
                assert change.from_status is previous
                assert change.to_status is not change.from_status
                assert change.changed_by_staff_id == self.lead.staff_id
                previous = change.to_status
            assert previous is p.status
            times = [change.changed_at for change in p.history]
            assert times == sorted(times)
            if p.status is S.MASTERED:
                assert p.mastered_at == p.history[-1].changed_at
            else:
                assert p.mastered_at is None


ProgressJourney.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
test_progress_journey = ProgressJourney.TestCase


class TreeEditing(RuleBasedStateMachine):
    """One tree edited by a super admin, against a model of the live siblings' lists."""

    def __init__(self) -> None:
        super().__init__()
        self.world: World = build_world()
        self.service = SkillTreeService(self.world.make_uow, self.world.clock, self.world.bus)
        self.admin: Actor = self.world.actor("super_admin")
        self.tree_id = self.service.create_tree(self.admin, "Edited").id
        #: parent (None: the roots) -> its live children in order.
        self.kids: dict[UUID | None, list[UUID]] = {None: []}
        self.parent: dict[UUID, UUID | None] = {}
        self.live: list[UUID] = []  # creation order, for replayable choices
        self.count = 0

    def choose(self, index: int, *, allow_none: bool) -> UUID | None:
        options: list[UUID | None] = [*self.live, None] if allow_none else list(self.live)
        return options[index % len(options)]

    def subtree(self, node: UUID) -> set[UUID]:
        found = {node}
        for kid in self.kids.get(node, []):
            found |= self.subtree(kid)
        return found

    @staticmethod
    def place(size: int, position: int | None) -> int | None:
        return None if position is None else position % (size + 1)

    @precondition(lambda self: len(self.live) < 25)
    @rule(parent=pick, position=st.none() | pick)
    def add(self, parent: int, position: int | None) -> None:
        under = self.choose(parent, allow_none=True)
        siblings = self.kids[under]
        at = self.place(len(siblings), position)
        self.count += 1
        node = self.service.add_node(self.admin, self.tree_id, f"S{self.count}", under, position=at)
        siblings.insert(len(siblings) if at is None else at, node.id)
        self.kids[node.id] = []
        self.parent[node.id] = under
        self.live.append(node.id)

    @precondition(lambda self: bool(self.live))
    @rule(node=pick, to=pick, position=st.none() | pick)
    def move(self, node: int, to: int, position: int | None) -> None:
        moved = self.choose(node, allow_none=False)
        assert moved is not None
        under = self.choose(to, allow_none=True)
        if under is not None and under in self.subtree(moved):
            before = snapshot(self.world)
            with pytest.raises(ValidationError) as refused:
                self.service.move_node(self.admin, moved, under)
            assert refused.value.field == "SkillNode.parent_node_id"
            assert snapshot(self.world) == before
            return
        old = self.parent[moved]
        self.kids[old].remove(moved)
        siblings = self.kids[under]
        at = self.place(len(siblings), position)
        self.service.move_node(self.admin, moved, under, position=at)
        siblings.insert(len(siblings) if at is None else at, moved)
        self.parent[moved] = under

    @rule(parent=pick, data=st.data())
    def reorder(self, parent: int, data: st.DataObject) -> None:
        under = self.choose(parent, allow_none=True)
        order = data.draw(st.permutations(self.kids[under]))
        self.service.reorder(self.admin, under, self.tree_id, order)
        self.kids[under] = list(order)

    @precondition(lambda self: bool(self.live))
    @rule(node=pick)
    def retire(self, node: int) -> None:
        gone = self.choose(node, allow_none=False)
        assert gone is not None
        retired = self.service.retire_node(self.admin, gone)
        subtree = self.subtree(gone)
        assert {n.id for n in retired} == subtree
        self.kids[self.parent[gone]].remove(gone)
        self.live = [n for n in self.live if n not in subtree]
        for n in subtree:
            self.kids.pop(n, None)

    @invariant()
    def the_tree_is_consistent(self) -> None:
        with self.world.uow() as uow:
            nodes = {n.id: n for n in uow.skill_nodes.list_for_tree(self.tree_id)}
        for node in nodes.values():
            # Levels follow the parents, for retired nodes too.
            if node.parent_node_id is None:
                assert node.level == 0
            else:
                assert node.level == nodes[node.parent_node_id].level + 1
            # No cycles: the way up ends at a root within as many steps as there are nodes.
            seen: set[UUID] = set()
            up: m.SkillNode | None = node
            while up is not None:
                assert up.id not in seen
                seen.add(up.id)
                up = None if up.parent_node_id is None else nodes[up.parent_node_id]
            if not node.is_retired and node.parent_node_id is not None:
                assert not nodes[node.parent_node_id].is_retired
        assert {n.id for n in nodes.values() if not n.is_retired} == set(self.live)
        for parent, expected in self.kids.items():
            live = sorted(
                (n for n in nodes.values() if n.parent_node_id == parent and not n.is_retired),
                key=lambda n: n.order,
            )
            assert [n.id for n in live] == expected
            assert [n.order for n in live] == list(range(len(live)))
        assert len(tree_order(nodes.values())) == len(self.live)


TreeEditing.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
test_tree_editing = TreeEditing.TestCase
