"""Makeup tokens: a student's tokens, issuing one by hand, and booking a makeup visit at a
session of another cohort of the same program (MakeupService decides who may)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import attrs
from litestar import get, post
from litestar.params import Parameter

from rocket_core.model import Attendance, AttendanceStatus, MakeupToken, MakeupTokenStatus
from rocket_core.permissions import Actor
from rocket_core.services.makeup import MakeupService
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page

STAFF = {"access": "staff"}
TAGS = ["makeup"]

#: ``?status=``: only tokens in this status.
TokenStatus = Annotated[MakeupTokenStatus | None, Parameter(description="only this status")]


@attrs.frozen
class MakeupTokenOut:
    """A makeup token: a missed session owed to the student, usable until ``expires_on`` at
    a session of another cohort of ``program_id``."""

    id: UUID
    student_id: UUID
    enrolment_id: UUID
    program_id: UUID
    reason: str
    source_session_id: UUID | None
    issued_on: date
    expires_on: date
    status: MakeupTokenStatus
    redeemed_session_id: UUID | None
    redeemed_at: datetime | None
    created_at: datetime


@attrs.frozen
class IssueIn:
    """A token for a session of the enrolment's cohort that the student missed (or will
    miss), and why."""

    session_id: UUID
    reason: str


@attrs.frozen
class MakeupIn:
    """The student who comes to the session as a makeup, and the token to spend (default:
    the usable one that expires first)."""

    student_id: UUID
    token_id: UUID | None = None


@attrs.frozen
class MakeupMarkOut:
    """The makeup mark the visit made at the session."""

    id: UUID
    session_id: UUID
    student_id: UUID
    enrolment_id: UUID
    status: AttendanceStatus
    notes: str | None
    recorded_by_staff_id: UUID | None
    recorded_at: datetime | None


@attrs.frozen
class MakeupVisitOut:
    """A booked makeup: the token spent and the mark at the session."""

    token: MakeupTokenOut
    attendance: MakeupMarkOut


def _token(token: MakeupToken) -> MakeupTokenOut:
    return MakeupTokenOut(
        **{field.name: getattr(token, field.name) for field in attrs.fields(MakeupTokenOut)}
    )


def _mark(attendance: Attendance) -> MakeupMarkOut:
    return MakeupMarkOut(
        **{field.name: getattr(attendance, field.name) for field in attrs.fields(MakeupMarkOut)}
    )


@get("/students/{student_id:uuid}/makeup-tokens", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_tokens(
    student_id: UUID,
    actor: Actor,
    makeup: MakeupService,
    status: TokenStatus = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MakeupTokenOut]:
    """The student's tokens the reader may see (of their enrolments in the reader's scope),
    soonest expiry first."""
    tokens = makeup.tokens(actor, student_id, status=status)
    return page([_token(token) for token in tokens], limit, offset)


@post("/enrolments/{enrolment_id:uuid}/makeup-tokens", opt=STAFF, sync_to_thread=True, tags=TAGS)
def issue_token(
    enrolment_id: UUID, data: IssueIn, actor: Actor, makeup: MakeupService
) -> MakeupTokenOut:
    """Issue a makeup token by hand for a session of the enrolment's cohort."""
    return _token(makeup.issue(actor, enrolment_id, session_id=data.session_id, reason=data.reason))


@post("/sessions/{session_id:uuid}/makeups", opt=STAFF, sync_to_thread=True, tags=TAGS)
def book_makeup(
    session_id: UUID, data: MakeupIn, actor: Actor, makeup: MakeupService
) -> MakeupVisitOut:
    """Book (or record) a makeup visit: a token is spent and the student is marked
    ``makeup`` at the session."""
    visit = makeup.redeem(actor, data.student_id, session_id, token_id=data.token_id)
    return MakeupVisitOut(token=_token(visit.token), attendance=_mark(visit.attendance))


ROUTES = [list_tokens, issue_token, book_makeup]
