"""Access context: staff members' login sessions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import attrs

from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now
from rocket_core.model.organisation import StaffRole


def _digest(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
        raise c.fail(instance, attribute, "must be a SHA-256 hex digest")


@attrs.define(slots=False, eq=False, kw_only=True)
class StaffSession(Entity):
    """A staff member's login: the token itself is never stored, only its SHA-256 digest
    (and the digest of the CSRF token that cookie-authenticated writes must echo).

    A session lasts until ``expires_at`` or until it is revoked (logout, deactivation).
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    staff_id: UUID = attrs.field(validator=c.of_type(UUID))
    token_hash: str = attrs.field(validator=_digest)
    csrf_hash: str = attrs.field(validator=_digest)
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    expires_at: datetime = attrs.field(validator=c.aware)
    revoked_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    address: str | None = attrs.field(default=None, validator=c.optional(c.text(64)))
    user_agent: str | None = attrs.field(default=None, validator=c.optional(c.text(200)))
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            self.created_at < self.expires_at, "StaffSession.expires_at", "must be after created_at"
        )

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at

    def revoke(self, at: datetime) -> None:
        """End the session (logout); a no-op when it already ended."""
        c.aware(self, attrs.fields(StaffSession).revoked_at, at)
        if self.revoked_at is None:
            self.revoked_at = at


@attrs.frozen(slots=True, kw_only=True)
class SignedIn:
    """A login session with what a request needs of its staff member: the value
    ``StaffSessionRepository.find_signed_in`` reads on every authenticated request (not
    tracked entities: nothing of it is changed there)."""

    session_id: UUID
    organisation_id: UUID
    expires_at: datetime
    revoked_at: datetime | None
    csrf_hash: str
    staff_id: UUID
    role: StaffRole
    first_name: str
    last_name: str
    is_active: bool
    campus_ids: frozenset[UUID] = frozenset()
    cohort_ids: frozenset[UUID] = frozenset()
    session_ids: frozenset[UUID] = frozenset()

    def is_live(self, now: datetime) -> bool:
        """As ``StaffSession.is_live``: not revoked and not expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at

    @property
    def full_name(self) -> str:
        """The staff member's first and last name."""
        return f"{self.first_name} {self.last_name}"
