"""Makeup tokens as records, waitlist offers that lapse, and a cohort attention flag.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:48:59.656593
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from rocket_adapters.sql import types
from rocket_adapters.sql.migrations import rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(**kwargs: Any) -> None:
    op.create_table(
        "makeup_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("source_session_id", sa.Uuid(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "redeemed",
                "expired",
                "withdrawn",
                name="makeup_token_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("redeemed_session_id", sa.Uuid(), nullable=True),
        sa.Column("redeemed_at", types.Instant(timezone=True), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("issued_on <= expires_on", name=op.f("ck_makeup_tokens_dates")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "enrolment_id"],
            ["enrolments.organisation_id", "enrolments.id"],
            name="fk_makeup_tokens_enrolment_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "program_id"],
            ["programs.organisation_id", "programs.id"],
            name="fk_makeup_tokens_program_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "redeemed_session_id"],
            ["sessions.organisation_id", "sessions.id"],
            name="fk_makeup_tokens_redeemed_session_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "source_session_id"],
            ["sessions.organisation_id", "sessions.id"],
            name="fk_makeup_tokens_source_session_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "student_id"],
            ["students.organisation_id", "students.id"],
            name="fk_makeup_tokens_student_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_makeup_tokens_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_makeup_tokens")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_makeup_tokens_tenant_id"),
    )
    with op.batch_alter_table("makeup_tokens", schema=None) as batch_op:
        batch_op.create_index("idx_makeup_token_enrolment", ["enrolment_id"], unique=False)
        batch_op.create_index("idx_makeup_token_expiry", ["status", "expires_on"], unique=False)
        batch_op.create_index("idx_makeup_token_student", ["student_id", "status"], unique=False)

    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention", sa.String(length=200), nullable=True))

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offer_expires_at", types.Instant(timezone=True), nullable=True)
        )
        batch_op.create_index("idx_enrolment_offer", ["status", "offer_expires_at"], unique=False)

    rls.protect("makeup_tokens", kwargs.get("app_role") or "rocket_app")


def downgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("idx_enrolment_offer")
        batch_op.drop_column("offer_expires_at")

    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("attention")

    with op.batch_alter_table("makeup_tokens", schema=None) as batch_op:
        batch_op.drop_index("idx_makeup_token_student")
        batch_op.drop_index("idx_makeup_token_expiry")
        batch_op.drop_index("idx_makeup_token_enrolment")

    op.drop_table("makeup_tokens")
