"""The container: the persistence chosen from settings, services wired to it, overridable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from rocket_adapters.clock import FixedClock, SystemClock
from rocket_adapters.memory import MemoryStore, MemoryUnitOfWork
from rocket_adapters.sql import Database, SqlUnitOfWork, migrate
from rocket_core import model as m
from rocket_core.permissions import Actor
from rocket_core.services.base import Service, actor_for
from rocket_entrypoints.container import Container
from rocket_entrypoints.demo import build_demo_school, demo_school_loaded, summarise
from rocket_entrypoints.settings import Settings

SERVICES = ("organisation", "scheduling", "families", "enrolment", "makeup", "attendance")
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def services(container: Container) -> list[Service]:
    return [getattr(container, name)() for name in (*SERVICES, "lifecycle")]


def bootstrap(container: Container) -> Actor:
    """An organisation and its super admin, written directly (as the demo does)."""
    organisation = m.Organisation(name=f"School {uuid4().hex[:8]}")
    admin = m.Staff(
        organisation_id=organisation.id,
        email=f"admin.{uuid4().hex[:8]}@school.example",
        password_hash="!no-password-set",
        first_name="Ada",
        last_name="Admin",
        role=m.StaffRole.SUPER_ADMIN,
    )
    make_uow = container.make_uow()
    with make_uow(organisation.id) as uow:
        uow.organisations.add(organisation)
        uow.staff.add(admin)
        uow.commit()
    return actor_for(make_uow, organisation.id, admin.id)


@pytest.fixture
def memory() -> Container:
    container = Container()
    container.settings.override(Settings(database_url="memory://"))
    return container


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Container]:
    url = f"sqlite:///{tmp_path / 'rocket.db'}"
    migrate.upgrade(url)
    container = Container()
    container.settings.override(Settings(database_url=url))
    yield container
    container.database().dispose()


def test_settings_come_from_the_environment_by_default(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("ROCKET_DATABASE_URL", url)
    container = Container()
    assert container.settings().database_url == url
    assert container.settings() is container.settings()


def test_memory_settings_give_services_sharing_one_memory_store(memory):
    store = memory.memory_store()
    assert isinstance(store, MemoryStore)
    assert memory.memory_store() is store
    for service in services(memory):
        assert service.make_uow.__self__ is store  # type: ignore[attr-defined]
    assert isinstance(memory.make_uow()(uuid4()), MemoryUnitOfWork)


def test_services_are_built_once_and_share_the_clock_and_the_bus(memory):
    first, second = services(memory), services(memory)
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert isinstance(memory.clock(), SystemClock)
    assert all(s.clock is memory.clock() and s.bus is memory.bus() for s in first)
    lifecycle = memory.lifecycle()
    assert lifecycle.offers is memory.enrolment()
    assert lifecycle.tokens is memory.makeup()


def test_what_one_service_writes_in_memory_another_reads(memory):
    admin = bootstrap(memory)
    campus = memory.organisation().create_campus(admin, name="Werribee Campus")
    program = memory.scheduling().create_program(admin, name="Scratch", duration_weeks=10)
    with memory.scheduling().make_uow(admin.organisation_id) as uow:
        assert uow.campuses.get(campus.id).name == "Werribee Campus"
        assert uow.programs.get(program.id).duration_weeks == 10


def test_the_clock_can_be_overridden(memory):
    memory.clock.override(FixedClock(AT))
    admin = bootstrap(memory)
    assert all(isinstance(s.clock, FixedClock) for s in services(memory))
    campus = memory.organisation().create_campus(admin, name="Box Hill Campus")
    assert campus.created_at == AT
    with memory.make_uow()(admin.organisation_id) as uow:
        assert [e.occurred_at for e in uow.audit.list_for_entity(campus.id)] == [AT]


def test_a_sqlite_url_gives_the_sql_database(sqlite):
    database = sqlite.database()
    assert isinstance(database, Database)
    assert sqlite.database() is database
    assert sqlite.make_uow().__self__ is database  # type: ignore[attr-defined]
    assert isinstance(sqlite.make_uow()(uuid4()), SqlUnitOfWork)
    for service in services(sqlite):
        assert service.make_uow.__self__ is database  # type: ignore[attr-defined]


def test_a_use_case_works_end_to_end_on_sqlite(sqlite):
    sqlite.clock.override(FixedClock(AT))
    admin = bootstrap(sqlite)
    campus = sqlite.organisation().create_campus(admin, name="Werribee Campus")
    closed = sqlite.organisation().add_closure_date(
        admin, campus.id, day=date(2026, 3, 9), reason="Labour Day"
    )
    assert closed.campus.is_closed_on(date(2026, 3, 9))
    with sqlite.make_uow()(admin.organisation_id) as uow:
        stored = uow.campuses.get(campus.id)
        assert stored.created_at == AT
        assert [c.reason for c in stored.closure_dates] == ["Labour Day"]


def test_the_demo_school_builds_through_the_container_on_sqlite(sqlite):
    make_uow = sqlite.make_uow()
    school = build_demo_school(make_uow, seed=11, today=date(2026, 11, 25))
    assert demo_school_loaded(make_uow, 11)
    summary = summarise(make_uow, school.organisation_id)
    assert summary.counts["families"] == 40
    assert all(summary.enrolments_by_status.values())
    assert summary.counts["attendance marks"] > 0


def test_the_demo_school_builds_through_the_container_in_memory(memory):
    school = build_demo_school(memory.make_uow(), seed=11, today=date(2026, 11, 25))
    store = memory.memory_store()
    assert store.count(m.Family) == 40
    summary = summarise(memory.families().make_uow, school.organisation_id)
    assert summary.counts["families"] == 40


def test_the_application_wires_billing_to_enrolment_events() -> None:
    from rocket_adapters.payments_offline import OfflineGateway
    from rocket_core.events import EnrolmentAwaitingPayment, InvoiceIssued
    from rocket_entrypoints.container import application
    from rocket_entrypoints.settings import Settings

    container = application(Settings(database_url="memory://"))
    assert isinstance(container.gateway(), OfflineGateway)
    bus = container.bus()
    handlers = {event_type for event_type, _ in bus._handlers}
    assert {EnrolmentAwaitingPayment, InvoiceIssued} <= handlers
    assert container.lifecycle().invoices is container.invoicing()


def test_a_stripe_key_selects_the_stripe_gateway() -> None:
    from rocket_adapters.stripe.gateway import StripeGateway
    from rocket_entrypoints.container import Container
    from rocket_entrypoints.settings import Settings

    container = Container()
    container.settings.override(Settings(database_url="memory://", stripe_secret_key="sk_test_123"))
    assert isinstance(container.gateway(), StripeGateway)
    assert "sk_test_123" not in repr(container.settings())
