"""Billing: payment allocations, refunds, credit notes, processed webhook events, credited amounts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:31:30.357006
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rocket_adapters.sql import types
from rocket_adapters.sql.migrations import rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade(**kwargs: Any) -> None:
    op.create_table(
        "credit_note_number_counters",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "last_number BETWEEN 1 AND 999999",
            name=op.f("ck_credit_note_number_counters_last_number"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_credit_note_number_counters_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "year", name=op.f("pk_credit_note_number_counters")
        ),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("provider_event_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("received_at", types.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_webhook_events_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_webhook_events_tenant_id"),
        sa.UniqueConstraint("provider", "provider_event_id", name="uq_webhook_events_event"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("credit_note_number", sa.String(length=50), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("total_amount", types.Money(precision=10, scale=2), nullable=False),
        sa.Column(
            "gst_amount", types.Money(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "line_items", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.CheckConstraint(
            "total_amount > 0 AND gst_amount >= 0", name=op.f("ck_credit_notes_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "created_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_credit_notes_created_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_credit_notes_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "invoice_id"],
            ["invoices.organisation_id", "invoices.id"],
            name="fk_credit_notes_invoice_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_credit_notes_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("organisation_id", "credit_note_number", name="uq_credit_notes_number"),
        sa.UniqueConstraint("organisation_id", "id", name="uq_credit_notes_tenant_id"),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index("idx_credit_note_family", ["family_id"], unique=False)
        batch_op.create_index("idx_credit_note_invoice", ["invoice_id"], unique=False)

    op.create_table(
        "payment_allocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", types.Money(precision=10, scale=2), nullable=False),
        sa.Column("allocated_at", types.Instant(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_allocations_amount")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "invoice_id"],
            ["invoices.organisation_id", "invoices.id"],
            name="fk_payment_allocations_invoice_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "payment_id"],
            ["payments.organisation_id", "payments.id"],
            name="fk_payment_allocations_payment_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_payment_allocations_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocations")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_payment_allocations_tenant_id"),
    )
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.create_index("idx_allocation_invoice", ["invoice_id"], unique=False)
        batch_op.create_index("idx_allocation_payment", ["payment_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("amount", types.Money(precision=10, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "succeeded",
                "failed",
                name="refund_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("stripe_refund_id", sa.String(length=100), nullable=True),
        sa.Column("refunded_at", types.Instant(timezone=True), nullable=False),
        sa.Column("recorded_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "approved_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_refunds_approved_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_refunds_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "payment_id"],
            ["payments.organisation_id", "payments.id"],
            name="fk_refunds_payment_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "recorded_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_refunds_recorded_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_refunds_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_refunds_tenant_id"),
        sa.UniqueConstraint("stripe_refund_id", name="uq_refunds_stripe_refund"),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index("idx_refund_family", ["family_id"], unique=False)
        batch_op.create_index("idx_refund_payment", ["payment_id"], unique=False)

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "amount_credited",
                types.Money(precision=10, scale=2),
                server_default="0",
                nullable=False,
            )
        )

    role = kwargs.get("app_role") or "rocket_app"
    for table in [
        "credit_note_number_counters",
        "webhook_events",
        "credit_notes",
        "payment_allocations",
        "refunds",
    ]:
        rls.protect(table, role)


def downgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("amount_credited")

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("idx_refund_payment")
        batch_op.drop_index("idx_refund_family")

    op.drop_table("refunds")
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.drop_index("idx_allocation_payment")
        batch_op.drop_index("idx_allocation_invoice")

    op.drop_table("payment_allocations")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index("idx_credit_note_invoice")
        batch_op.drop_index("idx_credit_note_family")

    op.drop_table("credit_notes")
    op.drop_table("webhook_events")
    op.drop_table("credit_note_number_counters")
