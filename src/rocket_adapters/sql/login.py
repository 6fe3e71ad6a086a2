"""The login directory over the database.

Before a staff member has logged in, no organisation is known, so the unit of work's
row-level security would show no staff at all. On Postgres the lookup sets
``rocket.login_email`` for its transaction; a policy on ``staff`` (migration 0006) lets the
application role read the one row with exactly that e-mail, and nothing else.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from rocket_adapters.sql import tables as t
from rocket_adapters.sql.database import Database
from rocket_core.ports import LoginDirectory


class SqlLoginDirectory(LoginDirectory):
    """Finds a login e-mail's organisation and staff id in the ``staff`` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def find(self, email: str) -> tuple[UUID, UUID] | None:
        wanted = email.strip().lower()
        with self.database.engine.begin() as connection:
            if self.database.dialect == "postgresql":
                connection.execute(
                    sa.select(sa.func.set_config("rocket.login_email", wanted, True))
                )
            row = connection.execute(
                sa.select(t.staff.c.organisation_id, t.staff.c.id).where(t.staff.c.email == wanted)
            ).first()
        return None if row is None else (row[0], row[1])
