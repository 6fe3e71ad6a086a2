"""The organisation directory over the database.

System jobs (the nightly job, term invoicing, the dispatcher) run in every organisation, but
a unit of work sees one only: on Postgres row-level security shows the application role the
rows of the transaction's ``rocket.organisation_id`` and nothing else. The directory sets
``rocket.list_organisations = 'on'`` for its one transaction; a SELECT-only policy on
``organisations`` (migration 0007) then shows every organisation's row to that transaction,
which reads their ids and ends. No other table has such a policy: the transaction sees no
tenant data, and the setting dies with it.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from rocket_adapters.sql import tables as t
from rocket_adapters.sql.database import Database
from rocket_core.ports import OrganisationDirectory

#: The transaction-local setting the policy of migration 0007 reads.
LIST_ORGANISATIONS = "rocket.list_organisations"


class SqlOrganisationDirectory(OrganisationDirectory):
    """Reads every organisation's id from ``organisations``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def organisation_ids(self) -> list[UUID]:
        with self.database.engine.begin() as connection:
            if self.database.dialect == "postgresql":
                connection.execute(sa.select(sa.func.set_config(LIST_ORGANISATIONS, "on", True)))
            ids = connection.execute(
                sa.select(t.organisations.c.id).order_by(t.organisations.c.id)
            ).scalars()
            return sorted(ids, key=str)
