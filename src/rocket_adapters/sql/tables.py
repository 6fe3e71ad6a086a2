"""The schema: one table per entity of the data model, SQLite and Postgres alike.

Follows ../shared/spec/data-model.md section 5 (columns, CHECKs, UNIQUEs, foreign keys and the
``idx_*`` indexes), with the choices of docs/architecture.md ("SQL schema"):

- every tenant-scoped table has ``organisation_id`` and ``UNIQUE (organisation_id, id)``; a
  reference to another tenant-scoped row is a composite foreign key on
  ``(organisation_id, <ref>_id)``, so a row can never point into another organisation;
- foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at commit, whatever order the unit of
  work inserts rows in;
- aggregates that staff edit carry ``version`` (optimistic concurrency).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from rocket_adapters.sql.types import Instant, Money, Structured, enum_column
from rocket_core import model as m
from rocket_core.enrolment_machine import TERMINAL_STATES, EnrolmentStatus

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)

#: Tables whose rows belong to one organisation (row-level security applies to these and to
#: ``organisations`` itself, by id).
TENANT_TABLES: list[str] = []


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid, primary_key=True)


def _created() -> sa.Column[Any]:
    return sa.Column("created_at", Instant, nullable=False)


def _version() -> sa.Column[Any]:
    return sa.Column("version", sa.Integer, nullable=False, server_default="1")


def _text(name: str, length: int | None = None, *, nullable: bool = True) -> sa.Column[Any]:
    kind: sa.types.TypeEngine[Any] = sa.Text() if length is None else sa.String(length)
    return sa.Column(name, kind, nullable=nullable)


def _ref(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Uuid, nullable=nullable)


def _refers(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """``(organisation_id, column)`` refers to a row of ``target`` in the same organisation."""
    return sa.ForeignKeyConstraint(
        ["organisation_id", column],
        [f"{target}.organisation_id", f"{target}.id"],
        name=f"fk_{table}_{column}",
        deferrable=True,
        initially="DEFERRED",
    )


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=name)


def _tenant_table(name: str, *items: Any, refs: dict[str, str] | None = None) -> sa.Table:
    """A table of one organisation's rows: id, organisation_id, the given columns and checks,
    and a composite foreign key for each ``refs`` column -> target table."""
    TENANT_TABLES.append(name)
    constraints = [_refers(name, column, target) for column, target in (refs or {}).items()]
    return sa.Table(
        name,
        metadata,
        _id(),
        sa.Column(
            "organisation_id",
            sa.Uuid,
            sa.ForeignKey(
                "organisations.id",
                name=f"fk_{name}_organisation_id",
                deferrable=True,
                initially="DEFERRED",
            ),
            nullable=False,
        ),
        *items,
        sa.UniqueConstraint("organisation_id", "id", name=f"uq_{name}_tenant_id"),
        *constraints,
    )


_NON_NEGATIVE = "{0} IS NULL OR {0} >= 0"

organisations = sa.Table(
    "organisations",
    metadata,
    _id(),
    _text("name", 200, nullable=False),
    _text("logo_url", 500),
    _text("primary_color", 7),
    _text("billing_email", 255),
    _text("abn", 20),
    sa.Column("settings", Structured(m.OrganisationSettings), nullable=False),
    _created(),
    _version(),
)

campuses = _tenant_table(
    "campuses",
    _text("name", 200, nullable=False),
    _text("address"),
    _text("suburb", 100),
    _text("state", 3),
    _text("postcode", 4),
    sa.Column("timezone", sa.String(50), nullable=False, server_default="Australia/Melbourne"),
    _text("contact_email", 255),
    _text("contact_phone", 20),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("closure_dates", Structured(tuple[m.ClosureDate, ...]), nullable=False),
    _created(),
    _version(),
    sa.Index("idx_campus_org", "organisation_id"),
)

staff = _tenant_table(
    "staff",
    _text("email", 255, nullable=False),
    _text("password_hash", 255, nullable=False),
    _text("first_name", 100, nullable=False),
    _text("last_name", 100, nullable=False),
    _text("phone", 20),
    sa.Column("role", enum_column(m.StaffRole, "staff_role"), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("hired_date", sa.Date),
    sa.Column("qualifications", Structured(tuple[m.Qualification, ...]), nullable=False),
    _created(),
    _version(),
    sa.UniqueConstraint("email", name="uq_staff_email"),
    sa.Index("idx_staff_org", "organisation_id"),
    sa.Index("idx_staff_email", "email"),
)

campus_staff = _tenant_table(
    "campus_staff",
    _ref("campus_id"),
    _ref("staff_id"),
    sa.Column("assigned_at", Instant, nullable=False),
    sa.UniqueConstraint("campus_id", "staff_id", name="uq_campus_staff_assignment"),
    sa.Index("idx_campus_staff_staff", "staff_id"),
    refs={"campus_id": "campuses", "staff_id": "staff"},
)

skill_trees = _tenant_table(
    "skill_trees",
    _text("name", 200, nullable=False),
    _text("description"),
    _created(),
    _version(),
)

programs = _tenant_table(
    "programs",
    _text("name", 200, nullable=False),
    _text("description"),
    sa.Column("age_min", sa.Integer),
    sa.Column("age_max", sa.Integer),
    sa.Column("skill_level", enum_column(m.SkillLevel, "skill_level")),
    sa.Column("duration_weeks", sa.Integer),
    sa.Column("session_duration_minutes", sa.Integer),
    sa.Column("default_price", Money()),
    _ref("skill_tree_id", nullable=True),
    sa.Column("rubric", Structured(m.Rubric)),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    _version(),
    _check("programs", "ages", "age_min IS NULL OR age_max IS NULL OR age_min <= age_max"),
    _check("programs", "default_price", _NON_NEGATIVE.format("default_price")),
    sa.Index("idx_program_org", "organisation_id"),
    refs={"skill_tree_id": "skill_trees"},
)

cohorts = _tenant_table(
    "cohorts",
    _ref("program_id"),
    _ref("campus_id"),
    _text("name", 200, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("max_capacity", sa.Integer, nullable=False),
    sa.Column("current_enrolments", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", enum_column(m.CohortStatus, "cohort_status"), nullable=False),
    sa.Column("tuition_price", Money()),
    _text("room", 100),
    sa.Column("rubric", Structured(m.Rubric)),
    _text("attention", 200),
    _created(),
    _version(),
    _check("cohorts", "dates", "start_date <= end_date"),
    _check("cohorts", "capacity", "max_capacity > 0"),
    _check("cohorts", "seats", "current_enrolments >= 0 AND current_enrolments <= max_capacity"),
    _check("cohorts", "tuition_price", _NON_NEGATIVE.format("tuition_price")),
    sa.Index("idx_cohort_program", "program_id"),
    sa.Index("idx_cohort_campus", "campus_id"),
    sa.Index("idx_cohort_dates", "start_date", "end_date"),
    refs={"program_id": "programs", "campus_id": "campuses"},
)

cohort_staff = _tenant_table(
    "cohort_staff",
    _ref("cohort_id"),
    _ref("staff_id"),
    sa.Column("role", enum_column(m.CohortStaffRole, "cohort_staff_role"), nullable=False),
    sa.Column("assigned_at", Instant, nullable=False),
    sa.UniqueConstraint("cohort_id", "staff_id", name="uq_cohort_staff_assignment"),
    sa.Index("idx_cohort_staff_staff", "staff_id"),
    refs={"cohort_id": "cohorts", "staff_id": "staff"},
)

sessions = _tenant_table(
    "sessions",
    _ref("cohort_id"),
    sa.Column("session_number", sa.Integer, nullable=False),
    sa.Column("scheduled_date", sa.Date, nullable=False),
    sa.Column("scheduled_start_time", sa.Time, nullable=False),
    sa.Column("scheduled_end_time", sa.Time, nullable=False),
    sa.Column("actual_start_time", sa.Time),
    sa.Column("actual_end_time", sa.Time),
    sa.Column("status", enum_column(m.SessionStatus, "session_status"), nullable=False),
    _text("cancellation_reason"),
    _text("location_notes", 200),
    _ref("lead_instructor_id", nullable=True),
    _text("notes"),
    _created(),
    _version(),
    _check("sessions", "times", "scheduled_start_time < scheduled_end_time"),
    _check("sessions", "number", "session_number >= 1"),
    sa.UniqueConstraint("cohort_id", "session_number", name="uq_sessions_number"),
    sa.Index("idx_session_cohort", "cohort_id"),
    sa.Index("idx_session_date", "scheduled_date"),
    refs={"cohort_id": "cohorts", "lead_instructor_id": "staff"},
)

session_staff = _tenant_table(
    "session_staff",
    _ref("session_id"),
    _ref("staff_id"),
    sa.Column("assigned_at", Instant, nullable=False),
    sa.UniqueConstraint("session_id", "staff_id", name="uq_session_staff_assignment"),
    sa.Index("idx_session_staff_staff", "staff_id"),
    refs={"session_id": "sessions", "staff_id": "staff"},
)

families = _tenant_table(
    "families",
    _text("family_name", 200),
    _text("primary_contact_name", 200, nullable=False),
    _text("primary_contact_email", 255, nullable=False),
    _text("primary_contact_phone", 20),
    _text("secondary_contact_name", 200),
    _text("secondary_contact_email", 255),
    _text("secondary_contact_phone", 20),
    _text("street_address"),
    _text("suburb", 100),
    _text("state", 3),
    _text("postcode", 4),
    _text("emergency_contact_name", 200),
    _text("emergency_contact_phone", 20),
    sa.Column("account_balance", Money(), nullable=False, server_default="0"),
    _text("stripe_customer_id", 100),
    sa.Column(
        "notification_opt_outs",
        Structured(frozenset[m.NotificationKind]),
        nullable=False,
        server_default="[]",
    ),
    sa.Column("undeliverable_at", Instant),
    _text("undeliverable_reason", 500),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    _version(),
    sa.UniqueConstraint("organisation_id", "primary_contact_email", name="uq_families_email"),
    sa.Index("idx_family_org", "organisation_id"),
    sa.Index("idx_family_email", "primary_contact_email"),
)

students = _tenant_table(
    "students",
    _ref("family_id"),
    _text("first_name", 100, nullable=False),
    _text("last_name", 100, nullable=False),
    sa.Column("date_of_birth", sa.Date, nullable=False),
    sa.Column("gender", enum_column(m.Gender, "gender")),
    _text("medical_info"),
    _text("dietary_restrictions"),
    sa.Column("allow_photo", sa.Boolean, nullable=False, server_default=sa.false()),
    _text("photo_url", 500),
    _text("preferred_name", 100),
    _text("pronouns", 50),
    _text("student_login_email", 255),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    _version(),
    sa.UniqueConstraint("student_login_email", name="uq_students_login_email"),
    sa.Index("idx_student_family", "family_id"),
    refs={"family_id": "families"},
)

_TERMINAL = ", ".join(f"'{s.value}'" for s in sorted(TERMINAL_STATES))

enrolments = _tenant_table(
    "enrolments",
    _ref("student_id"),
    _ref("cohort_id"),
    sa.Column("status", enum_column(EnrolmentStatus, "enrolment_status"), nullable=False),
    sa.Column("enrolment_date", Instant, nullable=False),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("tuition_override", Money()),
    sa.Column("discount_applied", Money(), nullable=False, server_default="0"),
    sa.Column("is_trial", sa.Boolean, nullable=False, server_default=sa.false()),
    _ref("trial_session_id", nullable=True),
    sa.Column("withdrawal_date", sa.Date),
    _text("withdrawal_reason"),
    sa.Column("makeup_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_waitlist", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("waitlist_position", sa.Integer),
    _ref("transferred_to_id", nullable=True),
    sa.Column("offer_expires_at", Instant),
    _created(),
    _version(),
    _check("enrolments", "tokens", "makeup_tokens >= 0"),
    _check(
        "enrolments",
        "money",
        "discount_applied >= 0 AND " + _NON_NEGATIVE.format("tuition_override"),
    ),
    _check(
        "enrolments", "waitlist_position", "waitlist_position IS NULL OR waitlist_position >= 1"
    ),
    # The data model's UNIQUE (student_id, cohort_id), for live enrolments only: a student who
    # dropped out may enrol in the same cohort again.
    sa.Index(
        "uq_enrolments_live",
        "student_id",
        "cohort_id",
        unique=True,
        sqlite_where=sa.text(f"status NOT IN ({_TERMINAL})"),
        postgresql_where=sa.text(f"status NOT IN ({_TERMINAL})"),
    ),
    sa.Index("idx_enrolment_student", "student_id"),
    sa.Index("idx_enrolment_cohort", "cohort_id"),
    sa.Index("idx_enrolment_status", "status"),
    sa.Index("idx_enrolment_offer", "status", "offer_expires_at"),
    sa.Index("idx_enrolment_cohort_status", "cohort_id", "status"),
    sa.Index("idx_enrolment_trial_session", "trial_session_id"),
    refs={
        "student_id": "students",
        "cohort_id": "cohorts",
        "trial_session_id": "sessions",
        "transferred_to_id": "enrolments",
    },
)

makeup_tokens = _tenant_table(
    "makeup_tokens",
    _ref("student_id"),
    _ref("enrolment_id"),
    _ref("program_id"),
    _text("reason", 200, nullable=False),
    _ref("source_session_id", nullable=True),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("expires_on", sa.Date, nullable=False),
    sa.Column("status", enum_column(m.MakeupTokenStatus, "makeup_token_status"), nullable=False),
    _ref("redeemed_session_id", nullable=True),
    sa.Column("redeemed_at", Instant),
    _created(),
    _version(),
    _check("makeup_tokens", "dates", "issued_on <= expires_on"),
    sa.Index("idx_makeup_token_student", "student_id", "status"),
    sa.Index("idx_makeup_token_enrolment", "enrolment_id"),
    sa.Index("idx_makeup_token_expiry", "status", "expires_on"),
    sa.Index("idx_makeup_token_redeemed_session", "redeemed_session_id"),
    refs={
        "student_id": "students",
        "enrolment_id": "enrolments",
        "program_id": "programs",
        "source_session_id": "sessions",
        "redeemed_session_id": "sessions",
    },
)

attendances = _tenant_table(
    "attendances",
    _ref("session_id"),
    _ref("student_id"),
    _ref("enrolment_id"),
    sa.Column("status", enum_column(m.AttendanceStatus, "attendance_status"), nullable=False),
    sa.Column("check_in_time", Instant),
    sa.Column("check_out_time", Instant),
    _text("notes"),
    _ref("recorded_by_staff_id", nullable=True),
    sa.Column("recorded_at", Instant, nullable=False),
    _version(),
    sa.UniqueConstraint("session_id", "student_id", name="uq_attendances_mark"),
    sa.Index("idx_attendance_session", "session_id"),
    sa.Index("idx_attendance_student", "student_id"),
    refs={
        "session_id": "sessions",
        "student_id": "students",
        "enrolment_id": "enrolments",
        "recorded_by_staff_id": "staff",
    },
)

skill_nodes = _tenant_table(
    "skill_nodes",
    _ref("skill_tree_id"),
    _ref("parent_node_id", nullable=True),
    _text("name", 200, nullable=False),
    _text("description"),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("order_num", sa.Integer, nullable=False),
    _text("badge_icon_url", 500),
    sa.Column("retired_at", Instant),
    _created(),
    _version(),
    _check("skill_nodes", "level", "level >= 0"),
    sa.Index("idx_skillnode_tree", "skill_tree_id"),
    sa.Index("idx_skillnode_parent", "parent_node_id"),
    refs={"skill_tree_id": "skill_trees", "parent_node_id": "skill_nodes"},
)

skill_progress = _tenant_table(
    "skill_progress",
    _ref("student_id"),
    _ref("skill_node_id"),
    sa.Column("status", enum_column(m.SkillStatus, "skill_status"), nullable=False),
    sa.Column("mastered_at", Instant),
    _ref("updated_by_staff_id", nullable=True),
    _text("notes"),
    sa.Column("notes_visible_to_family", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    _version(),
    sa.UniqueConstraint("student_id", "skill_node_id", name="uq_skill_progress_student_node"),
    sa.Index("idx_skillprogress_student", "student_id"),
    refs={
        "student_id": "students",
        "skill_node_id": "skill_nodes",
        "updated_by_staff_id": "staff",
    },
)

skill_progress_changes = _tenant_table(
    "skill_progress_changes",
    _ref("skill_progress_id"),
    sa.Column("from_status", enum_column(m.SkillStatus, "from_status"), nullable=False),
    sa.Column("to_status", enum_column(m.SkillStatus, "to_status"), nullable=False),
    _ref("changed_by_staff_id", nullable=True),
    sa.Column("changed_at", Instant, nullable=False),
    sa.Index("idx_skillprogresschange_progress", "skill_progress_id"),
    refs={"skill_progress_id": "skill_progress", "changed_by_staff_id": "staff"},
)

project_submissions = _tenant_table(
    "project_submissions",
    _ref("student_id"),
    _ref("cohort_id"),
    _text("title", 200, nullable=False),
    _text("description"),
    _text("project_url", 500),
    sa.Column("submitted_at", Instant, nullable=False),
    _ref("graded_by_staff_id", nullable=True),
    sa.Column("score", Money(5, 2)),
    sa.Column("rubric_scores", Structured(dict[str, Decimal])),
    _text("feedback"),
    sa.Column("graded_at", Instant),
    _version(),
    _check("project_submissions", "score", _NON_NEGATIVE.format("score")),
    sa.Index("idx_project_student", "student_id"),
    sa.Index("idx_project_cohort", "cohort_id"),
    refs={"student_id": "students", "cohort_id": "cohorts", "graded_by_staff_id": "staff"},
)

invoices = _tenant_table(
    "invoices",
    _text("invoice_number", 50, nullable=False),
    _ref("family_id"),
    _ref("enrolment_id", nullable=True),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("total_amount", Money(), nullable=False),
    sa.Column("gst_amount", Money(), nullable=False, server_default="0"),
    sa.Column("discount_amount", Money(), nullable=False, server_default="0"),
    sa.Column("amount_paid", Money(), nullable=False, server_default="0"),
    sa.Column("amount_credited", Money(), nullable=False, server_default="0"),
    sa.Column("amount_outstanding", Money(), nullable=False),
    sa.Column("status", enum_column(m.InvoiceStatus, "invoice_status"), nullable=False),
    sa.Column("line_items", Structured(tuple[m.LineItem, ...]), nullable=False),
    _text("notes"),
    _created(),
    _version(),
    _check(
        "invoices",
        "amounts",
        "total_amount >= 0 AND gst_amount >= 0 AND discount_amount >= 0"
        " AND amount_paid >= 0 AND amount_outstanding >= 0",
    ),
    _check("invoices", "dates", "issue_date <= due_date"),
    # The data model has invoice_number UNIQUE; numbers restart per organisation, so the pair is.
    sa.UniqueConstraint("organisation_id", "invoice_number", name="uq_invoices_number"),
    sa.Index("idx_invoice_family", "family_id"),
    sa.Index("idx_invoice_status", "status"),
    refs={"family_id": "families", "enrolment_id": "enrolments"},
)

payments = _tenant_table(
    "payments",
    _ref("family_id"),
    _ref("invoice_id", nullable=True),
    sa.Column("payment_date", Instant, nullable=False),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("payment_method", enum_column(m.PaymentMethod, "payment_method"), nullable=False),
    _text("stripe_payment_intent_id", 100),
    _text("reference_number", 100),
    _text("notes"),
    _ref("recorded_by_staff_id", nullable=True),
    _created(),
    _check("payments", "amount", "amount > 0"),
    sa.UniqueConstraint("stripe_payment_intent_id", name="uq_payments_payment_intent"),
    sa.Index("idx_payment_family", "family_id"),
    sa.Index("idx_payment_invoice", "invoice_id"),
    refs={"family_id": "families", "invoice_id": "invoices", "recorded_by_staff_id": "staff"},
)

payment_allocations = _tenant_table(
    "payment_allocations",
    _ref("payment_id"),
    _ref("invoice_id"),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("allocated_at", Instant, nullable=False),
    _check("payment_allocations", "amount", "amount > 0"),
    sa.Index("idx_allocation_payment", "payment_id"),
    sa.Index("idx_allocation_invoice", "invoice_id"),
    refs={"payment_id": "payments", "invoice_id": "invoices"},
)

refunds = _tenant_table(
    "refunds",
    _ref("payment_id"),
    _ref("family_id"),
    sa.Column("amount", Money(), nullable=False),
    _text("reason", 500, nullable=False),
    sa.Column("status", enum_column(m.RefundStatus, "refund_status"), nullable=False),
    _text("stripe_refund_id", 100),
    sa.Column("refunded_at", Instant, nullable=False),
    _ref("recorded_by_staff_id", nullable=True),
    _ref("approved_by_staff_id", nullable=True),
    _version(),
    _check("refunds", "amount", "amount > 0"),
    sa.UniqueConstraint("stripe_refund_id", name="uq_refunds_stripe_refund"),
    sa.Index("idx_refund_payment", "payment_id"),
    sa.Index("idx_refund_family", "family_id"),
    refs={
        "payment_id": "payments",
        "family_id": "families",
        "recorded_by_staff_id": "staff",
        "approved_by_staff_id": "staff",
    },
)

credit_notes = _tenant_table(
    "credit_notes",
    _text("credit_note_number", 50, nullable=False),
    _ref("family_id"),
    _ref("invoice_id"),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("total_amount", Money(), nullable=False),
    sa.Column("gst_amount", Money(), nullable=False, server_default="0"),
    sa.Column("line_items", Structured(tuple[m.LineItem, ...]), nullable=False),
    _text("reason", 500, nullable=False),
    _ref("created_by_staff_id", nullable=True),
    _created(),
    _check("credit_notes", "amounts", "total_amount > 0 AND gst_amount >= 0"),
    sa.UniqueConstraint("organisation_id", "credit_note_number", name="uq_credit_notes_number"),
    sa.Index("idx_credit_note_invoice", "invoice_id"),
    sa.Index("idx_credit_note_family", "family_id"),
    refs={"family_id": "families", "invoice_id": "invoices", "created_by_staff_id": "staff"},
)

webhook_events = _tenant_table(
    "webhook_events",
    _text("provider", 20, nullable=False),
    _text("provider_event_id", 100, nullable=False),
    _text("event_type", 100, nullable=False),
    sa.Column("received_at", Instant, nullable=False),
    sa.UniqueConstraint("provider", "provider_event_id", name="uq_webhook_events_event"),
)

messages = _tenant_table(
    "messages",
    sa.Column("sender_type", enum_column(m.ParticipantType, "sender_type"), nullable=False),
    _ref("sender_staff_id", nullable=True),
    _ref("sender_family_id", nullable=True),
    sa.Column("recipient_type", enum_column(m.ParticipantType, "recipient_type"), nullable=False),
    _ref("recipient_staff_id", nullable=True),
    _ref("recipient_family_id", nullable=True),
    sa.Column("thread_id", sa.Uuid, nullable=False),
    _text("subject", 200, nullable=False),
    _text("body", nullable=False),
    sa.Column("is_read", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("read_at", Instant),
    sa.Column("sent_at", Instant, nullable=False),
    _version(),
    sa.Index("idx_message_thread", "thread_id", "sent_at"),
    sa.Index("idx_message_recipient_family", "recipient_family_id"),
    sa.Index("idx_message_recipient_staff", "recipient_staff_id"),
    refs={
        "sender_staff_id": "staff",
        "sender_family_id": "families",
        "recipient_staff_id": "staff",
        "recipient_family_id": "families",
    },
)

notifications = _tenant_table(
    "notifications",
    _ref("recipient_family_id", nullable=True),
    _ref("recipient_staff_id", nullable=True),
    sa.Column("type", enum_column(m.NotificationChannel, "notification_type"), nullable=False),
    _text("template_name", 100, nullable=False),
    _text("subject", 200, nullable=False),
    _text("body", nullable=False),
    _text("html_body"),
    sa.Column("status", enum_column(m.NotificationStatus, "notification_status"), nullable=False),
    sa.Column("due_at", Instant, nullable=False),
    _text("dedupe_key", 200),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    _text("last_error", 500),
    sa.Column("claimed_until", Instant),
    _text("sent_to", 255),
    sa.Column("sent_at", Instant),
    _created(),
    _version(),
    _check(
        "notifications",
        "recipient",
        "recipient_family_id IS NOT NULL OR recipient_staff_id IS NOT NULL",
    ),
    _check("notifications", "attempts", "attempts >= 0"),
    sa.UniqueConstraint("organisation_id", "dedupe_key", name="uq_notifications_dedupe_key"),
    sa.Index("idx_notification_due", "status", "due_at"),
    sa.Index("idx_notification_family", "recipient_family_id", "created_at"),
    refs={"recipient_family_id": "families", "recipient_staff_id": "staff"},
)

audit_log = _tenant_table(
    "audit_log",
    _ref("actor_staff_id", nullable=True),
    _text("action", 100, nullable=False),
    _text("entity_type", 50, nullable=False),
    sa.Column("entity_id", sa.Uuid),
    _text("summary", 500, nullable=False),
    sa.Column("changes", Structured(dict[str, Any]), nullable=False),
    sa.Column("occurred_at", Instant, nullable=False),
    sa.Index("idx_audit_entity", "entity_id", "occurred_at"),
    sa.Index("idx_audit_org_time", "organisation_id", "occurred_at"),
    refs={"actor_staff_id": "staff"},
)


staff_sessions = _tenant_table(
    "staff_sessions",
    _ref("staff_id"),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("csrf_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Column("expires_at", Instant, nullable=False),
    sa.Column("revoked_at", Instant),
    _text("address", 64),
    _text("user_agent", 200),
    _version(),
    _check("staff_sessions", "expiry", "created_at < expires_at"),
    sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    sa.Index("idx_staff_session_staff", "staff_id", "expires_at"),
    refs={"staff_id": "staff"},
)


def _counter_table(name: str) -> sa.Table:
    """The last number of a document sequence handed out, per organisation and year."""
    TENANT_TABLES.append(name)
    return sa.Table(
        name,
        metadata,
        sa.Column(
            "organisation_id",
            sa.Uuid,
            sa.ForeignKey(
                "organisations.id",
                name=f"fk_{name}_organisation_id",
                deferrable=True,
                initially="DEFERRED",
            ),
            primary_key=True,
        ),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
        sa.CheckConstraint("last_number BETWEEN 1 AND 999999", name="last_number"),
    )


#: Invoice numbers: INV-<year>-<6 digits>.
invoice_number_counters = _counter_table("invoice_number_counters")
#: Credit note numbers: CN-<year>-<6 digits>.
credit_note_number_counters = _counter_table("credit_note_number_counters")
