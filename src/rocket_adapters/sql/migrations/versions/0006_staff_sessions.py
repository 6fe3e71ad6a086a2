"""Staff login sessions (token digests, 24-hour expiry, revocation), and the login lookup
policy on staff (Postgres: only the row whose e-mail the transaction names).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:27:26.507884
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from rocket_adapters.sql import types
from rocket_adapters.sql.migrations import rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade(**kwargs: Any) -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("expires_at", types.Instant(timezone=True), nullable=False),
        sa.Column("revoked_at", types.Instant(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("created_at < expires_at", name=op.f("ck_staff_sessions_expiry")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_staff_sessions_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_staff_sessions_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_staff_sessions_tenant_id"),
        sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index("idx_staff_session_staff", ["staff_id", "expires_at"], unique=False)

    role = kwargs.get("app_role") or "rocket_app"
    rls.protect("staff_sessions", role)
    rls.allow_login_lookup(role)


def downgrade(**kwargs: Any) -> None:
    rls.drop_login_lookup()
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index("idx_staff_session_staff")

    op.drop_table("staff_sessions")
