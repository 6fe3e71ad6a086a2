"""Staff authentication: log in with e-mail and password, session tokens, log out, passwords.

- A session token is ``<organisation id>.<32 random bytes, URL-safe>``: opaque to clients,
  unguessable, and it names its organisation so that it can be checked inside that
  organisation's row-level security. Only its SHA-256 digest is stored; it lasts 24 hours
  (``session_hours``) and logout revokes it. Each session also has a CSRF token that
  cookie-authenticated writes must echo (the HTTP layer checks it with ``check_csrf``).
- A failed login says only "wrong e-mail or password", and takes as long for an unknown
  e-mail as for a wrong password (a dummy hash is checked), so accounts cannot be probed.
- Passwords: at least 12 characters (at most 1,024); hashed by the PasswordHasher port
  (argon2id); an outdated hash is upgraded at the next login.
- ``create_admin`` bootstraps a school: the first super admin (and its organisation when none
  is given) without an actor; it is what ``rocket staff create-admin`` runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from rocket_core.errors import AuthenticationFailed, Conflict, ValidationError
from rocket_core.events import EventBus
from rocket_core.model import Organisation, Staff, StaffRole, StaffSession
from rocket_core.permissions import Action, Actor, authorise
from rocket_core.ports import Clock, LoginDirectory, PasswordHasher, UnitOfWorkFactory
from rocket_core.services.base import Service, load_actor

#: Password length limits (a long pass phrase is welcome; a megabyte is not).
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_WRONG = "wrong e-mail or password"


@attrs.frozen(kw_only=True)
class Login:
    """A new session: give ``token`` to the client (cookie or bearer) and ``csrf_token`` to
    the browser's scripts; neither is stored."""

    token: str = attrs.field(repr=False)
    csrf_token: str = attrs.field(repr=False)
    session_id: UUID
    expires_at: datetime
    actor: Actor


@attrs.frozen(kw_only=True)
class Authenticated:
    """Who a valid session token belongs to."""

    actor: Actor
    session_id: UUID
    expires_at: datetime
    csrf_hash: str = attrs.field(repr=False)


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password_rules(password: object) -> str:
    """The password if it is acceptable, else ValidationError naming ``password``."""
    if not isinstance(password, str):
        raise ValidationError("password", "must be text")
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password", f"must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationError("password", f"must have at most {MAX_PASSWORD} characters")
    return password


