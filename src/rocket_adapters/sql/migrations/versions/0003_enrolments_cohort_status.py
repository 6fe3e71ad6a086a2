"""An index on enrolments (cohort_id, status): seat counts and the nightly job's batches.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:30:07.769254
"""

from __future__ import annotations

from typing import Any

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index("idx_enrolment_cohort_status", ["cohort_id", "status"], unique=False)


def downgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("idx_enrolment_cohort_status")
