"""Initial schema: every table of the data model, and row-level security on Postgres.

Revision ID: 0001
Revises: -
Create Date: 2026-11-25 12:39:52.987108
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rocket_adapters.sql import types
from rocket_adapters.sql.migrations import rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: Tables whose rows belong to one organisation (as of this revision).
TENANT_TABLES = [
    "attendances",
    "audit_log",
    "campus_staff",
    "campuses",
    "cohort_staff",
    "cohorts",
    "enrolments",
    "families",
    "invoice_number_counters",
    "invoices",
    "messages",
    "notifications",
    "payments",
    "programs",
    "project_submissions",
    "session_staff",
    "sessions",
    "skill_nodes",
    "skill_progress",
    "skill_progress_changes",
    "skill_trees",
    "staff",
    "students",
]


def upgrade(**kwargs: Any) -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("primary_color", sa.String(length=7), nullable=True),
        sa.Column("billing_email", sa.String(length=255), nullable=True),
        sa.Column("abn", sa.String(length=20), nullable=True),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_table(
        "campuses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("suburb", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=3), nullable=True),
        sa.Column("postcode", sa.String(length=4), nullable=True),
        sa.Column(
            "timezone", sa.String(length=50), server_default="Australia/Melbourne", nullable=False
        ),
        sa.Column("contact_email", sa.String(length=255), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "closure_dates",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_campuses_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campuses")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_campuses_tenant_id"),
    )
    with op.batch_alter_table("campuses", schema=None) as batch_op:
        batch_op.create_index("idx_campus_org", ["organisation_id"], unique=False)

    op.create_table(
        "families",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("primary_contact_name", sa.String(length=200), nullable=False),
        sa.Column("primary_contact_email", sa.String(length=255), nullable=False),
        sa.Column("primary_contact_phone", sa.String(length=20), nullable=True),
        sa.Column("secondary_contact_name", sa.String(length=200), nullable=True),
        sa.Column("secondary_contact_email", sa.String(length=255), nullable=True),
        sa.Column("secondary_contact_phone", sa.String(length=20), nullable=True),
        sa.Column("street_address", sa.Text(), nullable=True),
        sa.Column("suburb", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=3), nullable=True),
        sa.Column("postcode", sa.String(length=4), nullable=True),
        sa.Column("emergency_contact_name", sa.String(length=200), nullable=True),
        sa.Column("emergency_contact_phone", sa.String(length=20), nullable=True),
        sa.Column(
            "account_balance",
            types.Money(precision=10, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column("stripe_customer_id", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_families_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_families")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_families_tenant_id"),
        sa.UniqueConstraint("organisation_id", "primary_contact_email", name="uq_families_email"),
    )
    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.create_index("idx_family_email", ["primary_contact_email"], unique=False)
        batch_op.create_index("idx_family_org", ["organisation_id"], unique=False)

    op.create_table(
        "invoice_number_counters",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "last_number BETWEEN 1 AND 999999", name=op.f("ck_invoice_number_counters_last_number")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_invoice_number_counters_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("organisation_id", "year", name=op.f("pk_invoice_number_counters")),
    )
    op.create_table(
        "skill_trees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_skill_trees_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_trees")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_skill_trees_tenant_id"),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "super_admin",
                "campus_manager",
                "lead_instructor",
                "teaching_assistant",
                "front_desk",
                name="staff_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("hired_date", sa.Date(), nullable=True),
        sa.Column(
            "qualifications",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_staff_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("email", name="uq_staff_email"),
        sa.UniqueConstraint("organisation_id", "id", name="uq_staff_tenant_id"),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index("idx_staff_email", ["email"], unique=False)
        batch_op.create_index("idx_staff_org", ["organisation_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("actor_staff_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column(
            "changes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("occurred_at", types.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "actor_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_audit_log_actor_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_audit_log_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_audit_log_tenant_id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("idx_audit_entity", ["entity_id", "occurred_at"], unique=False)
        batch_op.create_index(
            "idx_audit_org_time", ["organisation_id", "occurred_at"], unique=False
        )

    op.create_table(
        "campus_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("campus_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", types.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campus_id"],
            ["campuses.organisation_id", "campuses.id"],
            name="fk_campus_staff_campus_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_campus_staff_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_campus_staff_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campus_staff")),
        sa.UniqueConstraint("campus_id", "staff_id", name="uq_campus_staff_assignment"),
        sa.UniqueConstraint("organisation_id", "id", name="uq_campus_staff_tenant_id"),
    )
    with op.batch_alter_table("campus_staff", schema=None) as batch_op:
        batch_op.create_index("idx_campus_staff_staff", ["staff_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "sender_type",
            sa.Enum(
                "staff", "parent", name="sender_type", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("sender_staff_id", sa.Uuid(), nullable=True),
        sa.Column("sender_family_id", sa.Uuid(), nullable=True),
        sa.Column(
            "recipient_type",
            sa.Enum(
                "staff", "parent", name="recipient_type", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("recipient_staff_id", sa.Uuid(), nullable=True),
        sa.Column("recipient_family_id", sa.Uuid(), nullable=True),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("is_read", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("read_at", types.Instant(timezone=True), nullable=True),
        sa.Column("sent_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "recipient_family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_messages_recipient_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "recipient_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_messages_recipient_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "sender_family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_messages_sender_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "sender_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_messages_sender_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_messages_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_messages_tenant_id"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("idx_message_recipient_family", ["recipient_family_id"], unique=False)
        batch_op.create_index("idx_message_recipient_staff", ["recipient_staff_id"], unique=False)
        batch_op.create_index("idx_message_thread", ["thread_id", "sent_at"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_family_id", sa.Uuid(), nullable=True),
        sa.Column("recipient_staff_id", sa.Uuid(), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "email",
                "sms",
                "push",
                name="notification_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("template_name", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "sent",
                "failed",
                name="notification_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("sent_at", types.Instant(timezone=True), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "recipient_family_id IS NOT NULL OR recipient_staff_id IS NOT NULL",
            name=op.f("ck_notifications_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "recipient_family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_notifications_recipient_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "recipient_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_notifications_recipient_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_notifications_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_notifications_tenant_id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("idx_notification_status", ["status", "created_at"], unique=False)

    op.create_table(
        "programs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column(
            "skill_level",
            sa.Enum(
                "beginner",
                "intermediate",
                "advanced",
                name="skill_level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("duration_weeks", sa.Integer(), nullable=True),
        sa.Column("session_duration_minutes", sa.Integer(), nullable=True),
        sa.Column("default_price", types.Money(precision=10, scale=2), nullable=True),
        sa.Column("skill_tree_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "age_min IS NULL OR age_max IS NULL OR age_min <= age_max",
            name=op.f("ck_programs_ages"),
        ),
        sa.CheckConstraint(
            "default_price IS NULL OR default_price >= 0", name=op.f("ck_programs_default_price")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "skill_tree_id"],
            ["skill_trees.organisation_id", "skill_trees.id"],
            name="fk_programs_skill_tree_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_programs_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_programs_tenant_id"),
    )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.create_index("idx_program_org", ["organisation_id"], unique=False)

    op.create_table(
        "skill_nodes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("skill_tree_id", sa.Uuid(), nullable=False),
        sa.Column("parent_node_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("order_num", sa.Integer(), nullable=False),
        sa.Column("badge_icon_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("level >= 0", name=op.f("ck_skill_nodes_level")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "parent_node_id"],
            ["skill_nodes.organisation_id", "skill_nodes.id"],
            name="fk_skill_nodes_parent_node_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "skill_tree_id"],
            ["skill_trees.organisation_id", "skill_trees.id"],
            name="fk_skill_nodes_skill_tree_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_skill_nodes_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_nodes")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_skill_nodes_tenant_id"),
    )
    with op.batch_alter_table("skill_nodes", schema=None) as batch_op:
        batch_op.create_index("idx_skillnode_parent", ["parent_node_id"], unique=False)
        batch_op.create_index("idx_skillnode_tree", ["skill_tree_id"], unique=False)

    op.create_table(
        "students",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column(
            "gender",
            sa.Enum(
                "female",
                "male",
                "non_binary",
                "not_stated",
                name="gender",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("medical_info", sa.Text(), nullable=True),
        sa.Column("dietary_restrictions", sa.Text(), nullable=True),
        sa.Column("allow_photo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("photo_url", sa.String(length=500), nullable=True),
        sa.Column("preferred_name", sa.String(length=100), nullable=True),
        sa.Column("pronouns", sa.String(length=50), nullable=True),
        sa.Column("student_login_email", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_students_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_students_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_students")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_students_tenant_id"),
        sa.UniqueConstraint("student_login_email", name="uq_students_login_email"),
    )
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index("idx_student_family", ["family_id"], unique=False)

    op.create_table(
        "cohorts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("campus_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("max_capacity", sa.Integer(), nullable=False),
        sa.Column("current_enrolments", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "full",
                "in_progress",
                "completed",
                "cancelled",
                name="cohort_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("tuition_price", types.Money(precision=10, scale=2), nullable=True),
        sa.Column("room", sa.String(length=100), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "current_enrolments >= 0 AND current_enrolments <= max_capacity",
            name=op.f("ck_cohorts_seats"),
        ),
        sa.CheckConstraint("max_capacity > 0", name=op.f("ck_cohorts_capacity")),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_cohorts_dates")),
        sa.CheckConstraint(
            "tuition_price IS NULL OR tuition_price >= 0", name=op.f("ck_cohorts_tuition_price")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campus_id"],
            ["campuses.organisation_id", "campuses.id"],
            name="fk_cohorts_campus_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "program_id"],
            ["programs.organisation_id", "programs.id"],
            name="fk_cohorts_program_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_cohorts_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_cohorts_tenant_id"),
    )
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.create_index("idx_cohort_campus", ["campus_id"], unique=False)
        batch_op.create_index("idx_cohort_dates", ["start_date", "end_date"], unique=False)
        batch_op.create_index("idx_cohort_program", ["program_id"], unique=False)

    op.create_table(
        "skill_progress",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("skill_node_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "mastered",
                name="skill_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("mastered_at", types.Instant(timezone=True), nullable=True),
        sa.Column("updated_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "notes_visible_to_family", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "skill_node_id"],
            ["skill_nodes.organisation_id", "skill_nodes.id"],
            name="fk_skill_progress_skill_node_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "student_id"],
            ["students.organisation_id", "students.id"],
            name="fk_skill_progress_student_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "updated_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_skill_progress_updated_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_skill_progress_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_progress")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_skill_progress_tenant_id"),
        sa.UniqueConstraint("student_id", "skill_node_id", name="uq_skill_progress_student_node"),
    )
    with op.batch_alter_table("skill_progress", schema=None) as batch_op:
        batch_op.create_index("idx_skillprogress_student", ["student_id"], unique=False)

    op.create_table(
        "cohort_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "lead_instructor",
                "teaching_assistant",
                name="cohort_staff_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("assigned_at", types.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "cohort_id"],
            ["cohorts.organisation_id", "cohorts.id"],
            name="fk_cohort_staff_cohort_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_cohort_staff_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_cohort_staff_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_staff")),
        sa.UniqueConstraint("cohort_id", "staff_id", name="uq_cohort_staff_assignment"),
        sa.UniqueConstraint("organisation_id", "id", name="uq_cohort_staff_tenant_id"),
    )
    with op.batch_alter_table("cohort_staff", schema=None) as batch_op:
        batch_op.create_index("idx_cohort_staff_staff", ["staff_id"], unique=False)

    op.create_table(
        "project_submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("project_url", sa.String(length=500), nullable=True),
        sa.Column("submitted_at", types.Instant(timezone=True), nullable=False),
        sa.Column("graded_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("score", types.Money(precision=5, scale=2), nullable=True),
        sa.Column(
            "rubric_scores", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("graded_at", types.Instant(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "score IS NULL OR score >= 0", name=op.f("ck_project_submissions_score")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "cohort_id"],
            ["cohorts.organisation_id", "cohorts.id"],
            name="fk_project_submissions_cohort_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "graded_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_project_submissions_graded_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "student_id"],
            ["students.organisation_id", "students.id"],
            name="fk_project_submissions_student_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_project_submissions_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_submissions")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_project_submissions_tenant_id"),
    )
    with op.batch_alter_table("project_submissions", schema=None) as batch_op:
        batch_op.create_index("idx_project_cohort", ["cohort_id"], unique=False)
        batch_op.create_index("idx_project_student", ["student_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=False),
        sa.Column("scheduled_start_time", sa.Time(), nullable=False),
        sa.Column("scheduled_end_time", sa.Time(), nullable=False),
        sa.Column("actual_start_time", sa.Time(), nullable=True),
        sa.Column("actual_end_time", sa.Time(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "in_progress",
                "completed",
                "cancelled",
                name="session_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("location_notes", sa.String(length=200), nullable=True),
        sa.Column("lead_instructor_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "scheduled_start_time < scheduled_end_time", name=op.f("ck_sessions_times")
        ),
        sa.CheckConstraint("session_number >= 1", name=op.f("ck_sessions_number")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "cohort_id"],
            ["cohorts.organisation_id", "cohorts.id"],
            name="fk_sessions_cohort_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "lead_instructor_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_sessions_lead_instructor_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_sessions_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("cohort_id", "session_number", name="uq_sessions_number"),
        sa.UniqueConstraint("organisation_id", "id", name="uq_sessions_tenant_id"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("idx_session_cohort", ["cohort_id"], unique=False)
        batch_op.create_index("idx_session_date", ["scheduled_date"], unique=False)

    op.create_table(
        "skill_progress_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("skill_progress_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "not_started",
                "in_progress",
                "mastered",
                name="from_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "not_started",
                "in_progress",
                "mastered",
                name="to_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("changed_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", types.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "changed_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_skill_progress_changes_changed_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "skill_progress_id"],
            ["skill_progress.organisation_id", "skill_progress.id"],
            name="fk_skill_progress_changes_skill_progress_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_skill_progress_changes_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_progress_changes")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_skill_progress_changes_tenant_id"),
    )
    with op.batch_alter_table("skill_progress_changes", schema=None) as batch_op:
        batch_op.create_index(
            "idx_skillprogresschange_progress", ["skill_progress_id"], unique=False
        )

    op.create_table(
        "enrolments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "enquiry",
                "trial",
                "pending_payment",
                "enrolled",
                "active",
                "completed",
                "dropped",
                "transferred",
                name="enrolment_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("enrolment_date", types.Instant(timezone=True), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("tuition_override", types.Money(precision=10, scale=2), nullable=True),
        sa.Column(
            "discount_applied",
            types.Money(precision=10, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column("is_trial", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("trial_session_id", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_date", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("makeup_tokens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_waitlist", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("transferred_to_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "discount_applied >= 0 AND tuition_override IS NULL OR tuition_override >= 0",
            name=op.f("ck_enrolments_money"),
        ),
        sa.CheckConstraint("makeup_tokens >= 0", name=op.f("ck_enrolments_tokens")),
        sa.CheckConstraint(
            "waitlist_position IS NULL OR waitlist_position >= 1",
            name=op.f("ck_enrolments_waitlist_position"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "cohort_id"],
            ["cohorts.organisation_id", "cohorts.id"],
            name="fk_enrolments_cohort_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "student_id"],
            ["students.organisation_id", "students.id"],
            name="fk_enrolments_student_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "transferred_to_id"],
            ["enrolments.organisation_id", "enrolments.id"],
            name="fk_enrolments_transferred_to_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "trial_session_id"],
            ["sessions.organisation_id", "sessions.id"],
            name="fk_enrolments_trial_session_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_enrolments_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_enrolments_tenant_id"),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index("idx_enrolment_cohort", ["cohort_id"], unique=False)
        batch_op.create_index("idx_enrolment_status", ["status"], unique=False)
        batch_op.create_index("idx_enrolment_student", ["student_id"], unique=False)
        batch_op.create_index(
            "uq_enrolments_live",
            ["student_id", "cohort_id"],
            unique=True,
            sqlite_where=sa.text("status NOT IN ('completed', 'dropped', 'transferred')"),
            postgresql_where=sa.text("status NOT IN ('completed', 'dropped', 'transferred')"),
        )

    op.create_table(
        "session_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", types.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "session_id"],
            ["sessions.organisation_id", "sessions.id"],
            name="fk_session_staff_session_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_session_staff_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_session_staff_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_staff")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_session_staff_tenant_id"),
        sa.UniqueConstraint("session_id", "staff_id", name="uq_session_staff_assignment"),
    )
    with op.batch_alter_table("session_staff", schema=None) as batch_op:
        batch_op.create_index("idx_session_staff_staff", ["staff_id"], unique=False)

    op.create_table(
        "attendances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "present",
                "absent",
                "late",
                "excused",
                "makeup",
                name="attendance_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("check_in_time", types.Instant(timezone=True), nullable=True),
        sa.Column("check_out_time", types.Instant(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "enrolment_id"],
            ["enrolments.organisation_id", "enrolments.id"],
            name="fk_attendances_enrolment_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "recorded_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_attendances_recorded_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "session_id"],
            ["sessions.organisation_id", "sessions.id"],
            name="fk_attendances_session_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "student_id"],
            ["students.organisation_id", "students.id"],
            name="fk_attendances_student_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_attendances_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendances")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_attendances_tenant_id"),
        sa.UniqueConstraint("session_id", "student_id", name="uq_attendances_mark"),
    )
    with op.batch_alter_table("attendances", schema=None) as batch_op:
        batch_op.create_index("idx_attendance_session", ["session_id"], unique=False)
        batch_op.create_index("idx_attendance_student", ["student_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.String(length=50), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("total_amount", types.Money(precision=10, scale=2), nullable=False),
        sa.Column(
            "gst_amount", types.Money(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "discount_amount",
            types.Money(precision=10, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "amount_paid", types.Money(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column("amount_outstanding", types.Money(precision=10, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "sent",
                "paid",
                "partial",
                "overdue",
                "void",
                name="invoice_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "line_items", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("issue_date <= due_date", name=op.f("ck_invoices_dates")),
        sa.CheckConstraint(
            "total_amount >= 0 AND gst_amount >= 0 AND discount_amount >= 0 AND amount_paid >= 0 AND amount_outstanding >= 0",
            name=op.f("ck_invoices_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "enrolment_id"],
            ["enrolments.organisation_id", "enrolments.id"],
            name="fk_invoices_enrolment_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_invoices_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_invoices_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_invoices_tenant_id"),
        sa.UniqueConstraint("organisation_id", "invoice_number", name="uq_invoices_number"),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index("idx_invoice_family", ["family_id"], unique=False)
        batch_op.create_index("idx_invoice_status", ["status"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("payment_date", types.Instant(timezone=True), nullable=False),
        sa.Column("amount", types.Money(precision=10, scale=2), nullable=False),
        sa.Column(
            "payment_method",
            sa.Enum(
                "credit_card",
                "bank_transfer",
                "cash",
                "cheque",
                name="payment_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("stripe_payment_intent_id", sa.String(length=100), nullable=True),
        sa.Column("reference_number", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by_staff_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", types.Instant(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "family_id"],
            ["families.organisation_id", "families.id"],
            name="fk_payments_family_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "invoice_id"],
            ["invoices.organisation_id", "invoices.id"],
            name="fk_payments_invoice_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "recorded_by_staff_id"],
            ["staff.organisation_id", "staff.id"],
            name="fk_payments_recorded_by_staff_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_payments_organisation_id",
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_payments_tenant_id"),
        sa.UniqueConstraint("stripe_payment_intent_id", name="uq_payments_payment_intent"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("idx_payment_family", ["family_id"], unique=False)
        batch_op.create_index("idx_payment_invoice", ["invoice_id"], unique=False)

    _row_level_security(kwargs.get("app_role") or "rocket_app")


def downgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("idx_payment_invoice")
        batch_op.drop_index("idx_payment_family")

    op.drop_table("payments")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("idx_invoice_status")
        batch_op.drop_index("idx_invoice_family")

    op.drop_table("invoices")
    with op.batch_alter_table("attendances", schema=None) as batch_op:
        batch_op.drop_index("idx_attendance_student")
        batch_op.drop_index("idx_attendance_session")

    op.drop_table("attendances")
    with op.batch_alter_table("session_staff", schema=None) as batch_op:
        batch_op.drop_index("idx_session_staff_staff")

    op.drop_table("session_staff")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_enrolments_live",
            sqlite_where=sa.text("status NOT IN ('completed', 'dropped', 'transferred')"),
            postgresql_where=sa.text("status NOT IN ('completed', 'dropped', 'transferred')"),
        )
        batch_op.drop_index("idx_enrolment_student")
        batch_op.drop_index("idx_enrolment_status")
        batch_op.drop_index("idx_enrolment_cohort")

    op.drop_table("enrolments")
    with op.batch_alter_table("skill_progress_changes", schema=None) as batch_op:
        batch_op.drop_index("idx_skillprogresschange_progress")

    op.drop_table("skill_progress_changes")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("idx_session_date")
        batch_op.drop_index("idx_session_cohort")

    op.drop_table("sessions")
    with op.batch_alter_table("project_submissions", schema=None) as batch_op:
        batch_op.drop_index("idx_project_student")
        batch_op.drop_index("idx_project_cohort")

    op.drop_table("project_submissions")
    with op.batch_alter_table("cohort_staff", schema=None) as batch_op:
        batch_op.drop_index("idx_cohort_staff_staff")

    op.drop_table("cohort_staff")
    with op.batch_alter_table("skill_progress", schema=None) as batch_op:
        batch_op.drop_index("idx_skillprogress_student")

    op.drop_table("skill_progress")
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_index("idx_cohort_program")
        batch_op.drop_index("idx_cohort_dates")
        batch_op.drop_index("idx_cohort_campus")

    op.drop_table("cohorts")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("idx_student_family")

    op.drop_table("students")
    with op.batch_alter_table("skill_nodes", schema=None) as batch_op:
        batch_op.drop_index("idx_skillnode_tree")
        batch_op.drop_index("idx_skillnode_parent")

    op.drop_table("skill_nodes")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index("idx_program_org")

    op.drop_table("programs")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("idx_notification_status")

    op.drop_table("notifications")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("idx_message_thread")
        batch_op.drop_index("idx_message_recipient_staff")
        batch_op.drop_index("idx_message_recipient_family")

    op.drop_table("messages")
    with op.batch_alter_table("campus_staff", schema=None) as batch_op:
        batch_op.drop_index("idx_campus_staff_staff")

    op.drop_table("campus_staff")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("idx_audit_org_time")
        batch_op.drop_index("idx_audit_entity")

    op.drop_table("audit_log")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index("idx_staff_org")
        batch_op.drop_index("idx_staff_email")

    op.drop_table("staff")
    op.drop_table("skill_trees")
    op.drop_table("invoice_number_counters")
    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.drop_index("idx_family_org")
        batch_op.drop_index("idx_family_email")

    op.drop_table("families")
    with op.batch_alter_table("campuses", schema=None) as batch_op:
        batch_op.drop_index("idx_campus_org")

    op.drop_table("campuses")
    op.drop_table("organisations")


def _row_level_security(role: str) -> None:
    """Postgres: the application role, its grants, and one policy per table that lets a
    transaction see and write only the rows of the organisation it set in
    ``rocket.organisation_id``. FORCE applies the policies to the tables' owner too."""
    rls.create_app_role(role)
    rls.protect("organisations", role, column="id")
    for table in TENANT_TABLES:
        rls.protect(table, role)
