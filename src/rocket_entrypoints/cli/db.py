"""`rocket db`: migrate the configured database and check its schema (Alembic underneath).

The database is ``ROCKET_DATABASE_URL`` (default ``sqlite:///rocket.db``). Every command says
which database it works on, with the password hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import typer

from rocket_adapters.sql import migrate
from rocket_entrypoints.cli.errors import reported_errors
from rocket_entrypoints.settings import Settings

db_app = typer.Typer(
    name="db",
    help=(
        "Migrate the database and check its schema. The database is ROCKET_DATABASE_URL "
        "(default sqlite:///rocket.db; production: postgresql+psycopg://...).\n\n"
        "Example: ROCKET_DATABASE_URL=sqlite:///school.db rocket db upgrade"
    ),
    no_args_is_help=True,
)

NOT_MIGRATED = "none (not migrated)"


def _settings() -> Settings:
    settings = Settings.from_env()
    typer.echo(f"database: {settings.masked_database_url}")
    return settings


def _missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names when it does not exist yet (reading must not create it)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _current(url: str) -> str | None:
    return None if _missing_sqlite_file(url) else migrate.current(url)


def _show_revision(url: str) -> bool:
    """Print the database's revision and the head; True when it is at the head."""
    revision, head = _current(url), migrate.head()
    typer.echo(f"revision: {revision or NOT_MIGRATED}")
    typer.echo(f"head:     {head}")
    return revision == head


@db_app.command()
def upgrade(
    revision: str = typer.Option("head", help="The revision to migrate up to."),
) -> None:
    """Migrate the database up to a revision (the latest by default); creates it if needed.

    Example: rocket db upgrade
    """
    with reported_errors():
        settings = _settings()
        migrate.upgrade(settings.database_url, revision, app_role=settings.database_role)
        typer.echo(f"upgraded to {revision}")
        _show_revision(settings.database_url)


@db_app.command()
def downgrade(
    revision: str = typer.Option(
        ..., help="The revision to migrate down to; 'base' removes every Rocket table."
    ),
) -> None:
    """Migrate the database down to a revision. Going down drops tables and their data.

    Example: rocket db downgrade --revision base
    """
    with reported_errors():
        settings = _settings()
        migrate.downgrade(settings.database_url, revision, app_role=settings.database_role)
        typer.echo(f"downgraded to {revision}")
        _show_revision(settings.database_url)


@db_app.command()
def current() -> None:
    """Print the database's revision, the latest one, and whether it is up to date.

    Example: rocket db current
    """
    with reported_errors():
        settings = _settings()
        if _show_revision(settings.database_url):
            typer.echo("up to date")
        else:
            typer.echo("not up to date: run `rocket db upgrade`")


@db_app.command()
def check() -> None:
    """Exit 1 unless the database is at the latest revision with no schema drift.

    Drift: the database's tables differ from Rocket's (a column, index, constraint or type).

    Example: rocket db check && echo ready
    """
    with reported_errors():
        settings = _settings()
        url = settings.database_url
        problems: list[str] = []
        if not _show_revision(url):
            problems.append("not at head: run `rocket db upgrade`")
        if _missing_sqlite_file(url) or migrate.is_empty(url):
            problems.append("no Rocket tables yet")
        else:
            problems += [f"drift: {line}" for diff in migrate.drift(url) for line in describe(diff)]
    if problems:
        for problem in problems:
            typer.echo(problem)
        raise typer.Exit(1)
    typer.echo("up to date, no drift")


def describe(diff: Any) -> list[str]:
    """Alembic's comparison result (a tuple, or a list of them for one column) as lines."""
    if isinstance(diff, list):
        return [line for item in diff for line in describe(item)]
    kind, *args = diff
    if kind in ("add_column", "remove_column"):
        _schema, table, column = args
        return [f"{kind} {table}.{column.name}"]
    if kind.startswith("modify_") and len(args) == 6:
        _schema, table, column, _existing, old, new = args
        return [f"{kind} {table}.{column}: {old} -> {new}"]
    return [" ".join([kind, *(_name(arg) for arg in args if arg is not None)])]


def _name(item: Any) -> str:
    table = getattr(item, "table", None)
    if isinstance(item, sa.Column) and table is not None:
        return f"{table.name}.{item.name}"
    if isinstance(item, sa.Index) and table is not None:
        return f"{item.name} on {table.name}"
    if isinstance(item, sa.Constraint) and table is not None:
        return f"{item.name or type(item).__name__} on {table.name}"
    if isinstance(item, sa.Table):
        return item.name
    name = getattr(item, "name", None)
    return str(name) if name is not None else str(item)
