"""Skill trees: the curriculum's hierarchy of skills, edited without losing anyone's progress.

Who may do what (product-rules.md, "Staff permissions"):

- A skill tree is curriculum, organisation-wide like a program: creating a tree, adding,
  moving, reordering, renaming and retiring its nodes, and pointing a program at a tree need
  ``create cohorts, assign instructors`` (``Action.MANAGE_COHORTS``) with scope all, the
  action SchedulingService uses to create and change programs: super admins.
- Reading a tree's structure (``tree``) is open to every staff member of the organisation:
  it holds no student's data.

Decisions where the rules are silent:

- **Order.** The live children of a node (and the live roots of a tree) are its siblings,
  numbered 0..n-1 without gaps. A new or moved node goes last unless a ``position`` is given;
  the siblings from that position on shift one place down. Retired nodes keep the order they
  last had (history) and do not count among the siblings.
- **Levels.** A node's level is its parent's plus one (0 for a root). Moving a node relevels
  its whole subtree, retired descendants included, so the rule holds for every node.
- **Cycles.** A node cannot move under itself or one of its descendants.
- **Retiring** a node retires its live subtree at the same instant (no hard delete: progress
  on those nodes stays and comes back in the history). A retired node cannot be moved,
  renamed, given children or retired again (Conflict).
- Tree names are unique in an organisation (case-insensitive).
- **Audit.** One entry per operation on the node it is about (a reorder: on the parent node,
  or on the tree for its roots); siblings whose order shifted are listed in its changes as
  ``shifted`` {id: [before, after]}. Retiring writes one entry per retired node.
- Ids of nodes of another tree are not found (NotFound), like unknown ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, NotFound, ValidationError
from rocket_core.model import Program, SkillNode, SkillTree
from rocket_core.permissions import Action, Actor, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.checks import changed_fields, only_fields

_NODE_FIELDS = frozenset({"name", "description", "badge_icon_url"})
#: The deepest level SkillNode.level allows.
MAX_LEVEL = 100


@attrs.frozen(kw_only=True)
class TreeNode:
    """One live node of a tree as staff see it."""

    id: UUID
    parent_node_id: UUID | None
    name: str
    description: str | None
    level: int
    order: int
    badge_icon_url: str | None


@attrs.frozen(kw_only=True)
class SkillTreeView:
    """A tree and its live nodes in tree order: depth-first, siblings by their order."""

    id: UUID
    name: str
    description: str | None
    nodes: tuple[TreeNode, ...]


def tree_order(nodes: Iterable[SkillNode]) -> list[SkillNode]:
    """The live nodes among ``nodes`` in tree order: each root (by order), then its subtree,
    depth-first with siblings by order. Retired nodes and what hangs under them are left out."""
    children: dict[UUID | None, list[SkillNode]] = {}
    for node in nodes:
        if not node.is_retired:
            children.setdefault(node.parent_node_id, []).append(node)
    for kids in children.values():
        kids.sort(key=_sibling_key)
    ordered: list[SkillNode] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.id, [])))
    return ordered


def _sibling_key(node: SkillNode) -> tuple[int, str, str]:
    return (node.order, node.name.casefold(), str(node.id))


class _Tree:
    """A tree and all its nodes (retired ones too), loaded once per use case."""

    def __init__(self, tree: SkillTree, nodes: Iterable[SkillNode]) -> None:
        self.tree = tree
        self.by_id = {node.id: node for node in nodes}

    def node(self, node_id: UUID) -> SkillNode:
        """A node of this tree; NotFound for unknown ids and other trees' nodes."""
        found = self.by_id.get(node_id)
        if found is None:
            raise NotFound("SkillNode", node_id)
        return found

    def live(self, node_id: UUID) -> SkillNode:
        """A node of this tree that is not retired (Conflict when it is)."""
        node = self.node(node_id)
        if node.is_retired:
            raise Conflict(f"skill {node.name!r} is retired: it can no longer be changed")
        return node

    def siblings(self, parent_id: UUID | None) -> list[SkillNode]:
        """The live children of ``parent_id`` (the live roots for None), by order."""
        return sorted(
            (n for n in self.by_id.values() if n.parent_node_id == parent_id and not n.is_retired),
            key=_sibling_key,
        )

    def subtree(self, node: SkillNode) -> list[SkillNode]:
        """``node`` and all its descendants (retired ones too), parents before children."""
        children: dict[UUID, list[SkillNode]] = {}
        for other in self.by_id.values():
            if other.parent_node_id is not None:
                children.setdefault(other.parent_node_id, []).append(other)
        found = [node]
        for current in found:  # grows while iterating: breadth-first
            found.extend(sorted(children.get(current.id, []), key=_sibling_key))
        return found