class AuthService(Service):
    """Log in, check session tokens, log out, set passwords, create the first admin."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus,
        hasher: PasswordHasher,
        directory: LoginDirectory,
        session_hours: int = 24,
    ) -> None:
        super().__init__(make_uow, clock, bus)
        self.hasher = hasher
        self.directory = directory
        self.session_lifetime = timedelta(hours=session_hours)
        self._dummy_hash: str | None = None

    def login(
        self,
        email: str,
        password: str,
        *,
        address: str | None = None,
        user_agent: str | None = None,
    ) -> Login:
        """Start a session for the active staff member with this e-mail and password;
        AuthenticationFailed otherwise (without saying which was wrong)."""
        if not isinstance(email, str) or not isinstance(password, str):
            raise AuthenticationFailed(_WRONG)
        found = self.directory.find(email) if "@" in email else None
        if found is None:
            self._waste_time(password)
            raise AuthenticationFailed(_WRONG)
        organisation_id, staff_id = found
        with self.system_transaction(organisation_id) as uow:
            staff = uow.staff.get(staff_id)
            if not staff.is_active or not self._verify(staff, password):
                raise AuthenticationFailed(_WRONG)
            if self.hasher.needs_rehash(staff.password_hash):
                staff.password_hash = self.hasher.hash(password)
            now = self.clock.now()
            token = f"{organisation_id}.{secrets.token_urlsafe(32)}"
            csrf_token = secrets.token_urlsafe(32)
            session = StaffSession(
                organisation_id=organisation_id,
                staff_id=staff.id,
                token_hash=digest(token),
                csrf_hash=digest(csrf_token),
                created_at=now,
                expires_at=now + self.session_lifetime,
                address=None if address is None else address[:64],
                user_agent=None if user_agent is None else user_agent[:200],
            )
            uow.staff_sessions.add(session)
            actor = load_actor(uow, staff.id)
            self.audit(uow, actor, "staff.login", staff, f"{staff.full_name} logged in")
        return Login(
            token=token,
            csrf_token=csrf_token,
            session_id=session.id,
            expires_at=session.expires_at,
            actor=actor,
        )

    def authenticate(self, token: str) -> Authenticated:
        """The actor of a live session token; AuthenticationFailed for a malformed, unknown,
        expired or revoked token, or a deactivated staff member."""
        organisation_id = _organisation_of(token)
        # Every request comes through here: one query (the session, the staff member and
        # their assignments), in a transaction that commits (read-only: on Postgres a
        # ROLLBACK would also drop the connection's prepared statements).
        with self.system_transaction(organisation_id) as uow:
            found = uow.staff_sessions.find_signed_in(digest(token))
            if found is None or not found.is_live(self.clock.now()):
                raise AuthenticationFailed("the session has expired or was ended: log in again")
            if not found.is_active:
                raise AuthenticationFailed("the account is deactivated")
        return Authenticated(
            actor=Actor(
                staff_id=found.staff_id,
                organisation_id=found.organisation_id,
                role=found.role,
                name=found.full_name,
                campus_ids=found.campus_ids,
                cohort_ids=found.cohort_ids,
                session_ids=found.session_ids,
            ),
            session_id=found.session_id,
            expires_at=found.expires_at,
            csrf_hash=found.csrf_hash,
        )

    @staticmethod
    def check_csrf(authenticated: Authenticated, csrf_token: str | None) -> bool:
        """Whether ``csrf_token`` is the session's CSRF token (constant-time)."""
        if not csrf_token:
            return False
        return hmac.compare_digest(digest(csrf_token), authenticated.csrf_hash)

    def logout(self, token: str) -> None:
        """End the session of ``token`` (a no-op for an unknown or ended one)."""
        try:
            organisation_id = _organisation_of(token)
        except AuthenticationFailed:
            return
        with self.system_transaction(organisation_id) as uow:
            session = uow.staff_sessions.find_by_token_hash(digest(token))
            if session is None or session.revoked_at is not None:
                return
            session.revoke(self.clock.now())
            staff = uow.staff.get(session.staff_id)
            actor = load_actor(uow, staff.id) if staff.is_active else None
            self.audit(uow, actor, "staff.logout", staff, f"{staff.full_name} logged out")

    def set_password(self, actor: Actor, staff_id: UUID, password: str) -> None:
        """Set a staff member's password: their own, or anyone's for a super admin
        (``Action.MANAGE_STAFF``). Their other sessions end."""
        check_password_rules(password)
        with self.transaction(actor) as uow:
            if staff_id != actor.staff_id:
                authorise(actor, Action.MANAGE_STAFF)
            staff = uow.staff.get(staff_id)
            staff.password_hash = self.hasher.hash(password)
            now = self.clock.now()
            ended = 0
            for session in uow.staff_sessions.list_live_for_staff(staff.id, now):
                session.revoke(now)
                ended += 1
            self.audit(
                uow,
                actor,
                "staff.set_password",
                staff,
                f"Password of {staff.full_name} set; {ended} session(s) ended",
            )

    def create_admin(
        self,
        *,
        email: str,
        first_name: str,
        last_name: str,
        password: str,
        organisation_id: UUID | None = None,
        organisation_name: str | None = None,
    ) -> Staff:
        """The first super admin of an organisation (a new one named ``organisation_name``
        when ``organisation_id`` is None). A login e-mail already in use is a Conflict."""
        check_password_rules(password)
        if self.directory.find(email) is not None:
            raise Conflict(f"a staff member with the e-mail {email.strip().lower()} exists")
        if organisation_id is None:
            if not organisation_name:
                raise ValidationError("organisation_name", "is required for a new organisation")
            organisation = Organisation(name=organisation_name, created_at=self.clock.now())
            organisation_id = organisation.id
        else:
            organisation = None
        with self.system_transaction(organisation_id) as uow:
            if organisation is not None:
                uow.organisations.add(organisation)
            else:
                uow.organisations.current()  # NotFound for an unknown organisation
            staff = Staff(
                organisation_id=organisation_id,
                email=email,
                password_hash=self.hasher.hash(password),
                first_name=first_name,
                last_name=last_name,
                role=StaffRole.SUPER_ADMIN,
                created_at=self.clock.now(),
            )
            uow.staff.add(staff)
            self.audit(
                uow,
                None,
                "staff.create_admin",
                staff,
                f"Super admin {staff.full_name} created ({staff.email})",
                {"email": staff.email},
            )
        return staff

    def _verify(self, staff: Staff, password: str) -> bool:
        if staff.password_hash.startswith("!"):  # no password set yet
            self._waste_time(password)
            return False
        return self.hasher.verify(staff.password_hash, password)

    def _waste_time(self, password: str) -> None:
        # As long as a real check, so an unknown e-mail cannot be told apart by timing.
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self.hasher.verify(self._dummy_hash, password)


def _organisation_of(token: object) -> UUID:
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 200:
        raise AuthenticationFailed("the session token is not valid: log in again")
    head, _ = token.split(".")
    try:
        return UUID(head)
    except ValueError:
        raise AuthenticationFailed("the session token is not valid: log in again") from None
