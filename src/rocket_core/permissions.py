"""The staff permission matrix of product-rules.md, and who is asking (the Actor).

Every use case calls ``authorise(actor, action, ...)`` with the campus and cohort its target
belongs to; a role without the grant, or a grant whose scope does not cover the target,
raises Forbidden with a message that says which.

Scopes: ``all`` (the whole organisation), ``campus`` (campuses the actor is assigned to),
``own`` (cohorts, or sessions, the actor is assigned to), ``one family`` (one family's records
at a time, never a list across families), ``approval`` (allowed only with the approval of a
staff member who holds the grant themselves), ``none``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core.errors import Forbidden
from rocket_core.model import StaffRole


class Action(StrEnum):
    """The rows of the permission matrix."""

    MANAGE_ENROLMENTS = "create / approve enrolment"
    WITHDRAW_STUDENT = "withdraw student"
    TRANSFER_STUDENT = "transfer between cohorts"
    VIEW_INVOICES = "view invoices"
    RECORD_PAYMENTS = "record payments"
    REFUND = "refund"
    FINANCIAL_REPORTS = "financial reports"
    MANAGE_COHORTS = "create cohorts, assign instructors"
    CANCEL_SESSIONS = "cancel sessions"
    VIEW_ROSTER = "view roster"
    TAKE_ATTENDANCE = "take attendance"
    EXCUSE_ABSENCES = "excuse absences, issue makeup tokens"
    UPDATE_LEARNING = "update skill progress, grade projects, learning notes"
    VIEW_PROGRESS = "view skill progress"
    MESSAGE_PARENTS = "message parents"
    BULK_ANNOUNCEMENTS = "bulk announcements"
    MANAGE_STAFF = "manage staff accounts"
    SETTINGS = "settings"
    AUDIT_LOG = "audit log"
    DATA_EXPORT = "data export"


class Scope(StrEnum):
    """How far a grant reaches."""

    ALL = "all"
    CAMPUS = "campus"
    OWN = "own"
    ONE_FAMILY = "one family"
    APPROVAL = "approval"
    NONE = "none"


@attrs.frozen
class Grant:
    """One cell of the matrix: a scope, and a condition the use case enforces (if any)."""

    scope: Scope
    condition: str | None = None


_N = Grant(Scope.NONE)
_ALL = Grant(Scope.ALL)
_CAMPUS = Grant(Scope.CAMPUS)
_OWN = Grant(Scope.OWN)
_APPROVAL = Grant(Scope.APPROVAL)

SA, CM, LI, TA, FD = (
    StaffRole.SUPER_ADMIN,
    StaffRole.CAMPUS_MANAGER,
    StaffRole.LEAD_INSTRUCTOR,
    StaffRole.TEACHING_ASSISTANT,
    StaffRole.FRONT_DESK,
)

#: The matrix: action -> role -> grant (product-rules.md, "Staff permissions").
MATRIX: Mapping[Action, Mapping[StaffRole, Grant]] = {
    Action.MANAGE_ENROLMENTS: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _CAMPUS},
    Action.WITHDRAW_STUDENT: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _APPROVAL},
    Action.TRANSFER_STUDENT: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _N},
    Action.VIEW_INVOICES: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: Grant(Scope.ONE_FAMILY)},
    Action.RECORD_PAYMENTS: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _CAMPUS},
    Action.REFUND: {
        SA: _ALL,
        CM: Grant(Scope.CAMPUS, "up to the organisation's refund limit ($500)"),
        LI: _N,
        TA: _N,
        FD: _APPROVAL,
    },
    Action.FINANCIAL_REPORTS: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _N},
    Action.MANAGE_COHORTS: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _N},
    Action.CANCEL_SESSIONS: {
        SA: _ALL,
        CM: _CAMPUS,
        LI: Grant(Scope.OWN, "emergency only"),
        TA: _N,
        FD: _N,
    },
    Action.VIEW_ROSTER: {SA: _ALL, CM: _CAMPUS, LI: _OWN, TA: _OWN, FD: _CAMPUS},
    Action.TAKE_ATTENDANCE: {
        SA: _ALL,
        CM: _CAMPUS,
        LI: _OWN,
        TA: Grant(Scope.OWN, "approved by the cohort's lead instructor"),
        FD: _N,
    },
    Action.EXCUSE_ABSENCES: {SA: _ALL, CM: _CAMPUS, LI: _OWN, TA: _N, FD: _N},
    Action.UPDATE_LEARNING: {SA: _ALL, CM: _CAMPUS, LI: _OWN, TA: _N, FD: _N},
    Action.VIEW_PROGRESS: {SA: _ALL, CM: _CAMPUS, LI: _OWN, TA: _OWN, FD: _N},
    Action.MESSAGE_PARENTS: {SA: _ALL, CM: _CAMPUS, LI: _OWN, TA: _APPROVAL, FD: _ALL},
    Action.BULK_ANNOUNCEMENTS: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _N},
    Action.MANAGE_STAFF: {SA: _ALL, CM: _N, LI: _N, TA: _N, FD: _N},
    Action.SETTINGS: {
        SA: _ALL,
        CM: Grant(Scope.CAMPUS, "campus settings only"),
        LI: _N,
        TA: _N,
        FD: _N,
    },
    Action.AUDIT_LOG: {SA: _ALL, CM: _N, LI: _N, TA: _N, FD: _N},
    Action.DATA_EXPORT: {SA: _ALL, CM: _CAMPUS, LI: _N, TA: _N, FD: _N},
}


@attrs.frozen(kw_only=True)
class Actor:
    """The staff member asking, with what their scopes cover (built by ``load_actor``)."""

    staff_id: UUID
    organisation_id: UUID
    role: StaffRole
    name: str = ""
    campus_ids: frozenset[UUID] = frozenset()
    cohort_ids: frozenset[UUID] = frozenset()
    session_ids: frozenset[UUID] = frozenset()

    def grant(self, action: Action) -> Grant:
        """This actor's cell of the matrix for ``action``."""
        return MATRIX[action][self.role]

    def can(self, action: Action) -> bool:
        """Whether the role has any grant for ``action`` (scope still to be checked)."""
        return self.grant(action).scope is not Scope.NONE


