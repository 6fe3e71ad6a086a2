"""Alembic, driven from Python: upgrade, downgrade, current revision and a drift check.

The migrations live in this package (``rocket_adapters.sql:migrations``); no alembic.ini is
needed. They run on the login role of the URL (the tables' owner); on Postgres they also
create the application role and the row-level security policies (see 0001_initial).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from rocket_adapters.sql.database import DEFAULT_APP_ROLE, make_engine
from rocket_adapters.sql.tables import metadata


def alembic_config(url: str, *, app_role: str = DEFAULT_APP_ROLE) -> Config:
    """An Alembic configuration for the database at ``url``."""
    config = Config()
    config.set_main_option("script_location", "rocket_adapters.sql:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["app_role"] = app_role
    return config


def upgrade(url: str, revision: str = "head", *, app_role: str = DEFAULT_APP_ROLE) -> None:
    """Migrate the database up to ``revision`` (the latest by default)."""
    command.upgrade(alembic_config(url, app_role=app_role), revision)


def downgrade(url: str, revision: str, *, app_role: str = DEFAULT_APP_ROLE) -> None:
    """Migrate the database down to ``revision`` (``base`` removes every table)."""
    command.downgrade(alembic_config(url, app_role=app_role), revision)


def head() -> str:
    """The latest revision the package knows."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    found = script.get_current_head()
    assert found is not None
    return found


def current(url: str) -> str | None:
    """The database's revision, or None when it has never been migrated."""
    engine = make_engine(url, app_role=None)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def drift(url: str) -> list[Any]:
    """What differs between the database's schema and the tables' metadata ([] = none)."""
    engine = make_engine(url, app_role=None)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def is_empty(url: str) -> bool:
    """True when the database has no Rocket tables yet."""
    engine = make_engine(url, app_role=None)
    try:
        with engine.connect() as connection:
            return "organisations" not in sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()
