"""The organisation directory: every organisation's id for the system jobs, and nothing more.

On Postgres a transaction that sets ``rocket.list_organisations = 'on'`` sees every
organisation's row (a SELECT-only policy, migration 0007) and still no tenant data; the
setting lasts for that transaction only. On SQLite and in memory the directory lists the
organisations stored.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from tests.contracts import factories as f
from tests.contracts.factories import School
from tests.contracts.repository_contract import save

from rocket_adapters.memory import MemoryStore
from rocket_adapters.memory.directory import MemoryOrganisationDirectory
from rocket_adapters.sql import Database
from rocket_adapters.sql.directory import SqlOrganisationDirectory
from rocket_adapters.sql.tables import TENANT_TABLES


def _two_schools(database_or_store: Database | MemoryStore) -> tuple[School, School]:
    first, second = f.school(), f.school()
    save(database_or_store.unit_of_work, *first.entities())
    save(database_or_store.unit_of_work, *second.entities())
    return first, second


def _listing(connection: sa.Connection) -> None:
    connection.execute(sa.text("SELECT set_config('rocket.list_organisations', 'on', true)"))


@pytest.fixture
def app_connection(postgres_database: Database) -> Iterator[sa.Connection]:
    with postgres_database.engine.connect() as connection:
        yield connection


def test_the_directory_lists_every_organisation_on_postgres(postgres_database: Database) -> None:
    first, second = _two_schools(postgres_database)
    listed = SqlOrganisationDirectory(postgres_database).organisation_ids()
    assert {first.organisation.id, second.organisation.id} <= set(listed)
    assert listed == sorted(listed, key=str)
    assert len(listed) == len(set(listed))


def test_the_listing_setting_shows_organisations_only_and_only_for_its_transaction(
    app_connection: sa.Connection, postgres_database: Database
) -> None:
    first, second = _two_schools(postgres_database)
    with app_connection.begin():
        _listing(app_connection)
        ids = app_connection.execute(sa.text("SELECT id FROM organisations")).scalars().all()
        assert {first.organisation.id, second.organisation.id} <= set(ids)
        # no tenant table opens: not one row of any of them
        for table in TENANT_TABLES:
            count = app_connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            assert count == 0, table
    with app_connection.begin():  # the next transaction on the same connection: gone
        count = app_connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar()
        assert count == 0


def test_the_listing_setting_opens_nothing_for_writing(
    app_connection: sa.Connection, postgres_database: Database
) -> None:
    first, second = _two_schools(postgres_database)
    with app_connection.begin() as transaction:
        _listing(app_connection)
        renamed = app_connection.execute(
            sa.text("UPDATE organisations SET name = 'Mallory Academy' WHERE id = :id"),
            {"id": second.organisation.id},
        ).rowcount
        removed = app_connection.execute(
            sa.text("DELETE FROM organisations WHERE id = :id"), {"id": first.organisation.id}
        ).rowcount
        assert (renamed, removed) == (0, 0)
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            app_connection.execute(
                sa.text(
                    "INSERT INTO organisations (id, name, settings, created_at, version)"
                    " VALUES (gen_random_uuid(), 'Intruders', '{}', now(), 1)"
                )
            )
        transaction.rollback()
    with postgres_database.unit_of_work(second.organisation.id) as uow:
        assert uow.organisations.current().name == second.organisation.name


def test_another_value_of_the_setting_opens_nothing(
    app_connection: sa.Connection, postgres_database: Database
) -> None:
    _two_schools(postgres_database)
    with app_connection.begin():
        app_connection.execute(
            sa.text("SELECT set_config('rocket.list_organisations', 'yes', true)")
        )
        assert app_connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar() == 0


def test_the_directory_lists_the_organisations_of_a_sqlite_database(
    sqlite_database: Database,
) -> None:
    first, second = _two_schools(sqlite_database)
    listed = SqlOrganisationDirectory(sqlite_database).organisation_ids()
    assert listed == sorted([first.organisation.id, second.organisation.id], key=str)


def test_the_directory_lists_the_organisations_of_a_memory_store() -> None:
    store = MemoryStore()
    assert MemoryOrganisationDirectory(store).organisation_ids() == []
    first, second = _two_schools(store)
    listed = MemoryOrganisationDirectory(store).organisation_ids()
    assert listed == sorted([first.organisation.id, second.organisation.id], key=str)
