"""The dependency-injector container: adapters chosen from settings, services wired to them.

``ROCKET_DATABASE_URL`` selects the persistence: ``memory://`` (an in-process MemoryStore),
``sqlite:///...`` (the embedded default) or ``postgresql+psycopg://...``. Tests and embedders
override providers (``container.clock.override(FixedClock(...))``,
``container.settings.override(Settings(database_url="memory://"))``).
"""

from __future__ import annotations

from operator import attrgetter

from dependency_injector import containers, providers

from rocket_adapters.clock import SystemClock
from rocket_adapters.memory import MemoryStore
from rocket_adapters.sql import Database
from rocket_core.events import EventBus
from rocket_core.services.attendance import AttendanceService
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.families import FamilyService
from rocket_core.services.lifecycle import LifecycleService
from rocket_core.services.makeup import MakeupService
from rocket_core.services.organisation import OrganisationService
from rocket_core.services.scheduling import SchedulingService
from rocket_entrypoints.settings import Settings


def _backend(settings: Settings) -> str:
    return "memory" if settings.in_memory else "sql"


class Container(containers.DeclarativeContainer):
    """Everything Rocket's entrypoints need, built once per process."""

    settings = providers.Singleton(Settings.from_env)
    clock = providers.Singleton(SystemClock)
    bus = providers.Singleton(EventBus)

    memory_store = providers.Singleton(MemoryStore)
    database = providers.Singleton(
        Database,
        settings.provided.database_url,
        app_role=settings.provided.database_role,
    )
    #: organisation_id -> UnitOfWork, over the configured persistence.
    make_uow = providers.Selector(
        providers.Callable(_backend, settings),
        memory=providers.Callable(attrgetter("unit_of_work"), memory_store),
        sql=providers.Callable(attrgetter("unit_of_work"), database),
    )

    organisation = providers.Singleton(OrganisationService, make_uow, clock, bus)
    scheduling = providers.Singleton(SchedulingService, make_uow, clock, bus)
    families = providers.Singleton(FamilyService, make_uow, clock, bus)
    enrolment = providers.Singleton(EnrolmentService, make_uow, clock, bus)
    makeup = providers.Singleton(MakeupService, make_uow, clock, bus)
    attendance = providers.Singleton(AttendanceService, make_uow, clock, bus)
    lifecycle = providers.Singleton(
        LifecycleService, make_uow, clock, bus, offers=enrolment, tokens=makeup
    )
