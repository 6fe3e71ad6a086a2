"""Tenant isolation: another organisation's ids are answered as if they did not exist.

A second school (a second ``build_world()``, its staff logins renamed) is put into the same
memory store as the first. Every example (tests/http/examples_*.py) is built from the
SECOND school's ids and called by the FIRST organisation's super admin, who may do anything
in their own organisation:

- a route with ids in its path answers 404 problem details (never 200, never 403: either
  would tell that the id exists) and changes nothing;
- a route that names the other organisation's ids only in its body or query must not
  succeed with them (a write answers 404 or 422 and changes nothing), and a read without
  ids in its path (a list, a report) answers nothing of the other organisation;
- writes that name no id of the other organisation are skipped, with the reason below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import attrs
import pytest
from tests.http.conftest import problem
from tests.http.routing import Example, load_examples
from tests.http.test_route_matrix import ROUTE_KEYS, Pristine, call
from tests.unit.services.conftest import World, build_world
from tests.unit.services.helpers import snapshot

from rocket_core import model as m

#: Why a write that names no id of the other organisation is not called in the test below.
NO_FOREIGN_ID = (
    "a write that names none of the other organisation's ids (login, logout, a creation "
    "in the caller's organisation): there is nothing of the other organisation to reach"
)

CALLER = "super_admin"
_HEX_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def second_school() -> World:
    """Another organisation, whose staff log in with other e-mails (logins are unique)."""
    world = build_world()
    with world.store.lock:
        for staff_id, staff in list(world.store.tables[m.Staff].items()):
            assert isinstance(staff, m.Staff)
            world.store.tables[m.Staff][staff_id] = attrs.evolve(
                staff, email=f"second.{staff.email}"
            )
    return world


def uuids_in(world: World) -> set[UUID]:
    """Every UUID in a store: the entities' ids and the ids they hold (a thread's id, ...)."""
    found: set[UUID] = set()

    def walk(value: Any) -> None:
        if isinstance(value, UUID):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item)

    walk(list(snapshot(world).values()))
    return found


def merge(into: World, other: World) -> set[UUID]:
    """Copy every row of ``other``'s store into ``into``'s store; the UUIDs that only the
    copied rows hold."""
    theirs = uuids_in(other) - uuids_in(into)
    with other.store.lock, into.store.lock:
        for kind, table in other.store.tables.items():
            into.store.tables[kind].update(table)
        into.store.counters.update(other.store.counters)
    return theirs


def foreign_ids(example: Example, ids: set[UUID]) -> set[UUID]:
    """The other organisation's ids that the example's path, body or query names."""
    text = f"{example.path} {example.body!r} {example.query!r}"
    return {UUID(found) for found in _HEX_UUID.findall(text)} & ids


@attrs.define
class TwoSchools:
    """The first school's app with the second school's rows in its store, before a call."""

    api: Any
    second: World
    example: Example
    foreign: set[UUID]
    second_ids: set[UUID]
    before: dict[Any, Any]


@pytest.fixture(scope="module")
def pristine() -> Iterator[Pristine]:
    built = Pristine.build()
    yield built
    built.api.close()


def arrange(pristine: Pristine, key: str) -> TwoSchools:
    factory = load_examples().get(key)
    if factory is None:
        pytest.skip(f"{key} has no example (test_route_matrix fails)")
    api = pristine.reset()
    second = second_school()
    example = factory(second)
    second_ids = merge(api.world, second)
    return TwoSchools(
        api=api,
        second=second,
        example=example,
        foreign=foreign_ids(example, second_ids),
        second_ids=second_ids,
        before=snapshot(api.world),
    )


def leaked(response: Any, schools: TwoSchools) -> set[UUID]:
    """The other organisation's ids in a response that the request did not name itself."""
    return {UUID(found) for found in _HEX_UUID.findall(response.text)} & (
        schools.second_ids - schools.foreign
    )


PATH_KEYS = [key for key in ROUTE_KEYS if "{" in key]
OTHER_KEYS = [key for key in ROUTE_KEYS if "{" not in key]


@pytest.mark.parametrize("key", PATH_KEYS)
def test_another_organisations_id_in_the_path_is_not_found(pristine: Pristine, key: str) -> None:
    schools = arrange(pristine, key)
    assert schools.foreign, f"{key}: the example names none of the second school's ids"
    response = call(pristine.client(CALLER), schools.example)
    assert response.status_code == 404, f"{key} answered {response.status_code}: {response.text}"
    assert problem(response)["title"] == "Not found"
    assert not leaked(response, schools)
    assert snapshot(schools.api.world) == schools.before, f"{key} changed the store"


@pytest.mark.parametrize("key", OTHER_KEYS)
def test_foreign_ids_in_a_body_or_query(pristine: Pristine, key: str) -> None:
    """A route without ids in its path: another organisation's ids in its body or query
    reach nothing, and a read (a list) shows nothing of the other organisation."""
    schools = arrange(pristine, key)
    if not schools.foreign and schools.example.method != "GET":
        pytest.skip(f"{key}: {NO_FOREIGN_ID}")
    response = call(pristine.client(CALLER), schools.example)
    assert response.status_code < 500, response.text
    assert response.status_code != 403, f"{key}: 403 tells that the ids exist: {response.text}"
    assert not leaked(response, schools), f"{key} answered with the other school's ids"
    if schools.example.method != "GET":
        assert response.status_code in (404, 422), f"{key} accepted another school's ids"
        assert snapshot(schools.api.world) == schools.before, f"{key} changed the store"


def test_the_two_schools_share_the_store_but_not_their_rows(pristine: Pristine) -> None:
    api = pristine.reset()
    second = second_school()
    merge(api.world, second)
    assert api.world.store.count(m.Organisation) == 2
    mine = pristine.client(CALLER).get("/api/v1/auth/me").json()
    assert mine["organisation_id"] == str(api.world.org_id)
    roll = pristine.client(CALLER).get(f"/api/v1/sessions/{second.sessions[0].id}/roll")
    assert roll.status_code == 404
    assert (
        pristine.client(CALLER).get(f"/api/v1/sessions/{api.world.sessions[0].id}/roll").is_success
    )
