"""Learning and communication: rubrics, retired skill nodes, the notification outbox's
columns (due time, attempts, claims, idempotency key, cancelled status), family preferences.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:15:01.857940
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rocket_adapters.sql import types

_OLD_STATUSES = ("queued", "sent", "failed")
_NEW_STATUSES = (*_OLD_STATUSES, "cancelled")


def _in(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "rubric", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )

    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "notification_opt_outs",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("undeliverable_at", types.Instant(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("undeliverable_reason", sa.String(length=500), nullable=True))

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("due_at", types.Instant(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", types.Instant(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_to", sa.String(length=255), nullable=True))
        batch_op.drop_constraint(op.f("ck_notifications_notification_status"), type_="check")
        batch_op.alter_column(
            "status",
            existing_type=sa.VARCHAR(length=6),
            type_=sa.String(length=9),
            existing_nullable=False,
        )
        batch_op.create_check_constraint("notification_status", _in(_NEW_STATUSES))
        batch_op.create_check_constraint("attempts", "attempts >= 0")
        batch_op.drop_index(batch_op.f("idx_notification_status"))
        batch_op.create_index("idx_notification_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "idx_notification_family", ["recipient_family_id", "created_at"], unique=False
        )
        batch_op.create_unique_constraint(
            "uq_notifications_dedupe_key", ["organisation_id", "dedupe_key"]
        )

    op.execute("UPDATE notifications SET due_at = created_at")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=types.Instant(timezone=True), nullable=False)

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "rubric", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )

    with op.batch_alter_table("skill_nodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", types.Instant(timezone=True), nullable=True))


def downgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("skill_nodes", schema=None) as batch_op:
        batch_op.drop_column("retired_at")

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("rubric")

    # cancelled notifications were never sent: the old schema records them as failed
    op.execute("UPDATE notifications SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notifications_dedupe_key", type_="unique")
        batch_op.drop_index("idx_notification_family")
        batch_op.drop_index("idx_notification_due")
        batch_op.create_index(
            batch_op.f("idx_notification_status"), ["status", "created_at"], unique=False
        )
        batch_op.drop_constraint(op.f("ck_notifications_attempts"), type_="check")
        batch_op.drop_constraint(op.f("ck_notifications_notification_status"), type_="check")
        batch_op.drop_column("sent_to")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("due_at")
        batch_op.drop_column("html_body")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=9),
            type_=sa.VARCHAR(length=6),
            existing_nullable=False,
        )
        batch_op.create_check_constraint("notification_status", _in(_OLD_STATUSES))

    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.drop_column("undeliverable_reason")
        batch_op.drop_column("undeliverable_at")
        batch_op.drop_column("notification_opt_outs")

    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("rubric")