def authorise(
    actor: Actor,
    action: Action,
    *,
    campus_id: UUID | None = None,
    cohort_id: UUID | None = None,
    session_id: UUID | None = None,
    family_id: UUID | None = None,
    approver: Actor | None = None,
) -> Grant:
    """Raise Forbidden unless ``actor`` may do ``action`` to a target at ``campus_id`` /
    in ``cohort_id`` (or ``session_id``) / of ``family_id``; return the grant that allowed
    it (its ``condition`` is for the use case to enforce).

    A target the use case does not describe (e.g. no campus for an organisation-wide list)
    is covered by ``all`` only.
    """
    grant = actor.grant(action)
    role = actor.role.value
    if grant.scope is Scope.ALL:
        return grant
    if grant.scope is Scope.CAMPUS:
        if campus_id is not None and campus_id in actor.campus_ids:
            return grant
        raise Forbidden(f"{role} may {action.value} only at the campuses they are assigned to")
    if grant.scope is Scope.OWN:
        if (cohort_id is not None and cohort_id in actor.cohort_ids) or (
            session_id is not None and session_id in actor.session_ids
        ):
            return grant
        raise Forbidden(f"{role} may {action.value} only for the cohorts they teach")
    if grant.scope is Scope.ONE_FAMILY:
        if family_id is not None:
            return grant
        raise Forbidden(f"{role} may {action.value} for one family at a time")
    if grant.scope is Scope.APPROVAL:
        if approver is None:
            raise Forbidden(f"{role} may {action.value} only with a manager's approval")
        if approver.organisation_id != actor.organisation_id or approver.grant(action).scope in (
            Scope.NONE,
            Scope.APPROVAL,
        ):
            raise Forbidden(f"the approver may not {action.value} themselves")
        authorise(
            approver,
            action,
            campus_id=campus_id,
            cohort_id=cohort_id,
            session_id=session_id,
            family_id=family_id,
        )
        return grant
    raise Forbidden(f"{role} may not {action.value}")


def refund_limit_for(actor: Actor, organisation_limit: Decimal) -> Decimal | None:
    """The most ``actor`` may refund at once (None: no limit)."""
    return organisation_limit if actor.role is StaffRole.CAMPUS_MANAGER else None
