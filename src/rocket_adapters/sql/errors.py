"""Database errors, said in the domain's words: a driver exception never leaves the adapter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc

from rocket_adapters.sql import tables as t
from rocket_core.errors import Conflict, Forbidden

#: What each UNIQUE constraint (or unique index) protects, by name.
UNIQUE_MEANING: dict[str, str] = {
    "uq_staff_email": "Staff: there is already a staff member with this e-mail",
    "uq_families_email": "Family: there is already a family with this primary e-mail",
    "uq_students_login_email": "Student: there is already a student with this login e-mail",
    "uq_campus_staff_assignment": "CampusStaff: this campus assignment exists already",
    "uq_cohort_staff_assignment": "CohortStaff: this cohort assignment exists already",
    "uq_session_staff_assignment": "SessionStaff: this session assignment exists already",
    "uq_sessions_number": "Session: the cohort already has a session with this number",
    "uq_enrolments_live": "Enrolment: the student already has a live enrolment in this cohort",
    "uq_attendances_mark": "Attendance: there is already a mark for this student at this session",
    "uq_skill_progress_student_node": "SkillProgress: there is already progress for this "
    "student and skill",
    "uq_invoices_number": "Invoice: there is already an invoice with this number",
    "uq_payments_payment_intent": "Payment: there is already a payment for this PaymentIntent",
    "uq_refunds_stripe_refund": "Refund: there is already a refund with this Stripe id",
    "uq_credit_notes_number": "CreditNote: there is already a credit note with this number",
    "uq_webhook_events_event": "WebhookEvent: this provider event was processed already",
}


def _columns_key(table: str, columns: list[str]) -> str:
    return ", ".join(f"{table}.{column}" for column in columns)


def _unique_by_columns() -> dict[str, str]:
    """SQLite names the columns, not the constraint: ``staff.email`` -> its meaning."""
    found: dict[str, str] = {}
    for table in t.metadata.tables.values():
        uniques: list[tuple[str, list[str]]] = [
            (str(c.name), [col.name for col in c.columns])
            for c in table.constraints
            if isinstance(c, sa.UniqueConstraint)
        ]
        uniques += [
            (str(i.name), [col.name for col in i.columns]) for i in table.indexes if i.unique
        ]
        for name, columns in uniques:
            if name in UNIQUE_MEANING:
                found[_columns_key(table.name, columns)] = UNIQUE_MEANING[name]
    return found


_UNIQUE_BY_COLUMNS = _unique_by_columns()
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
_FOREIGN_KEYS = {
    str(fk.name): f"{table.name}.{fk.column_keys[-1]}"
    for table in t.metadata.tables.values()
    for fk in table.foreign_key_constraints
}
_PRIMARY_KEYS = {f"pk_{name}" for name in t.metadata.tables}


def _meaning(error: sa_exc.IntegrityError) -> str:
    original = error.orig
    diag = getattr(original, "diag", None)
    name = getattr(diag, "constraint_name", None) if diag is not None else None
    text = str(original)
    if name is None:  # SQLite
        unique = _SQLITE_UNIQUE.search(text)
        if unique:
            columns = unique.group(1).strip()
            if columns in _UNIQUE_BY_COLUMNS:
                return _UNIQUE_BY_COLUMNS[columns]
            if columns.endswith(".id"):
                return f"{columns.split('.')[0]}: a row with this id exists already"
            return f"a row with the same {columns} exists already"
        if "FOREIGN KEY" in text:
            return "a referenced record does not exist in this organisation"
        if "CHECK constraint failed" in text:
            return f"a rule of the schema refused the change ({text.split(':')[-1].strip()})"
        if "NOT NULL" in text:
            return f"a required value is missing ({text.split(':')[-1].strip()})"
        return "the database refused the change"
    if name in UNIQUE_MEANING:
        return UNIQUE_MEANING[name]
    if name in _PRIMARY_KEYS or name.endswith("_tenant_id"):
        return f"{name[3:].removesuffix('_tenant_id')}: a row with this id exists already"
    if name in _FOREIGN_KEYS:
        return f"{_FOREIGN_KEYS[name]} refers to a record that does not exist in this organisation"
    if name.startswith("ck_"):
        return f"a rule of the schema refused the change ({name})"
    return f"the database refused the change ({name})"


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the database's refusals into the domain's Conflict, with a clear message."""
    try:
        yield
    except sa_exc.IntegrityError as error:
        raise Conflict(_meaning(error)) from None
    except orm_exc.StaleDataError:
        raise Conflict("the record was changed by someone else: reload and retry") from None
    except sa_exc.OperationalError as error:
        text = str(error.orig)
        if "database is locked" in text or "could not serialize" in text or "deadlock" in text:
            raise Conflict(
                "the database was changed by another transaction at the same time: retry"
            ) from None
        raise
    except sa_exc.DBAPIError as error:
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        if sqlstate.startswith("40"):  # serialization failure, deadlock
            raise Conflict(
                "the database was changed by another transaction at the same time: retry"
            ) from None
        if sqlstate == "42501":  # insufficient privilege / row-level security
            raise Forbidden("the database refused a row of another organisation") from None
        raise
