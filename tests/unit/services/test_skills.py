"""SkillTreeService: building a skill tree, moving, reordering, renaming and retiring its
nodes, pointing a program at it, and reading it in tree order.

The helpers at the top (the "Scratch Skills" tree) are shared by the other learning test
modules.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, snapshot, walk
from tests.unit.services.test_enrolment import audit_actions, audit_entries, refused

from rocket_core import model as m
from rocket_core.errors import Conflict, NotFound, ValidationError
from rocket_core.permissions import Actor
from rocket_core.services.skills import SkillTreeService, tree_order

#: Who may edit curriculum (programs and skill trees): super admins only.
CURRICULUM = {"super_admin"}

# -- helpers shared by the learning test modules -------------------------------------------


def skills(world: World) -> SkillTreeService:
    return SkillTreeService(world.make_uow, world.clock, world.bus)


def admin(world: World) -> Actor:
    return world.actor("super_admin")


@attrs.define
class Tree:
    id: UUID
    nodes: dict[str, UUID]

    def __getitem__(self, name: str) -> UUID:
        return self.nodes[name]


#: The "Scratch Skills" tree, in tree order: (name, parent).
SCRATCH = (
    ("Motion", None),
    ("Move", "Motion"),
    ("Turn", "Motion"),
    ("Turn left", "Turn"),
    ("Loops", None),
    ("Repeat", "Loops"),
    ("Forever", "Loops"),
    ("Events", None),
)


def build_tree(
    world: World,
    shape: tuple[tuple[str, str | None], ...] = SCRATCH,
    *,
    name: str = "Scratch Skills",
    program: m.Program | None = None,
) -> Tree:
    """A tree built through the service (parents listed before children), used by
    ``program`` (the world's program unless another is given)."""
    service = skills(world)
    tree = service.create_tree(admin(world), name)
    nodes: dict[str, UUID] = {}
    for node_name, parent in shape:
        parent_id = None if parent is None else nodes[parent]
        nodes[node_name] = service.add_node(admin(world), tree.id, node_name, parent_id).id
    service.use_tree(admin(world), (program or world.program).id, tree.id)
    return Tree(tree.id, nodes)


def load_node(world: World, node_id: UUID) -> m.SkillNode:
    with world.uow() as uow:
        return uow.skill_nodes.get(node_id)


def shape(world: World, tree_id: UUID) -> list[tuple[str, int, int]]:
    """The live nodes in tree order as (name, level, order)."""
    with world.uow() as uow:
        nodes = tree_order(uow.skill_nodes.list_for_tree(tree_id))
    return [(n.name, n.level, n.order) for n in nodes]


def children(world: World, tree_id: UUID, parent: UUID | None) -> list[str]:
    """The live children's names by order."""
    with world.uow() as uow:
        found = [
            n
            for n in uow.skill_nodes.list_for_tree(tree_id)
            if n.parent_node_id == parent and not n.is_retired
        ]
    return [n.name for n in sorted(found, key=lambda n: n.order)]


def other_tree(world: World) -> Tree:
    service = skills(world)
    tree = service.create_tree(admin(world), "Python Skills")
    node = service.add_node(admin(world), tree.id, "Variables")
    return Tree(tree.id, {"Variables": node.id})


# -- trees ---------------------------------------------------------------------------------


def test_a_tree_is_created_and_audited(world: World) -> None:
    tree = skills(world).create_tree(admin(world), "Scratch Skills", "Blocks and sprites")
    with world.uow() as uow:
        stored = uow.skill_trees.get(tree.id)
    assert (stored.name, stored.description, stored.created_at) == (
        "Scratch Skills",
        "Blocks and sprites",
        world.clock.now(),
    )
    assert audit_actions(world, tree.id) == ["skill_tree.create"]


def test_tree_names_are_unique_whatever_the_case(world: World) -> None:
    skills(world).create_tree(admin(world), "Scratch Skills")
    refused(
        world,
        Conflict,
        lambda: skills(world).create_tree(admin(world), " scratch SKILLS "),
        "Scratch Skills",
    )


def test_a_blank_tree_name_is_refused(world: World) -> None:
    error = refused(world, ValidationError, lambda: skills(world).create_tree(admin(world), " "))
    assert isinstance(error, ValidationError)
    assert error.field == "SkillTree.name"


def test_the_tree_reads_in_depth_first_order(world: World) -> None:
    tree = build_tree(world)
    view = skills(world).tree(world.actor("front_desk"), tree.id)
    assert view.name == "Scratch Skills"
    assert [(n.name, n.level, n.order) for n in view.nodes] == [
        ("Motion", 0, 0),
        ("Move", 1, 0),
        ("Turn", 1, 1),
        ("Turn left", 2, 0),
        ("Loops", 0, 1),
        ("Repeat", 1, 0),
        ("Forever", 1, 1),
        ("Events", 0, 2),
    ]
    assert view.nodes[3].parent_node_id == tree["Turn"]


def test_an_unknown_tree_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        skills(world).tree(admin(world), uuid4())


def test_a_program_points_to_its_tree_and_can_let_go(world: World) -> None:
    tree = build_tree(world)
    with world.uow() as uow:
        assert uow.programs.get(world.program.id).skill_tree_id == tree.id
    skills(world).use_tree(admin(world), world.program.id, None)
    with world.uow() as uow:
        assert uow.programs.get(world.program.id).skill_tree_id is None
    assert audit_actions(world, world.program.id) == ["program.skill_tree", "program.skill_tree"]
    # Pointing at the same tree again writes nothing.
    before = snapshot(world)
    skills(world).use_tree(admin(world), world.program.id, None)
    assert snapshot(world) == before


def test_a_program_cannot_point_to_an_unknown_tree(world: World) -> None:
    refused(
        world, NotFound, lambda: skills(world).use_tree(admin(world), world.program.id, uuid4())
    )


# -- adding nodes --------------------------------------------------------------------------


def test_a_node_goes_last_one_level_below_its_parent(world: World) -> None:
    tree = build_tree(world)
    node = skills(world).add_node(
        admin(world),
        tree.id,
        "Glide",
        tree["Motion"],
        description="Glide to a point",
        badge_icon_url="https://badges.example/glide.png",
    )
    assert (node.level, node.order, node.parent_node_id) == (1, 2, tree["Motion"])
    stored = load_node(world, node.id)
    assert (stored.description, stored.badge_icon_url) == (
        "Glide to a point",
        "https://badges.example/glide.png",
    )
    assert children(world, tree.id, tree["Motion"]) == ["Move", "Turn", "Glide"]
    assert audit_actions(world, node.id) == ["skill_node.add"]


def test_a_node_at_a_position_shifts_the_later_siblings(world: World) -> None:
    tree = build_tree(world)
    node = skills(world).add_node(admin(world), tree.id, "Variables", position=1)
    assert node.order == 1
    assert children(world, tree.id, None) == ["Motion", "Variables", "Loops", "Events"]
    assert [load_node(world, tree[n]).order for n in ("Motion", "Loops", "Events")] == [0, 2, 3]
    (entry,) = audit_entries(world, node.id)
    assert entry.changes["shifted"] == {str(tree["Loops"]): [1, 2], str(tree["Events"]): [2, 3]}


@pytest.mark.parametrize("position", [-1, 4, True, "1"])
def test_a_position_outside_the_siblings_is_refused(world: World, position: object) -> None:
    tree = build_tree(world)
    error = refused(
        world,
        ValidationError,
        lambda: skills(world).add_node(admin(world), tree.id, "X", position=position),  # type: ignore[arg-type]
        "0 to 3",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "position"


def test_a_parent_of_another_tree_or_unknown_is_not_found(world: World) -> None:
    tree = build_tree(world)
    python = other_tree(world)
    for parent in (python["Variables"], uuid4()):
        refused(
            world, NotFound, lambda p=parent: skills(world).add_node(admin(world), tree.id, "X", p)
        )
    refused(world, NotFound, lambda: skills(world).add_node(admin(world), uuid4(), "X"))


def test_a_badge_must_be_an_http_url(world: World) -> None:
    tree = build_tree(world)
    error = refused(
        world,
        ValidationError,
        lambda: skills(world).add_node(
            admin(world), tree.id, "X", badge_icon_url="javascript:alert(1)"
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "SkillNode.badge_icon_url"


def test_a_retired_parent_takes_no_new_node(world: World) -> None:
    tree = build_tree(world)
    skills(world).retire_node(admin(world), tree["Loops"])
    refused(
        world,
        Conflict,
        lambda: skills(world).add_node(admin(world), tree.id, "Wait", tree["Loops"]),
        "retired",
    )


# -- moving nodes --------------------------------------------------------------------------


def test_a_moved_subtree_is_relevelled_and_both_sibling_lists_stay_contiguous(
    world: World,
) -> None:
    tree = build_tree(world)
    skills(world).move_node(admin(world), tree["Turn"], tree["Forever"])
    assert shape(world, tree.id) == [
        ("Motion", 0, 0),
        ("Move", 1, 0),
        ("Loops", 0, 1),
        ("Repeat", 1, 0),
        ("Forever", 1, 1),
        ("Turn", 2, 0),
        ("Turn left", 3, 0),
        ("Events", 0, 2),
    ]
    entry = audit_entries(world, tree["Turn"])[-1]
    assert entry.action == "skill_node.move"
    assert entry.changes["parent_node_id"] == [str(tree["Motion"]), str(tree["Forever"])]
    assert entry.changes["level"] == [1, 2]
    assert entry.changes["relevelled"] == 1


def test_a_node_moves_to_the_top_level_at_a_position(world: World) -> None:
    tree = build_tree(world)
    skills(world).move_node(admin(world), tree["Turn"], None, position=0)
    assert children(world, tree.id, None) == ["Turn", "Motion", "Loops", "Events"]
    assert children(world, tree.id, tree["Motion"]) == ["Move"]
    assert shape(world, tree.id)[:2] == [("Turn", 0, 0), ("Turn left", 1, 0)]
    assert [load_node(world, tree[n]).order for n in ("Motion", "Loops", "Events")] == [1, 2, 3]


def test_a_node_moves_among_its_own_siblings(world: World) -> None:
    tree = build_tree(world)
    skills(world).move_node(admin(world), tree["Events"], None, position=0)
    assert children(world, tree.id, None) == ["Events", "Motion", "Loops"]
    assert [load_node(world, tree[n]).order for n in ("Events", "Motion", "Loops")] == [0, 1, 2]
    skills(world).move_node(admin(world), tree["Events"], None)
    assert children(world, tree.id, None) == ["Motion", "Loops", "Events"]


def test_a_move_to_where_the_node_already_is_writes_nothing(world: World) -> None:
    tree = build_tree(world)
    before = snapshot(world)
    skills(world).move_node(admin(world), tree["Turn"], tree["Motion"], position=1)
    skills(world).move_node(admin(world), tree["Events"], None)
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("moved", "under", "words"),
    [
        ("Motion", "Motion", ("'Motion'", "itself")),
        ("Motion", "Turn left", ("'Motion'", "descendant 'Turn left'")),
        ("Turn", "Turn left", ("'Turn'", "descendant 'Turn left'")),
    ],
)
def test_a_node_cannot_move_under_itself_or_a_descendant(
    world: World, moved: str, under: str, words: tuple[str, ...]
) -> None:
    tree = build_tree(world)
    error = refused(
        world,
        ValidationError,
        lambda: skills(world).move_node(admin(world), tree[moved], tree[under]),
        *words,
    )
    assert isinstance(error, ValidationError)
    assert error.field == "SkillNode.parent_node_id"


def test_moves_to_other_trees_unknown_or_retired_nodes_are_refused(world: World) -> None:
    tree = build_tree(world)
    python = other_tree(world)
    refused(
        world,
        NotFound,
        lambda: skills(world).move_node(admin(world), tree["Turn"], python["Variables"]),
    )
    refused(world, NotFound, lambda: skills(world).move_node(admin(world), uuid4(), None))
    skills(world).retire_node(admin(world), tree["Forever"])
    refused(
        world,
        Conflict,
        lambda: skills(world).move_node(admin(world), tree["Turn"], tree["Forever"]),
    )
    refused(world, Conflict, lambda: skills(world).move_node(admin(world), tree["Forever"], None))
    refused(
        world,
        ValidationError,
        lambda: skills(world).move_node(admin(world), tree["Turn"], tree["Loops"], position=2),
        "0 to 1",
    )


def test_a_move_cannot_make_the_tree_deeper_than_the_limit(world: World) -> None:
    chain = tuple((f"L{i}", None if i == 0 else f"L{i - 1}") for i in range(100))
    tree = build_tree(world, (*chain, ("Top", None), ("Below", "Top")))
    assert load_node(world, tree["L99"]).level == 99
    refused(
        world,
        ValidationError,
        lambda: skills(world).move_node(admin(world), tree["Top"], tree["L99"]),
        "deeper than 100",
    )
    skills(world).move_node(admin(world), tree["Below"], tree["L99"])
    assert load_node(world, tree["Below"]).level == 100


# -- reordering ----------------------------------------------------------------------------


def test_reorder_puts_the_children_in_the_given_order(world: World) -> None:
    tree = build_tree(world)
    skills(world).reorder(
        admin(world), None, tree.id, [tree["Events"], tree["Loops"], tree["Motion"]]
    )
    assert children(world, tree.id, None) == ["Events", "Loops", "Motion"]
    assert audit_actions(world, tree.id) == ["skill_tree.create", "skill_node.reorder"]
    skills(world).reorder(admin(world), tree["Motion"], tree.id, [tree["Turn"], tree["Move"]])
    assert children(world, tree.id, tree["Motion"]) == ["Turn", "Move"]
    assert audit_actions(world, tree["Motion"]) == ["skill_node.add", "skill_node.reorder"]


def test_reorder_to_the_same_order_writes_nothing(world: World) -> None:
    tree = build_tree(world)
    before = snapshot(world)
    skills(world).reorder(admin(world), tree["Loops"], tree.id, [tree["Repeat"], tree["Forever"]])
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "names",
    [
        ["Motion", "Loops"],
        ["Motion", "Loops", "Events", "Move"],
        ["Motion", "Loops", "Events", "Events"],
        ["Motion", "Loops", "Loops"],
        [],
    ],
)
def test_reorder_needs_exactly_the_live_children(world: World, names: list[str]) -> None:
    tree = build_tree(world)
    error = refused(
        world,
        ValidationError,
        lambda: skills(world).reorder(admin(world), None, tree.id, [tree[n] for n in names]),
        "exactly once",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "ordered_node_ids"


def test_reorder_leaves_retired_children_out(world: World) -> None:
    tree = build_tree(world)
    skills(world).retire_node(admin(world), tree["Motion"])
    refused(
        world,
        ValidationError,
        lambda: skills(world).reorder(
            admin(world), None, tree.id, [tree["Events"], tree["Loops"], tree["Motion"]]
        ),
    )
    skills(world).reorder(admin(world), None, tree.id, [tree["Events"], tree["Loops"]])
    assert children(world, tree.id, None) == ["Events", "Loops"]


def test_reorder_with_nodes_of_another_tree_is_not_found(world: World) -> None:
    tree = build_tree(world)
    python = other_tree(world)
    refused(
        world,
        NotFound,
        lambda: skills(world).reorder(
            admin(world), None, tree.id, [tree["Motion"], tree["Loops"], python["Variables"]]
        ),
    )
    refused(
        world,
        NotFound,
        lambda: skills(world).reorder(admin(world), python["Variables"], tree.id, []),
    )


# -- renaming and updating -----------------------------------------------------------------


def test_rename_and_update_a_node_with_an_audit(world: World) -> None:
    tree = build_tree(world)
    skills(world).rename(admin(world), tree["Turn"], "Rotate")
    skills(world).update_node(admin(world), tree["Turn"], description="Turn a sprite")
    stored = load_node(world, tree["Turn"])
    assert (stored.name, stored.description) == ("Rotate", "Turn a sprite")
    entries = audit_entries(world, tree["Turn"])
    assert [e.action for e in entries] == [
        "skill_node.add",
        "skill_node.update",
        "skill_node.update",
    ]
    assert entries[1].changes == {"name": ["Turn", "Rotate"]}
    before = snapshot(world)
    skills(world).rename(admin(world), tree["Turn"], "Rotate")
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"level": 3}, "SkillNode.level"),
        ({"parent_node_id": None}, "SkillNode.parent_node_id"),
        ({"name": ""}, "SkillNode.name"),
        ({"badge_icon_url": "ftp://badges.example/x.png"}, "SkillNode.badge_icon_url"),
    ],
)
def test_bad_node_updates_are_refused(world: World, changes: dict[str, object], field: str) -> None:
    tree = build_tree(world)
    error = refused(
        world,
        ValidationError,
        lambda: skills(world).update_node(admin(world), tree["Turn"], **changes),
    )
    assert isinstance(error, ValidationError)
    assert error.field == field


