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
from rocket_adapters.email import ConsoleNotifier, SmtpNotifier
from rocket_adapters.memory import MemoryStore
from rocket_adapters.memory.directory import MemoryOrganisationDirectory
from rocket_adapters.memory.login import MemoryLoginDirectory
from rocket_adapters.notification_templates import JinjaTemplateRenderer
from rocket_adapters.passwords import Argon2PasswordHasher
from rocket_adapters.payments_offline import OfflineGateway
from rocket_adapters.sql import Database
from rocket_adapters.sql.directory import SqlOrganisationDirectory
from rocket_adapters.sql.login import SqlLoginDirectory
from rocket_adapters.stripe.gateway import StripeGateway
from rocket_core.events import EventBus
from rocket_core.services.attendance import AttendanceService
from rocket_core.services.audit import AuditService
from rocket_core.services.auth import AuthService
from rocket_core.services.dispatch import DispatchService
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.export import ExportService
from rocket_core.services.families import FamilyService
from rocket_core.services.invoicing import InvoicingService
from rocket_core.services.lifecycle import LifecycleService
from rocket_core.services.makeup import MakeupService
from rocket_core.services.messaging import MessagingService
from rocket_core.services.notifications import NotificationService
from rocket_core.services.organisation import OrganisationService
from rocket_core.services.payments import PaymentService
from rocket_core.services.progress import ProgressService
from rocket_core.services.projects import ProjectService
from rocket_core.services.scheduling import SchedulingService
from rocket_core.services.skills import SkillTreeService
from rocket_core.services.term_invoicing import TermInvoicingService
from rocket_core.services.webhooks import WebhookService
from rocket_entrypoints.settings import Settings


def _backend(settings: Settings) -> str:
    return "memory" if settings.in_memory else "sql"


def _gateway(settings: Settings) -> str:
    return "stripe" if settings.card_payments else "offline"


def _notifier(settings: Settings) -> str:
    return "smtp" if settings.email else "console"


def _subscribe(
    invoicing: InvoicingService, payments: PaymentService, notifications: NotificationService
) -> Iterator[None]:
    """The event handlers: an invoice for every enrolment awaiting payment, the family's
    credit applied to every invoice issued, and the notification outbox (in the transaction
    of each change). The templates are checked first: a broken edit stops the start."""
    notifications.check_templates()
    invoicing.subscribe()
    payments.subscribe()
    notifications.subscribe()
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
        pool_size=settings.provided.database_pool_size,
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
    #: Every organisation's id, for the system jobs that run across organisations.
    organisation_directory = providers.Selector(
        providers.Callable(_backend, settings),
        memory=providers.Singleton(MemoryOrganisationDirectory, memory_store),
        sql=providers.Singleton(SqlOrganisationDirectory, database),
    )

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
    #: The term's tuition invoices in one run (``rocket billing run-term``).
    term_invoicing = providers.Singleton(TermInvoicingService, make_uow, clock, bus)
    #: A family's data export (a privacy request).
    export = providers.Singleton(ExportService, make_uow, clock, bus)
    skills = providers.Singleton(SkillTreeService, make_uow, clock, bus)
    progress = providers.Singleton(ProgressService, make_uow, clock, bus)
    projects = providers.Singleton(ProjectService, make_uow, clock, bus)
    messaging = providers.Singleton(MessagingService, make_uow, clock, bus)
    #: Notification templates: the built-in ones, replaced file by file from
    #: ROCKET_TEMPLATES_DIR.
    renderer = providers.Singleton(JinjaTemplateRenderer, settings.provided.templates_dir)
    notifications = providers.Singleton(NotificationService, make_uow, clock, bus, renderer)
    #: E-mail through SMTP when ROCKET_SMTP_HOST is set, else written to the log.
    notifier = providers.Selector(
        providers.Callable(_notifier, settings),
        console=providers.Singleton(ConsoleNotifier),
        smtp=providers.Singleton(
            SmtpNotifier,
            settings.provided.smtp_host,
            settings.provided.smtp_port,
            username=settings.provided.smtp_username,
            password=settings.provided.smtp_password,
            starttls=settings.provided.smtp_starttls,
            mail_from=settings.provided.mail_from,
        ),
    )
    dispatch = providers.Singleton(DispatchService, make_uow, clock, bus, notifier)
    #: Reading the audit log (super admins).
    audit_log = providers.Singleton(AuditService, make_uow, clock, bus)
    #: Subscribes the event handlers (``init_resources()``, done by ``application()``).
    handlers = providers.Resource(_subscribe, invoicing, payments, notifications)


def application(settings: Settings | None = None) -> Container:
    """A container with its event handlers subscribed: what entrypoints use."""
    container = Container()
    if settings is not None:
        container.settings.override(settings)
    container.init_resources()
    return container
