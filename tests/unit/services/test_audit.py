"""AuditService: the audit log read by super admins, filtered, newest first, a page at a time.

The school is ``world`` (conftest.py); its entries are written by real use cases (enrolments)
or added directly with their own times where a test needs a time range.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, snapshot, walk
from tests.unit.services.test_enrolment import enquiry

from rocket_core import model as m
from rocket_core.errors import ValidationError
from rocket_core.services.audit import MAX_LIMIT, AuditService


def service(world: World) -> AuditService:
    return AuditService(world.make_uow, world.clock, world.bus)


def entry(world: World, minutes: int, **overrides: Any) -> m.AuditEntry:
    """An entry ``minutes`` after the world's now (saved)."""
    values: dict[str, Any] = {
        "organisation_id": world.org_id,
        "action": "test.entry",
        "entity_type": "Family",
        "entity_id": world.family.id,
        "summary": f"entry at +{minutes} min",
        "occurred_at": world.clock.now() + timedelta(minutes=minutes),
    }
    added = m.AuditEntry(**{**values, **overrides})
    with world.uow() as uow:
        uow.audit.add(added)
        uow.commit()
    return added


def test_entries_are_newest_first_with_the_actors_name(world: World) -> None:
    enrolment = enquiry(world, world.child)
    system = entry(world, 5, actor_staff_id=None, entity_type="Cohort", entity_id=None)

    page = service(world).entries(world.actor("super_admin"))

    assert page.total == 2
    first, second = page.items
    assert first.id == system.id
    assert first.actor_name is None
    assert first.entity_id is None
    assert second.entity_id == enrolment.id
    assert second.entity_type == "Enrolment"
    assert second.actor_staff_id == world.staff["super_admin"].id
    assert second.actor_name == "Ada Staff"
    assert second.action.startswith("enrolment.")
    assert isinstance(second.changes, dict)


def test_filters_combine(world: World) -> None:
    ada, carmen = world.staff["super_admin"].id, world.staff["campus_manager"].id
    mine = entry(world, 1, actor_staff_id=ada)
    entry(world, 2, actor_staff_id=carmen)
    other_entity = entry(world, 3, actor_staff_id=ada, entity_id=world.other_family.id)
    entry(world, 4, actor_staff_id=ada, entity_type="Student", entity_id=world.child.id)
    audit, admin = service(world), world.actor("super_admin")

    by_family = audit.entries(admin, entity_id=world.family.id, actor_staff_id=ada)
    assert [e.id for e in by_family.items] == [mine.id]
    by_type = audit.entries(admin, entity_type="Family", actor_staff_id=ada)
    assert [e.id for e in by_type.items] == [other_entity.id, mine.id]
    assert audit.entries(admin, entity_id=uuid4()).total == 0


def test_a_time_range_includes_its_start_and_excludes_its_end(world: World) -> None:
    entries = [entry(world, minutes) for minutes in (0, 10, 20, 30)]
    now = world.clock.now()

    page = service(world).entries(
        world.actor("super_admin"),
        occurred_from=now + timedelta(minutes=10),
        occurred_to=now + timedelta(minutes=30),
    )

    assert [e.id for e in page.items] == [entries[2].id, entries[1].id]


def test_pages_of_the_log(world: World) -> None:
    entries = [entry(world, minutes) for minutes in range(5)]
    audit, admin = service(world), world.actor("super_admin")

    first = audit.entries(admin, limit=2)
    last = audit.entries(admin, limit=2, offset=4)
    beyond = audit.entries(admin, limit=2, offset=10)

    assert [e.id for e in first.items] == [entries[4].id, entries[3].id]
    assert (first.total, first.limit, first.offset) == (5, 2, 0)
    assert [e.id for e in last.items] == [entries[0].id]
    assert beyond.items == ()
    assert beyond.total == 5


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"occurred_from": datetime(2026, 1, 19, 9)}, "occurred_from"),
        ({"occurred_to": datetime(2026, 1, 19, 9)}, "occurred_to"),
        ({"occurred_to": "2026-01-19"}, "occurred_to"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"limit": True}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_filters_are_refused(world: World, filters: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        service(world).entries(world.actor("super_admin"), **filters)
    assert error.value.field == field


def test_a_range_that_ends_before_it_starts_is_refused(world: World) -> None:
    now = world.clock.now()
    with pytest.raises(ValidationError) as error:
        service(world).entries(
            world.actor("super_admin"), occurred_from=now, occurred_to=now - timedelta(seconds=1)
        )
    assert error.value.field == "occurred_to"


def test_reading_the_log_writes_nothing(world: World) -> None:
    entry(world, 0)
    before = snapshot(world)
    service(world).entries(world.actor("super_admin"))
    assert snapshot(world) == before


def test_another_organisations_entries_are_not_listed(world: World) -> None:
    other_org = m.Organisation(name="Other School", abn="51824753556")
    with world.store.unit_of_work(other_org.id) as uow:
        uow.organisations.add(other_org)
        uow.audit.add(
            m.AuditEntry(
                organisation_id=other_org.id,
                action="test.entry",
                entity_type="Family",
                entity_id=world.family.id,
                summary="theirs",
                occurred_at=world.clock.now(),
            )
        )
        uow.commit()
    assert service(world).entries(world.actor("super_admin")).total == 0


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_the_audit_log(world: World, who: str) -> None:
    entry(world, 0)
    walk(world, who, {"super_admin"}, lambda actor: service(world).entries(actor))