def test_a_retired_node_cannot_be_renamed(world: World) -> None:
    tree = build_tree(world)
    skills(world).retire_node(admin(world), tree["Turn"])
    refused(world, Conflict, lambda: skills(world).rename(admin(world), tree["Turn"], "Rotate"))


# -- retiring ------------------------------------------------------------------------------


def test_retiring_takes_the_subtree_out_and_closes_up_the_siblings(world: World) -> None:
    tree = build_tree(world)
    retired = skills(world).retire_node(admin(world), tree["Motion"])
    assert [n.name for n in retired] == ["Motion", "Move", "Turn", "Turn left"]
    assert shape(world, tree.id) == [
        ("Loops", 0, 0),
        ("Repeat", 1, 0),
        ("Forever", 1, 1),
        ("Events", 0, 1),
    ]
    for name in ("Motion", "Move", "Turn", "Turn left"):
        assert load_node(world, tree[name]).retired_at == world.clock.now()
        assert audit_actions(world, tree[name])[-1] == "skill_node.retire"
    (entry,) = [e for e in audit_entries(world, tree["Motion"]) if e.action == "skill_node.retire"]
    assert entry.changes["shifted"] == {str(tree["Loops"]): [1, 0], str(tree["Events"]): [2, 1]}
    view = skills(world).tree(admin(world), tree.id)
    assert [n.name for n in view.nodes] == ["Loops", "Repeat", "Forever", "Events"]