class SkillTreeService(Service):
    """Skill trees and their nodes: build, edit, retire, and attach to programs."""

    # -- trees ---------------------------------------------------------------------------

    def create_tree(self, actor: Actor, name: str, description: str | None = None) -> SkillTree:
        """A new, empty skill tree. Super admins; the name must not be another tree's."""
        with self.transaction(actor) as uow:
            authorise(actor, Action.MANAGE_COHORTS)
            tree = SkillTree(
                organisation_id=uow.organisation_id,
                name=name,
                description=description,
                created_at=self.clock.now(),
            )
            wanted = tree.name.strip().casefold()
            for other in uow.skill_trees.list():
                if other.name.strip().casefold() == wanted:
                    raise Conflict(f"SkillTree: there is already a skill tree named {other.name!r}")
            uow.skill_trees.add(tree)
            self.audit(
                uow,
                actor,
                "skill_tree.create",
                tree,
                f"Skill tree {tree.name} created",
                {"name": tree.name},
            )
            return tree

    def tree(self, actor: Actor, tree_id: UUID) -> SkillTreeView:
        """The tree's live nodes in tree order (any staff member of the organisation)."""
        with self.transaction(actor) as uow:
            loaded = _load(uow, tree_id)
            tree = loaded.tree
            return SkillTreeView(
                id=tree.id,
                name=tree.name,
                description=tree.description,
                nodes=tuple(_view(node) for node in tree_order(loaded.by_id.values())),
            )

    def use_tree(self, actor: Actor, program_id: UUID, tree_id: UUID | None) -> Program:
        """Point a program at a skill tree (None: no tree). Super admins. Students' progress
        is kept per node, so switching trees loses nothing."""
        with self.transaction(actor) as uow:
            program = uow.programs.get(program_id)
            authorise(actor, Action.MANAGE_COHORTS)
            tree = None if tree_id is None else uow.skill_trees.get(tree_id)
            before = program.skill_tree_id
            if before == tree_id:
                return program
            program.update(skill_tree_id=tree_id)
            self.audit(
                uow,
                actor,
                "program.skill_tree",
                program,
                f"Program {program.name} "
                + ("has no skill tree" if tree is None else f"uses skill tree {tree.name}"),
                {"skill_tree_id": [before, tree_id]},
            )
            return program

    # -- nodes ---------------------------------------------------------------------------

    def add_node(
        self,
        actor: Actor,
        tree_id: UUID,
        name: str,
        parent_id: UUID | None = None,
        description: str | None = None,
        position: int | None = None,
        badge_icon_url: str | None = None,
    ) -> SkillNode:
        """Add a skill under ``parent_id`` (a root when None), one level below its parent,
        last among its siblings or at ``position`` (0 = first; later siblings shift down).
        Super admins. Students start on it as not started."""
        with self.transaction(actor) as uow:
            loaded = _load(uow, tree_id)
            authorise(actor, Action.MANAGE_COHORTS)
            parent = None if parent_id is None else loaded.live(parent_id)
            siblings = loaded.siblings(parent_id)
            at = _position(position, len(siblings))
            node = SkillNode(
                organisation_id=uow.organisation_id,
                skill_tree_id=loaded.tree.id,
                parent_node_id=parent_id,
                name=name,
                description=description,
                level=0 if parent is None else parent.level + 1,
                order=at,
                badge_icon_url=badge_icon_url,
                created_at=self.clock.now(),
            )
            siblings.insert(at, node)
            shifted = _renumber(siblings, skip=node)
            uow.skill_nodes.add(node)
            self.audit(
                uow,
                actor,
                "skill_node.add",
                node,
                f"Skill {node.name} added to {loaded.tree.name}"
                + ("" if parent is None else f" under {parent.name}"),
                {
                    "name": node.name,
                    "parent_node_id": node.parent_node_id,
                    "level": node.level,
                    "order": node.order,
                    "shifted": shifted,
                },
            )
            return node

    def move_node(
        self,
        actor: Actor,
        node_id: UUID,
        new_parent_id: UUID | None,
        position: int | None = None,
    ) -> SkillNode:
        """Move a skill (with its subtree) under ``new_parent_id`` (a root when None), last
        among its new siblings or at ``position``. Levels of the whole subtree follow; the
        old and new siblings are renumbered. Moving a node under itself or one of its
        descendants is a ValidationError on SkillNode.parent_node_id. Super admins."""
        with self.transaction(actor) as uow:
            loaded = _load(uow, uow.skill_nodes.get(node_id).skill_tree_id)
            authorise(actor, Action.MANAGE_COHORTS)
            node = loaded.live(node_id)
            parent = None if new_parent_id is None else loaded.live(new_parent_id)
            subtree = loaded.subtree(node)
            if parent is not None and any(n.id == parent.id for n in subtree):
                what = "itself" if parent.id == node.id else f"its own descendant {parent.name!r}"
                raise ValidationError(
                    "SkillNode.parent_node_id",
                    f"cannot move {node.name!r} under {what}: the tree would have a cycle",
                )
            old_parent_id = node.parent_node_id
            old_siblings = [s for s in loaded.siblings(old_parent_id) if s.id != node.id]
            same_parent = old_parent_id == new_parent_id
            new_siblings = old_siblings if same_parent else loaded.siblings(new_parent_id)
            at = _position(position, len(new_siblings))
            if same_parent and loaded.siblings(old_parent_id).index(node) == at:
                return node
            level = 0 if parent is None else parent.level + 1
            depth = max(n.level for n in subtree) - node.level
            if level + depth > MAX_LEVEL:
                raise ValidationError(
                    "SkillNode.level", f"the tree would be deeper than {MAX_LEVEL} levels"
                )
            before = {"parent_node_id": old_parent_id, "level": node.level, "order": node.order}
            node.update(parent_node_id=new_parent_id, level=level, order=at)
            relevelled = _relevel(subtree, loaded)
            shifted = {} if same_parent else _renumber(old_siblings, skip=node)
            new_siblings = [*new_siblings]
            new_siblings.insert(at, node)
            shifted.update(_renumber(new_siblings, skip=node))
            after = {"parent_node_id": new_parent_id, "level": node.level, "order": node.order}
            changes: dict[str, Any] = {
                key: [before[key], after[key]] for key in before if before[key] != after[key]
            }
            changes["shifted"] = shifted
            changes["relevelled"] = relevelled
            where = "the top level" if parent is None else f"under {parent.name}"
            self.audit(
                uow,
                actor,
                "skill_node.move",
                node,
                f"Skill {node.name} moved to {where} (position {at})",
                changes,
            )
            return node

    def reorder(
        self,
        actor: Actor,
        parent_id: UUID | None,
        tree_id: UUID,
        ordered_node_ids: Sequence[UUID],
    ) -> list[SkillNode]:
        """Put the live children of ``parent_id`` (the tree's roots when None) in the order
        of ``ordered_node_ids``, which must list each of them exactly once. Super admins.
        Returns the siblings in their new order."""
        with self.transaction(actor) as uow:
            loaded = _load(uow, tree_id)
            authorise(actor, Action.MANAGE_COHORTS)
            parent = None if parent_id is None else loaded.live(parent_id)
            wanted = [loaded.node(node_id) for node_id in ordered_node_ids]
            current = loaded.siblings(parent_id)
            if len({n.id for n in wanted}) != len(wanted) or {n.id for n in wanted} != {
                n.id for n in current
            }:
                whose = "the tree's top-level skills" if parent is None else parent.name
                raise ValidationError(
                    "ordered_node_ids",
                    f"must list each live child of {whose} exactly once ({len(current)} of them)",
                )
            shifted = _renumber(wanted)
            if shifted:
                entity: SkillNode | SkillTree = loaded.tree if parent is None else parent
                self.audit(
                    uow,
                    actor,
                    "skill_node.reorder",
                    entity,
                    "Skills reordered under "
                    + (f"{loaded.tree.name}'s top level" if parent is None else parent.name),
                    {"order": [n.id for n in wanted], "shifted": shifted},
                )
            return wanted

    def update_node(self, actor: Actor, node_id: UUID, **changes: Any) -> SkillNode:
        """Change a live skill's name, description or badge_icon_url. Super admins. Its
        place in the tree changes only through ``move_node`` and ``reorder``."""
        only_fields(changes, _NODE_FIELDS, "SkillNode")
        with self.transaction(actor) as uow:
            node = uow.skill_nodes.get(node_id)
            authorise(actor, Action.MANAGE_COHORTS)
            if node.is_retired:
                raise Conflict(f"skill {node.name!r} is retired: it can no longer be changed")
            diff = changed_fields(node, changes)
            if diff:
                node.update(**changes)
                self.audit(
                    uow,
                    actor,
                    "skill_node.update",
                    node,
                    f"Skill {node.name} changed: {', '.join(diff)}",
                    diff,
                )
            return node

    def rename(self, actor: Actor, node_id: UUID, name: str) -> SkillNode:
        """Give a live skill another name (``update_node`` with the name only)."""
        return self.update_node(actor, node_id, name=name)

    def retire_node(self, actor: Actor, node_id: UUID) -> list[SkillNode]:
        """Take a skill and its live subtree out of the tree (no delete: students' progress
        on them stays). Its live siblings close up. Super admins. Returns the retired nodes,
        parents before children."""
        with self.transaction(actor) as uow:
            loaded = _load(uow, uow.skill_nodes.get(node_id).skill_tree_id)
            authorise(actor, Action.MANAGE_COHORTS)
            node = loaded.live(node_id)
            now = self.clock.now()
            retired = [n for n in loaded.subtree(node) if not n.is_retired]
            for each in retired:
                each.retire(now)
            shifted = _renumber(loaded.siblings(node.parent_node_id))
            for each in retired:
                self.audit(
                    uow,
                    actor,
                    "skill_node.retire",
                    each,
                    f"Skill {each.name} retired" + ("" if each is node else f" with {node.name}"),
                    {"retired_at": now, "shifted": shifted if each is node else {}},
                )
            return retired


