"""The database: an engine set up for Rocket, and units of work over it.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and transactions begin
with an explicit BEGIN so that a transaction reads one snapshot; when another transaction
committed since, its write fails and surfaces as Conflict (optimistic concurrency).

On Postgres every connection switches to the application role (``SET ROLE``), which does not
own the tables and cannot bypass row-level security; each transaction sets
``rocket.organisation_id`` for the policies. The application's connections also turn
Postgres's JIT compilation off (``SET jit = off``): Rocket's statements are short, and the
planner's cost estimates for some report queries (an EXISTS over invoices) made Postgres
spend longer compiling than running them (the dashboard of a campus of the large school:
435 ms with JIT, 220 ms without; docs/architecture.md).
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import event, orm

from rocket_adapters.sql.direct import Statements
from rocket_adapters.sql.mapping import start_mappers
from rocket_adapters.sql.unit_of_work import UNIT_OF_WORK, SqlUnitOfWork

#: The role the application works as on Postgres (created by the migrations).
DEFAULT_APP_ROLE = "rocket_app"
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Connections a Database keeps open (``ROCKET_DATABASE_POOL_SIZE``).
DEFAULT_POOL_SIZE = 10
#: How long SQLite waits for another writer before giving up (seconds).
SQLITE_BUSY_TIMEOUT = 10


def is_sqlite(url: str | sa.URL) -> bool:
    """True for a SQLite URL."""
    return sa.make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str | sa.URL, *, app_role: str | None = DEFAULT_APP_ROLE, **options: Any
) -> sa.Engine:
    """An engine for ``url`` with Rocket's connection set-up (see the module docstring).

    ``app_role`` is the Postgres role to work as; None keeps the login role (migrations).
    """
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT)
    engine = sa.create_engine(parsed, **options)
    if backend == "sqlite":
        _set_up_sqlite(engine)
    elif backend == "postgresql" and app_role is not None:
        _set_role(engine, app_role)
    elif backend != "postgresql":
        raise ValueError(f"Rocket runs on SQLite or Postgres, not {backend!r} ({parsed!r})")
    return engine


def _set_up_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" below decide when a transaction starts (pysqlite's own
        # handling would start it late, after the first reads).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "reset")
    def reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        # A COMMIT refused by a deferred foreign key leaves SQLite's transaction open.
        if dbapi_connection.in_transaction:
            dbapi_connection.execute("ROLLBACK")


def _set_role(engine: sa.Engine, role: str) -> None:
    if not _ROLE.fullmatch(role):
        raise ValueError(f"{role!r} is not a plain Postgres role name")

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET ROLE {role}")
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()


def _before_flush(session: orm.Session, _context: Any, _instances: Any) -> None:
    unit_of_work = session.info.get(UNIT_OF_WORK)
    if unit_of_work is not None:
        unit_of_work.bump_versions(session)


class Database:
    """One database: its engine and the units of work over it (what the container holds)."""

    def __init__(
        self,
        url: str | sa.URL,
        *,
        app_role: str | None = DEFAULT_APP_ROLE,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        start_mappers()
        # Connections beyond the pool are opened for a burst and closed after it (a Postgres
        # backend started per request): the pool is sized to the threads that use it.
        pooled = not (is_sqlite(url) and sa.make_url(url).database in (None, "", ":memory:"))
        options = {"pool_size": pool_size, "max_overflow": pool_size} if pooled else {}
        self.engine = make_engine(url, app_role=app_role, **options)
        self.dialect = self.engine.dialect.name
        #: The hot statements, compiled once for this dialect (``SqlUnitOfWork.values``).
        self.direct = Statements(self.engine.dialect)
        self.sessions = orm.sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        # one listener for every session (listening per session costs more than a query)
        event.listen(self.sessions, "before_flush", _before_flush)

    def unit_of_work(self, organisation_id: UUID) -> SqlUnitOfWork:
        """A unit of work for one organisation (a UnitOfWorkFactory)."""
        return SqlUnitOfWork(self, organisation_id)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