def test_retiring_keeps_students_progress(world: World) -> None:
    tree = build_tree(world)
    progress = m.SkillProgress(
        organisation_id=world.org_id, student_id=world.child.id, skill_node_id=tree["Move"]
    )
    with world.uow() as uow:
        uow.skill_progress.add(progress)
        uow.commit()
    skills(world).retire_node(admin(world), tree["Motion"])
    with world.uow() as uow:
        assert uow.skill_progress.find_for(world.child.id, tree["Move"]) is not None


def test_a_node_is_retired_once_and_unknown_nodes_are_not_found(world: World) -> None:
    tree = build_tree(world)
    skills(world).retire_node(admin(world), tree["Turn left"])
    refused(world, Conflict, lambda: skills(world).retire_node(admin(world), tree["Turn left"]))
    refused(world, NotFound, lambda: skills(world).retire_node(admin(world), uuid4()))
    # Retiring the parent later retires only what is still live.
    retired = skills(world).retire_node(admin(world), tree["Turn"])
    assert [n.name for n in retired] == ["Turn"]


# -- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_who_may_create_a_tree(world: World, who: str) -> None:
    walk(world, who, CURRICULUM, lambda a: skills(world).create_tree(a, "Python Skills"))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_add_a_node(world: World, who: str) -> None:
    tree = build_tree(world)
    walk(world, who, CURRICULUM, lambda a: skills(world).add_node(a, tree.id, "Glide"))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_move_a_node(world: World, who: str) -> None:
    tree = build_tree(world)
    walk(world, who, CURRICULUM, lambda a: skills(world).move_node(a, tree["Turn"], None))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_reorder(world: World, who: str) -> None:
    tree = build_tree(world)
    walk(
        world,
        who,
        CURRICULUM,
        lambda a: skills(world).reorder(a, tree["Motion"], tree.id, [tree["Turn"], tree["Move"]]),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_update_a_node(world: World, who: str) -> None:
    tree = build_tree(world)
    walk(world, who, CURRICULUM, lambda a: skills(world).rename(a, tree["Turn"], "Rotate"))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_retire_a_node(world: World, who: str) -> None:
    tree = build_tree(world)
    walk(world, who, CURRICULUM, lambda a: skills(world).retire_node(a, tree["Turn"]))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_point_a_program_at_a_tree(world: World, who: str) -> None:
    build_tree(world)
    walk(world, who, CURRICULUM, lambda a: skills(world).use_tree(a, world.program.id, None))


@pytest.mark.parametrize("who", ROLES)
def test_every_staff_member_may_read_a_tree(world: World, who: str) -> None:
    tree = build_tree(world)
    walk(world, who, set(ROLES), lambda a: skills(world).tree(a, tree.id))
