"""Hot statements on the driver's cursor (``rocket_adapters.sql.direct``), on SQLite and
Postgres: rows come back as SQLAlchemy reads them, parameters are bound as it binds them,
driver errors are said in the domain's words, and what it does not do is refused."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from tests.contracts import factories as f
from tests.contracts.repository_contract import save

from rocket_adapters.sql import Database
from rocket_adapters.sql import tables as t
from rocket_adapters.sql.direct import Direct, Statements
from rocket_core import model as m
from rocket_core.errors import Conflict

_INVOICES = sa.select(
    t.invoices.c.id,
    t.invoices.c.family_id,
    t.invoices.c.status,
    t.invoices.c.total_amount,
    t.invoices.c.line_items,
    t.invoices.c.issue_date,
    t.invoices.c.created_at,
    t.invoices.c.version,
).where(
    t.invoices.c.organisation_id == sa.bindparam("org"),
    t.invoices.c.status.in_([sa.literal(s, t.invoices.c.status.type) for s in m.InvoiceStatus]),
    t.invoices.c.total_amount >= sa.bindparam("least", type_=t.invoices.c.total_amount.type),
)
_UPDATE_NOTES = (
    sa.update(t.families)
    .where(
        t.families.c.organisation_id == sa.bindparam("org"),
        t.families.c.id == sa.bindparam("family"),
        t.families.c.version == sa.bindparam("read_version"),
    )
    .values(
        primary_contact_phone=sa.bindparam(
            "new_phone", type_=t.families.c.primary_contact_phone.type
        )
    )
)
_INSERT_FAMILY = sa.insert(t.families)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    database: Database = request.getfixturevalue(f"{request.param}_database")
    return database


def _school(database: Database) -> tuple[m.Organisation, m.Family, list[m.Invoice]]:
    org = f.organisation()
    family = f.family(org.id)
    child = f.student(family)
    program, campus = f.program(org.id), f.campus(org.id)
    cohort = f.cohort(program, campus)
    enrolment = f.enrolment(child, cohort)
    invoices = [f.invoice(family, enrolment), f.invoice(family, enrolment)]
    save(database.unit_of_work, org, family, child, program, campus, cohort, enrolment, *invoices)
    return org, family, invoices


def test_rows_come_back_as_sqlalchemy_reads_them(database: Database) -> None:
    org, _, invoices = _school(database)
    parameters = {"org": org.id, "least": Decimal("0.00")}
    with database.unit_of_work(org.id) as uow:
        direct = [tuple(row) for row in uow.values(_INVOICES, parameters)]
        through_sqlalchemy = [tuple(row) for row in uow.connection.execute(_INVOICES, parameters)]
    assert len(direct) == len(invoices)
    assert sorted(direct, key=str) == sorted(through_sqlalchemy, key=str)
    # the processors ran: enums, exact money, value objects, aware instants
    row = direct[0]
    assert isinstance(row[2], m.InvoiceStatus)
    assert isinstance(row[3], Decimal)
    assert all(isinstance(item, m.LineItem) for item in row[4])
    assert row[6].tzinfo is not None


def test_a_write_counts_the_rows_it_changed(database: Database) -> None:
    org, family, _ = _school(database)
    rows = [
        {
            "org": org.id,
            "family": family.id,
            "read_version": family.version,
            "new_phone": "0400 000 001",
        },
        {
            "org": org.id,
            "family": family.id,
            "read_version": family.version + 5,
            "new_phone": "0400 000 002",
        },
    ]
    with database.unit_of_work(org.id) as uow:
        assert uow.write(_UPDATE_NOTES, rows) == 1
        uow.commit()
    with database.unit_of_work(org.id) as uow:
        assert uow.families.get(family.id).primary_contact_phone == "0400 000 001"


def test_a_unique_violation_is_a_conflict_naming_what_it_protects(database: Database) -> None:
    org, family, _ = _school(database)
    row = {column.name: getattr(family, column.name, None) for column in t.families.c}
    copy_id = m.new_id()
    row.update(id=copy_id, created_at=datetime.now(UTC))
    with database.unit_of_work(org.id) as uow, pytest.raises(Conflict, match="primary e-mail"):
        uow.write(_INSERT_FAMILY, [row])
    with database.unit_of_work(org.id) as uow:
        assert uow.families.find(copy_id) is None


def test_statements_that_expand_a_list_at_execution_are_refused() -> None:
    expanding = sa.select(t.families.c.id).where(
        t.families.c.id.in_(sa.bindparam("ids", expanding=True))
    )
    with pytest.raises(ValueError, match="expand"):
        Direct(expanding, sqlite.dialect())


def test_a_statement_is_compiled_once_and_forgotten_with_it() -> None:
    statements = Statements(sqlite.dialect())
    kept = sa.select(t.families.c.id).where(t.families.c.id == sa.bindparam("id"))
    assert statements[kept] is statements[kept]
    passing = sa.select(t.families.c.primary_contact_email).where(
        t.families.c.id == sa.bindparam("id")
    )
    statements[passing]
    del passing
    gc.collect()
    assert list(statements._made) == [kept]


def test_a_parameter_left_out_is_named() -> None:
    direct = Direct(_UPDATE_NOTES, sqlite.dialect())
    with pytest.raises(sa.exc.ArgumentError, match="read_version"):
        direct._parameters({"org": m.new_id(), "family": m.new_id(), "new_phone": None})
