"""Domain events: facts that entities record and the unit of work collects.

Handlers (notifications, invoices, audit) subscribe to them in the service layer.
"""

from __future__ import annotations

from uuid import UUID

import attrs


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base of every domain event."""

    organisation_id: UUID


@attrs.frozen(kw_only=True)
class EnrolmentStatusChanged(DomainEvent):
    """An enrolment moved from one status to another by a named trigger."""

    enrolment_id: UUID
    student_id: UUID
    cohort_id: UUID
    trigger: str
    from_status: str
    to_status: str


@attrs.frozen(kw_only=True)
class SessionCancelled(DomainEvent):
    """A session was cancelled; families are told and students get makeup tokens."""

    session_id: UUID
    cohort_id: UUID
    reason: str
