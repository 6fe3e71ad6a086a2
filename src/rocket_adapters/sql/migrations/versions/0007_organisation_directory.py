"""The organisation directory's policy on organisations (Postgres: every organisation's row,
read only, in a transaction that sets rocket.list_organisations = 'on'). No table changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

from rocket_adapters.sql.migrations import rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade(**kwargs: Any) -> None:
    rls.allow_organisation_listing(kwargs.get("app_role") or "rocket_app")


def downgrade(**kwargs: Any) -> None:
    rls.drop_organisation_listing()
