"""Indexes for a session's roll: the trial visitors booked into a session and the makeup
tokens spent on it (without them every roll and marking read every enrolment).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 17:21:20.819186
"""

from __future__ import annotations

from typing import Any

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index("idx_enrolment_trial_session", ["trial_session_id"], unique=False)

    with op.batch_alter_table("makeup_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "idx_makeup_token_redeemed_session", ["redeemed_session_id"], unique=False
        )


def downgrade(**kwargs: Any) -> None:
    with op.batch_alter_table("makeup_tokens", schema=None) as batch_op:
        batch_op.drop_index("idx_makeup_token_redeemed_session")

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("idx_enrolment_trial_session")
