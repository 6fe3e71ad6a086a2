"""The dependency-injector container: adapters chosen from settings, services wired to them.

``ROCKET_DATABASE_URL`` selects the persistence: ``memory://`` (an in-process MemoryStore),
``sqlite:///...`` (the embedded default) or ``postgresql+psycopg://...``. Tests and embedders
override providers (``container.clock.override(FixedClock(...))``,
``container.settings.override(Settings(database_url="memory://"))``).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter

from dependency_injector import containers, providers

from rocket_adapters.clock import SystemClock
from rocket_adapters.memory import MemoryStore
from rocket_adapters.memory.login import MemoryLoginDirectory
from rocket_adapters.passwords import Argon2PasswordHasher
from rocket_adapters.payments_offline import OfflineGateway
from rocket_adapters.sql import Database
from rocket_adapters.sql.login import SqlLoginDirectory
from rocket_adapters.stripe.gateway import StripeGateway
from rocket_core.events import EventBus
from rocket_core.services.attendance import AttendanceService
from rocket_core.services.auth import AuthService
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.families import FamilyService
from rocket_core.services.invoicing import InvoicingService
from rocket_core.services.lifecycle import LifecycleService
from rocket_core.services.makeup import MakeupService
from rocket_core.services.organisation import OrganisationService
from rocket_core.services.payments import PaymentService
from rocket_core.services.scheduling import SchedulingService
from rocket_core.services.webhooks import WebhookService
from rocket_entrypoints.settings import Settings


def _backend(settings: Settings) -> str:
    return "memory" if settings.in_memory else "sql"


def _gateway(settings: Settings) -> str:
    return "stripe" if settings.card_payments else "offline"


def _subscribe(invoicing: InvoicingService, payments: PaymentService) -> Iterator[None]:
    """The event handlers: an invoice for every enrolment awaiting payment, and the family's
    credit applied to every invoice issued."""
    invoicing.subscribe()
    payments.subscribe()
    yield


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

    #: Staff passwords (argon2id) and the login e-mail -> organisation lookup.
    hasher = providers.Singleton(Argon2PasswordHasher)
    login_directory = providers.Selector(
        providers.Callable(_backend, settings),
        memory=providers.Singleton(MemoryLoginDirectory, memory_store),
        sql=providers.Singleton(SqlLoginDirectory, database),
    )
    auth = providers.Singleton(AuthService, make_uow, clock, bus, hasher, login_directory)

    organisation = providers.Singleton(OrganisationService, make_uow, clock, bus)
    scheduling = providers.Singleton(SchedulingService, make_uow, clock, bus)
    families = providers.Singleton(FamilyService, make_uow, clock, bus)
    enrolment = providers.Singleton(EnrolmentService, make_uow, clock, bus)
    makeup = providers.Singleton(MakeupService, make_uow, clock, bus)
    attendance = providers.Singleton(AttendanceService, make_uow, clock, bus)
    invoicing = providers.Singleton(InvoicingService, make_uow, clock, bus)
    #: Card payments: Stripe when ROCKET_STRIPE_SECRET_KEY is set, else the offline gateway.
    gateway = providers.Selector(
        providers.Callable(_gateway, settings),
        offline=providers.Singleton(OfflineGateway),
        stripe=providers.Singleton(
            StripeGateway,
            settings.provided.stripe_secret_key,
            api_base=settings.provided.stripe_api_base,
        ),
    )
    payments = providers.Singleton(PaymentService, make_uow, clock, bus, gateway)
    webhooks = providers.Singleton(WebhookService, make_uow, clock, bus)
    lifecycle = providers.Singleton(
        LifecycleService,
        make_uow,
        clock,
        bus,
        offers=enrolment,
        tokens=makeup,
        invoices=invoicing,
    )
    #: Subscribes the event handlers (``init_resources()``, done by ``application()``).
    handlers = providers.Resource(_subscribe, invoicing, payments)


def application(settings: Settings | None = None) -> Container:
    """A container with its event handlers subscribed: what entrypoints use."""
    container = Container()
    if settings is not None:
        container.settings.override(settings)
    container.init_resources()
    return container
