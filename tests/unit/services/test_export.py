"""A family's data export (``ExportService``): every record of the family and nothing of
another family's, as plain JSON values; who may export (super admin, campus manager of the
family's campus); audited; unknown families and organisations refused without writing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.contracts import factories as f
from tests.contracts.factories import School
from tests.contracts.repository_contract import save
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, snapshot, walk

from rocket_adapters.clock import FixedClock
from rocket_adapters.memory import MemoryStore
from rocket_core import model as m
from rocket_core.errors import Forbidden, NotFound
from rocket_core.events import EventBus
from rocket_core.services.export import (
    EXPORT_FORMAT,
    SECTIONS,
    ExportService,
    FamilyExport,
    jsonable,
)

NOW = datetime(2026, 3, 2, 23, 15, tzinfo=UTC)


# -- the whole of a family's data ---------------------------------------------------------------


@attrs.define
class Stored:
    store: MemoryStore
    school: School
    other: list[m.Entity]
    service: ExportService


@pytest.fixture
def stored() -> Stored:
    """The contract's school (one family with a record of every kind) and, in the same
    organisation, another family with records of its own."""
    store = MemoryStore()
    school = f.school()
    save(store.unit_of_work, *school.entities())
    home = f.family(school.organisation.id)
    kid = f.student(home, first_name="Eve")
    seat = f.enrolment(kid, school.cohort, status=m.EnrolmentStatus.ACTIVE)
    bill = f.invoice(home, seat, amount_paid=Decimal("0.00"))
    paid = f.payment(home, None, payment_method=m.PaymentMethod.CASH)
    other: list[m.Entity] = [
        home,
        kid,
        seat,
        f.attendance(school.session, seat),
        f.skill_progress(kid, school.root_node),
        f.project(kid, school.cohort),
        bill,
        paid,
        f.credit_note(bill),
        f.message(school.staff, home),
        f.notification(home),
    ]
    save(store.unit_of_work, *other)
    return Stored(
        store, school, other, ExportService(store.unit_of_work, FixedClock(NOW), EventBus())
    )


def ids(records: tuple[Any, ...]) -> set[UUID]:
    return {record.id for record in records}


def test_the_export_holds_every_record_of_the_family(stored: Stored) -> None:
    s = stored.school
    export = stored.service.export_family_as_operator(s.organisation.id, s.family.id)
    assert export.family.id == s.family.id
    assert export.organisation_id == s.organisation.id
    assert export.exported_at == NOW
    expected = {
        "students": {s.student.id, s.sibling.id},
        "enrolments": {s.enrolment.id, s.waitlisted.id, s.lapsed_offer.id},
        "attendance": {s.attendance.id},
        "skill_progress": {s.skill_progress.id},
        "projects": {s.project.id},
        "makeup_tokens": {s.makeup_token.id, s.spent_token.id},
        "invoices": {s.invoice.id},
        "payments": {s.payment.id},
        "payment_allocations": {s.allocation.id},
        "refunds": {s.refund.id},
        "credit_notes": {s.credit_note.id},
        "messages": {s.message.id},
        "notifications": {s.notification.id},
    }
    assert {name: ids(getattr(export, name)) for name in SECTIONS} == expected
    assert export.counts() == {name: len(found) for name, found in expected.items()}


def test_the_export_holds_nothing_of_another_family(stored: Stored) -> None:
    s = stored.school
    export = stored.service.export_family_as_operator(s.organisation.id, s.family.id)
    text = json.dumps(export.as_json())
    for record in stored.other:
        assert str(record.id) not in text, type(record).__name__
    # and the other family's own export has its records, not the first family's
    other = stored.service.export_family_as_operator(s.organisation.id, stored.other[0].id)
    assert ids(other.students) == {stored.other[1].id}
    assert str(s.student.id) not in json.dumps(other.as_json())


def test_as_json_gives_plain_json_values_with_ids_dates_and_money_as_strings(
    stored: Stored,
) -> None:
    s = stored.school
    document = stored.service.export_family_as_operator(s.organisation.id, s.family.id).as_json()
    assert json.loads(json.dumps(document)) == document  # nothing json cannot write as it is
    assert document["format"] == EXPORT_FORMAT
    assert document["family_id"] == str(s.family.id)
    assert document["exported_at"] == NOW.isoformat()
    assert list(document) == [
        "format",
        "organisation_id",
        "family_id",
        "exported_at",
        "family",
        *SECTIONS,
    ]
    family = document["family"]
    assert family["id"] == str(s.family.id)
    assert family["account_balance"] == "-12.34"
    assert family["notification_opt_outs"] == []
    student = next(x for x in document["students"] if x["id"] == str(s.student.id))
    assert student["date_of_birth"] == "2016-02-29"
    assert student["gender"] == "female"
    assert student["medical_info"] == "Asthma: puffer in bag."
    (invoice,) = document["invoices"]
    assert invoice["total_amount"] == "1134.56"
    assert invoice["issue_date"] == "2026-01-15"
    assert invoice["status"] == s.invoice.status.value
    assert invoice["line_items"][1] == {
        "description": "Sibling discount",
        "quantity": 1,
        "unit_price": "-120.00",
    }
    (payment,) = document["payments"]
    assert payment["payment_date"] == s.payment.payment_date.isoformat()
    assert payment["invoice_id"] == str(s.invoice.id)
    # every field of the record is there
    assert set(invoice) == {a.name for a in attrs.fields(m.Invoice)}


class Colour(Enum):
    RED = "red"


def test_jsonable_turns_values_into_json_values() -> None:
    day = date(2026, 2, 3)
    assert jsonable(None) is None
    assert jsonable(True) is True
    assert jsonable(3) == 3
    assert jsonable(Decimal("1.50")) == "1.50"
    assert jsonable(day) == "2026-02-03"
    assert jsonable(time(9, 5)) == "09:05:00"
    assert jsonable(datetime(2026, 2, 3, 4, 5, tzinfo=UTC)) == "2026-02-03T04:05:00+00:00"
    assert jsonable(Colour.RED) == "red"
    assert jsonable(frozenset({"b", "a"})) == ["a", "b"]
    assert jsonable((day, {"k": Decimal("2")})) == ["2026-02-03", {"k": "2"}]
    with pytest.raises(TypeError, match="cannot export a object"):
        jsonable(object())


def test_an_unknown_family_or_organisation_is_not_found_and_nothing_is_written(
    stored: Stored,
) -> None:
    s = stored.school
    before = {cls: dict(table) for cls, table in stored.store.tables.items()}
    with pytest.raises(NotFound, match="Family"):
        stored.service.export_family_as_operator(s.organisation.id, uuid4())
    with pytest.raises(NotFound, match="Organisation"):
        stored.service.export_family_as_operator(uuid4(), s.family.id)
    after = {cls: dict(table) for cls, table in stored.store.tables.items()}
    assert after == before


def test_the_operators_export_is_audited_without_an_actor(stored: Stored) -> None:
    s = stored.school
    stored.service.export_family_as_operator(s.organisation.id, s.family.id)
    with stored.store.unit_of_work(s.organisation.id) as uow:
        entries = [e for e in uow.audit.list_for_entity(s.family.id) if e.action == "family.export"]
    (entry,) = entries
    assert entry.actor_staff_id is None
    assert entry.occurred_at == NOW
    assert entry.changes["format"] == EXPORT_FORMAT
    assert entry.changes["records"]["enrolments"] == 3
    assert "2 students" in entry.summary


# -- who may export --------------------------------------------------------------------------


def service(world: World) -> ExportService:
    return ExportService(world.make_uow, world.clock, world.bus)


def enrol(world: World, child: m.Student) -> m.Enrolment:
    """``child`` enrolled in the world's cohort (at Werribee)."""
    seat = f.enrolment(child, world.cohort, status=m.EnrolmentStatus.ENROLLED)
    world.add(seat)
    return seat


