"""Alembic environment: migrates the database whose URL the caller passes (see ../migrate.py)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from rocket_adapters.sql.database import make_engine
from rocket_adapters.sql.tables import metadata
from rocket_adapters.sql.types import Structured

config = context.config


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write JSON columns as plain JSON/JSONB: what they hold is the application's business."""
    if kind == "type" and isinstance(item, Structured):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    if kind == "type" and type(item).__module__ == "rocket_adapters.sql.types":
        autogen_context.imports.add("from rocket_adapters.sql import types")
        return f"types.{item!r}"
    return False


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", app_role=None)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: Any) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations rebuild SQLite tables; with foreign keys on, dropping the old copy
        # would cascade or fail. Off outside the transaction (inside, the PRAGMA is ignored),
        # then every key is checked once the migration is done.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
    try:
        _migrate(connection)
        if sqlite:
            broken = connection.connection.driver_connection.execute(
                "PRAGMA foreign_key_check"
            ).fetchall()
            if broken:
                raise RuntimeError(f"the migration left broken foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


def _migrate(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
        compare_server_default=False,
    )
    with context.begin_transaction():
        context.run_migrations(app_role=config.attributes.get("app_role"))


if context.is_offline_mode():
    raise SystemExit("Rocket migrates online only: give it a database URL")
run_migrations_online()
