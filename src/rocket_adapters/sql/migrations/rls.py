"""Row-level security steps that migrations share (Postgres only; no-ops elsewhere).

Migrations call these by name; keep their behaviour as it is (add new functions instead), so
that old revisions still do what they did.
"""

from __future__ import annotations

import re

from alembic import op

_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_CURRENT = "NULLIF(current_setting('rocket.organisation_id', true), '')::uuid"


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _checked(role: str) -> str:
    if not _ROLE.fullmatch(role):
        raise ValueError(f"{role!r} is not a plain Postgres role name")
    return role


def create_app_role(role: str) -> None:
    """The application's role, if missing: no login, no superuser, cannot bypass RLS."""
    if not _postgres():
        return
    role = _checked(role)
    op.execute(
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$"""
    )
    op.execute(f"GRANT USAGE ON SCHEMA {op.get_bind().dialect.default_schema_name} TO {role}")


def protect(table: str, role: str, *, column: str = "organisation_id") -> None:
    """Grant ``role`` the table's rows, and only those of the transaction's organisation:
    RLS enabled and forced, one policy for reading and writing."""
    if not _postgres():
        return
    role = _checked(role)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({column} = {_CURRENT}) WITH CHECK ({column} = {_CURRENT})"
    )


def allow_login_lookup(role: str) -> None:
    """Let ``role`` read the one staff row whose e-mail the transaction names in
    ``rocket.login_email`` (the login lookup, before an organisation is known)."""
    if not _postgres():
        return
    role = _checked(role)
    op.execute(
        f"CREATE POLICY login_lookup ON staff FOR SELECT TO {role} "
        "USING (email = NULLIF(current_setting('rocket.login_email', true), ''))"
    )


def drop_login_lookup() -> None:
    """Undo ``allow_login_lookup``."""
    if _postgres():
        op.execute("DROP POLICY IF EXISTS login_lookup ON staff")


def allow_organisation_listing(role: str) -> None:
    """Let ``role`` read every organisation's row, and only for reading, in a transaction
    that sets ``rocket.list_organisations`` to ``on`` (the organisation directory of the
    system jobs). Other tables get no such policy: that transaction sees no tenant data."""
    if not _postgres():
        return
    role = _checked(role)
    op.execute(
        f"CREATE POLICY list_organisations ON organisations FOR SELECT TO {role} "
        "USING (current_setting('rocket.list_organisations', true) = 'on')"
    )


def drop_organisation_listing() -> None:
    """Undo ``allow_organisation_listing``."""
    if _postgres():
        op.execute("DROP POLICY IF EXISTS list_organisations ON organisations")