def test_super_admins_and_the_familys_campus_manager_may_export(world: World) -> None:
    enrol(world, world.child)

    def export(actor: Any) -> FamilyExport:
        return service(world).export_family(actor, world.family.id)

    for who in ROLES:
        walk(world, who, {"super_admin", "campus_manager"}, export)


def test_a_family_that_never_enrolled_is_exported_by_a_super_admin_only(world: World) -> None:
    def export(actor: Any) -> FamilyExport:
        return service(world).export_family(actor, world.other_family.id)

    for who in ROLES:
        walk(world, who, {"super_admin"}, export)


def test_a_campus_manager_exports_a_family_that_enrolled_there_before(world: World) -> None:
    seat = f.enrolment(
        world.child,
        world.cohort,
        status=m.EnrolmentStatus.DROPPED,
        withdrawal_date=date(2026, 1, 10),
        withdrawal_reason="Moved away",
    )
    world.add(seat)
    export = service(world).export_family(world.actor("campus_manager"), world.family.id)
    assert ids(export.enrolments) == {seat.id}
    with pytest.raises(Forbidden):
        service(world).export_family(world.actor("other_manager"), world.family.id)


def test_a_staff_export_is_audited_with_its_actor(world: World) -> None:
    enrol(world, world.child)
    manager = world.actor("campus_manager")
    export = service(world).export_family(manager, world.family.id)
    assert ids(export.students) == {world.child.id, world.sibling.id}
    with world.uow() as uow:
        (entry,) = [
            e for e in uow.audit.list_for_entity(world.family.id) if e.action == "family.export"
        ]
    assert entry.actor_staff_id == manager.staff_id
    assert entry.changes["records"]["students"] == 2


def test_a_role_without_the_grant_is_refused_before_the_family_is_looked_up(
    world: World,
) -> None:
    before = snapshot(world)
    with pytest.raises(Forbidden):
        service(world).export_family(world.actor("front_desk"), uuid4())
    with pytest.raises(NotFound):
        service(world).export_family(world.actor("super_admin"), uuid4())
    assert snapshot(world) == before