def _load(uow: UnitOfWork, tree_id: UUID) -> _Tree:
    tree = uow.skill_trees.get(tree_id)
    return _Tree(tree, uow.skill_nodes.list_for_tree(tree.id))


def _position(position: int | None, count: int) -> int:
    """Where a node goes among ``count`` other siblings: ``position``, or last."""
    if position is None:
        return count
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= count:
        raise ValidationError("position", f"must be a whole number from 0 to {count}")
    return position


def _renumber(
    siblings: Sequence[SkillNode], *, skip: SkillNode | None = None
) -> dict[UUID, list[int]]:
    """Number ``siblings`` 0..n-1 in their list order; the orders that changed (``skip``'s
    left out) as {id: [before, after]}."""
    shifted: dict[UUID, list[int]] = {}
    for index, sibling in enumerate(siblings):
        if sibling.order != index:
            if sibling is not skip:
                shifted[sibling.id] = [sibling.order, index]
            sibling.order = index
    return shifted


def _relevel(subtree: list[SkillNode], loaded: _Tree) -> int:
    """Recompute the levels below the subtree's root (parents come first); how many changed."""
    changed = 0
    for node in subtree[1:]:
        if node.parent_node_id is None:  # never: descendants have a parent
            continue
        level = loaded.by_id[node.parent_node_id].level + 1
        if node.level != level:
            node.level = level
            changed += 1
    return changed


def _view(node: SkillNode) -> TreeNode:
    return TreeNode(
        id=node.id,
        parent_node_id=node.parent_node_id,
        name=node.name,
        description=node.description,
        level=node.level,
        order=node.order,
        badge_icon_url=node.badge_icon_url,
    )
