"""Makeup tokens: issued for a cancelled session or an excused absence (other use cases call
``issue_token`` inside their own transaction)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from rocket_core.events import MakeupTokenIssued
from rocket_core.model import Enrolment, MakeupToken
from rocket_core.ports import UnitOfWork


def issue_token(
    uow: UnitOfWork,
    enrolment: Enrolment,
    *,
    program_id: UUID,
    reason: str,
    today: date,
    source_session_id: UUID | None = None,
) -> MakeupToken:
    """Give the enrolment's student one makeup token, valid for the organisation's
    ``makeup_token_expiry_days``; the enrolment's ``makeup_tokens`` counts it."""
    settings = uow.organisations.current().settings
    token = MakeupToken(
        organisation_id=enrolment.organisation_id,
        student_id=enrolment.student_id,
        enrolment_id=enrolment.id,
        program_id=program_id,
        reason=reason,
        source_session_id=source_session_id,
        issued_on=today,
        expires_on=today + timedelta(days=settings.makeup_token_expiry_days),
    )
    uow.makeup_tokens.add(token)
    enrolment.makeup_tokens += 1
    token.record(
        MakeupTokenIssued(
            organisation_id=token.organisation_id,
            token_id=token.id,
            student_id=token.student_id,
            enrolment_id=enrolment.id,
            reason=reason,
        )
    )
    return token
