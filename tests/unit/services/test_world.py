"""The service tests' school is what they assume."""

from __future__ import annotations

import pytest
from tests.unit.services.conftest import World

from rocket_core.errors import Forbidden
from rocket_core.model import StaffRole
from rocket_core.permissions import Action, authorise


def test_the_world_has_staff_of_every_role_with_their_scopes(world: World) -> None:
    manager = world.actor("campus_manager")
    assert manager.role is StaffRole.CAMPUS_MANAGER
    assert manager.campus_ids == {world.campus.id}
    lead = world.actor("lead_instructor")
    assert lead.cohort_ids == {world.cohort.id}
    assert world.actor("other_instructor").cohort_ids == frozenset()
    with world.uow() as uow:
        assert len(uow.sessions.list_for_cohort(world.cohort.id)) == 4
        assert uow.organisations.current().name == "Rocket Academy"


def test_scopes_decide(world: World) -> None:
    authorise(world.actor("campus_manager"), Action.MANAGE_COHORTS, campus_id=world.campus.id)
    with pytest.raises(Forbidden, match="campuses they are assigned to"):
        authorise(world.actor("other_manager"), Action.MANAGE_COHORTS, campus_id=world.campus.id)
