"""Liveness and readiness probes (no login)."""

from __future__ import annotations

from typing import Any

import attrs
import sqlalchemy as sa
from litestar import get
from litestar.exceptions import HTTPException

PUBLIC = {"access": "public"}


@attrs.frozen
class Health:
    """A probe's answer."""

    status: str


@get("/healthz", opt=PUBLIC, sync_to_thread=False, tags=["health"])
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@get("/readyz", opt={**PUBLIC, "problems": (503,)}, sync_to_thread=True, tags=["health"])
def readyz(container: Any) -> Health:
    """The database answers (503 when it does not)."""
    settings = container.settings()
    if settings.in_memory:
        return Health(status="ok")
    try:
        with container.database().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        raise HTTPException(status_code=503, detail="the database does not answer") from None
    return Health(status="ok")


ROUTES = [healthz, readyz]
