"""Tenant isolation enforced by Postgres itself: row-level security on every tenant table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from tests.contracts import factories as f
from tests.contracts.factories import School
from tests.contracts.repository_contract import save

from rocket_adapters.sql import Database
from rocket_adapters.sql.login import SqlLoginDirectory
from rocket_adapters.sql.tables import TENANT_TABLES

pytestmark = pytest.mark.usefixtures("postgres_url")


@pytest.fixture
def two_schools(postgres_database: Database) -> tuple[School, School]:
    first, second = f.school(), f.school()
    save(postgres_database.unit_of_work, *first.entities())
    save(postgres_database.unit_of_work, *second.entities())
    return first, second


@pytest.fixture
def app_connection(postgres_database: Database) -> Iterator[sa.Connection]:
    """A raw connection of the application's engine (the same set-up as its units of work)."""
    with postgres_database.engine.connect() as connection:
        yield connection


def _as(connection: sa.Connection, school: School | None) -> None:
    if school is not None:
        connection.execute(
            sa.text("SELECT set_config('rocket.organisation_id', :org, true)"),
            {"org": str(school.organisation.id)},
        )


def test_the_application_works_as_a_plain_role_that_owns_nothing(
    app_connection: sa.Connection,
) -> None:
    role = app_connection.execute(
        sa.text(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    assert tuple(role) == ("rocket_app", False, False)
    owners = app_connection.execute(
        sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE tablename = ANY(:tables)"),
        {"tables": [*TENANT_TABLES, "organisations"]},
    ).scalars()
    assert "rocket_app" not in set(owners)


def test_the_application_connections_compile_nothing_just_in_time(
    app_connection: sa.Connection,
) -> None:
    # JIT compilation cost the dashboard more than its queries (database.py)
    assert app_connection.execute(sa.text("SHOW jit")).scalar_one() == "off"


def test_every_tenant_table_has_forced_row_level_security_and_a_policy(
    app_connection: sa.Connection,
) -> None:
    rows = app_connection.execute(
        sa.text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
            " (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname)"
            " FROM pg_class c WHERE c.relname = ANY(:tables) AND c.relkind = 'r'"
        ),
        {"tables": [*TENANT_TABLES, "organisations"]},
    ).all()
    assert {row[0] for row in rows} == {*TENANT_TABLES, "organisations"}
    assert all(row[1] and row[2] for row in rows), rows
    # one policy per table; staff also has the login lookup (one row, by exact e-mail) and
    # organisations the organisation directory's (read only, migration 0007)
    policies = {row[0]: row[3] for row in rows}
    extra = {"staff", "organisations"}
    assert policies == {table: 2 if table in extra else 1 for table in policies}, policies


def test_a_raw_select_sees_only_the_current_organisations_students(
    app_connection: sa.Connection, two_schools: tuple[School, School]
) -> None:
    first, second = two_schools
    with app_connection.begin():
        _as(app_connection, first)
        seen = app_connection.execute(sa.text("SELECT id, organisation_id FROM students")).all()
    assert {row.organisation_id for row in seen} == {first.organisation.id}
    assert {row.id for row in seen} == {first.student.id, first.sibling.id}
    with app_connection.begin():
        _as(app_connection, second)
        seen = app_connection.execute(sa.text("SELECT id FROM students")).scalars().all()
    assert first.student.id not in seen
    assert second.student.id in seen


def test_without_an_organisation_nothing_is_visible(
    app_connection: sa.Connection, two_schools: tuple[School, School]
) -> None:
    with app_connection.begin():
        for table in ["organisations", "students", "families", "invoices"]:
            count = app_connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            assert count == 0, table


def test_inserting_a_row_for_another_organisation_is_rejected_by_the_database(
    app_connection: sa.Connection, two_schools: tuple[School, School]
) -> None:
    first, second = two_schools
    with app_connection.begin() as transaction:
        _as(app_connection, first)
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            app_connection.execute(
                sa.text(
                    "INSERT INTO students (id, organisation_id, family_id, first_name, last_name,"
                    " date_of_birth, allow_photo, is_active, created_at, version)"
                    " VALUES (gen_random_uuid(), :org, :family, 'Eve', 'Intruder', '2016-01-01',"
                    " false, true, now(), 1)"
                ),
                {"org": second.organisation.id, "family": second.family.id},
            )
        transaction.rollback()


def test_moving_a_row_to_another_organisation_is_rejected(
    app_connection: sa.Connection, two_schools: tuple[School, School]
) -> None:
    first, second = two_schools
    with app_connection.begin() as transaction:
        _as(app_connection, first)
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            app_connection.execute(
                sa.text("UPDATE students SET organisation_id = :other WHERE id = :id"),
                {"other": second.organisation.id, "id": first.student.id},
            )
        transaction.rollback()


def test_updates_and_deletes_never_reach_another_organisations_rows(
    app_connection: sa.Connection, two_schools: tuple[School, School]
) -> None:
    first, second = two_schools
    with app_connection.begin():
        _as(app_connection, first)
        changed = app_connection.execute(
            sa.text("UPDATE students SET pronouns = 'they' WHERE id = :id"),
            {"id": second.student.id},
        ).rowcount
        removed = app_connection.execute(
            sa.text("DELETE FROM campus_staff WHERE organisation_id = :org"),
            {"org": second.organisation.id},
        ).rowcount
    assert (changed, removed) == (0, 0)


def test_a_unit_of_work_runs_under_the_same_policies(
    postgres_database: Database, two_schools: tuple[School, School]
) -> None:
    first, second = two_schools
    with postgres_database.unit_of_work(first.organisation.id) as uow:
        ids = uow.execute(sa.text("SELECT id FROM families")).scalars().all()
    assert first.family.id in ids
    assert second.family.id not in ids


def test_a_login_role_that_is_a_member_of_the_application_role_works_and_owns_nothing(
    postgres_url: str, two_schools: tuple[School, School]
) -> None:
    # The production set-up: log in as a role of your own that is a member of rocket_app.
    owner = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.exec_driver_sql(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rocket_test_web')"
            " THEN CREATE ROLE rocket_test_web LOGIN NOINHERIT IN ROLE rocket_app; END IF; END $$"
        )
    owner.dispose()
    url = sa.make_url(postgres_url).set(username="rocket_test_web")
    database = Database(url)
    try:
        first, second = two_schools
        with database.unit_of_work(first.organisation.id) as uow:
            assert uow.students.get(first.student.id).id == first.student.id
            assert uow.students.find(second.student.id) is None
            who = uow.execute(sa.text("SELECT session_user, current_user")).one()
        assert tuple(who) == ("rocket_test_web", "rocket_app")
    finally:
        database.dispose()


def test_the_login_lookup_sees_only_the_staff_row_with_the_named_email(
    app_connection: sa.Connection, two_schools: tuple[School, School], postgres_database: Database
) -> None:
    first, second = two_schools
    with app_connection.begin():
        app_connection.execute(
            sa.text("SELECT set_config('rocket.login_email', :email, true)"),
            {"email": second.staff.email},
        )
        seen = app_connection.execute(sa.text("SELECT id FROM staff")).scalars().all()
        assert seen == [second.staff.id]
        # the setting opens nothing else, and nothing for writing
        assert app_connection.execute(sa.text("SELECT count(*) FROM families")).scalar() == 0
        updated = app_connection.execute(
            sa.text("UPDATE staff SET first_name = 'Mallory' WHERE id = :id"),
            {"id": second.staff.id},
        )
        assert updated.rowcount == 0
    assert SqlLoginDirectory(postgres_database).find(first.staff.email.upper()) == (
        first.organisation.id,
        first.staff.id,
    )
    assert SqlLoginDirectory(postgres_database).find("nobody@example.com") is None
