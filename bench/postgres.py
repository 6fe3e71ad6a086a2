"""Fresh Postgres databases for the benchmarks: created, copied from a template, dropped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
VARIABLE = "ROCKET_BENCH_DATABASE_URL"


def server_url() -> str:
    """The maintenance database's URL (SQLAlchemy form)."""
    return os.environ.get(VARIABLE) or DEFAULT_URL


def libpq(url: str) -> str:
    """The same URL for psycopg (no ``+psycopg`` driver suffix)."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def url_of(database: str) -> str:
    """The URL of another database on the same server."""
    parsed = sa.make_url(server_url()).set(database=database)
    return parsed.render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    with psycopg.connect(libpq(server_url()), autocommit=True) as connection:
        connection.execute(statement)


def create(name: str, *, template: str | None = None) -> str:
    """Create database ``name`` (a copy of ``template`` when given); its URL."""
    if template is None:
        _admin(f"CREATE DATABASE {name}")
    else:
        # FILE_COPY copies the files after a checkpoint: much faster than WAL_LOG for a
        # database of hundreds of megabytes.
        _admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
    return url_of(name)


def drop(name: str) -> None:
    """Drop database ``name`` (closing its connections)."""
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def fresh_name(prefix: str) -> str:
    """A database name nobody else uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextmanager
def copy_of(template: str, prefix: str) -> Iterator[str]:
    """A throw-away copy of ``template``: its URL, dropped afterwards."""
    name = fresh_name(prefix)
    url = create(name, template=template)
    try:
        yield url
    finally:
        drop(name)
