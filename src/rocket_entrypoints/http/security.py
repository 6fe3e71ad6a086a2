"""Who is asking: session tokens from a cookie (browsers) or a bearer header (scripts),
CSRF for cookie-authenticated writes, login throttling and the security headers.

- ``rocket_session`` cookie: httpOnly, Secure, SameSite=Strict, 24 hours. A write (POST,
  PUT, PATCH, DELETE) authenticated by the cookie must send the session's CSRF token in
  ``X-CSRF-Token`` (given by the login response): a forged cross-site form cannot know it.
  Bearer tokens are not sent by browsers on their own, so they need no CSRF token.
- Login throttling: at most ``LOGIN_LIMIT`` failed logins per account and per client address
  in ``LOGIN_WINDOW``; then 429 with Retry-After. The counts live in the process (one
  uvicorn worker per core shares nothing: each enforces its own limit, which only makes the
  real limit a small multiple; docs/http.md).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.types import Message, Scope

from rocket_core.errors import AuthenticationFailed, Forbidden, TooManyAttempts
from rocket_core.services.auth import Authenticated, AuthService

COOKIE = "rocket_session"
CSRF_HEADER = "x-csrf-token"
LOGIN_LIMIT = 5
LOGIN_WINDOW = 15 * 60
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: How many accounts and addresses the throttle remembers before it forgets the quiet ones.
_SWEEP_AT = 1024


def token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str | None, bool]:
    """The request's session token and whether it came from the cookie."""
    header = connection.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None, False
    cookie = connection.cookies.get(COOKIE)
    return (cookie or None), True


def authenticate(request: Request[Any, Any, Any], auth: AuthService) -> Authenticated:
    """The request's session (401 without a valid one; 403 for a cookie write without the
    CSRF token)."""
    token, from_cookie = token_of(request)
    if token is None:
        raise AuthenticationFailed("log in first: no session cookie or bearer token")
    session = auth.authenticate(token)
    csrf = request.headers.get(CSRF_HEADER)
    if from_cookie and request.method in _UNSAFE and not AuthService.check_csrf(session, csrf):
        raise Forbidden("a write with the session cookie needs the X-CSRF-Token header")
    return session


class LoginThrottle:
    """Failed logins per account and per address in a sliding window."""

    def __init__(self, limit: int = LOGIN_LIMIT, window: float = LOGIN_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._sweep_at = _SWEEP_AT

    def check(self, email: str, address: str | None) -> None:
        """TooManyAttempts when the account or the address used up its failures."""
        now = time.monotonic()
        with self._lock:
            for key in self._keys(email, address):
                failures = self._recent(key, now)
                if len(failures) >= self.limit:
                    wait = int(failures[0] + self.window - now) + 1
                    raise TooManyAttempts(
                        f"too many failed logins: try again in {wait} seconds", wait
                    )

    def failed(self, email: str, address: str | None) -> None:
        """Count a failed login."""
        now = time.monotonic()
        with self._lock:
            for key in self._keys(email, address):
                self._recent(key, now)
                self._failures[key].append(now)
            if len(self._failures) > self._sweep_at:  # forget the keys that went quiet
                for key in list(self._failures):
                    self._recent(key, now)
                self._sweep_at = max(_SWEEP_AT, 2 * len(self._failures))

    def succeeded(self, email: str) -> None:
        """A good login clears the account's count (not the address's)."""
        with self._lock:
            self._failures.pop(f"account:{email.strip().lower()}", None)

    def _keys(self, email: str, address: str | None) -> list[str]:
        keys = [f"account:{email.strip().lower()}"]
        if address:
            keys.append(f"address:{address}")
        return keys

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's failures in the window; a key with none is forgotten (so that the
        e-mails and addresses of every attempt do not pile up in the process)."""
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures


_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# the interactive OpenAPI page loads its script and styles from a CDN
_DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net;"
    b" style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com;"
    b" font-src 'self' https://fonts.gstatic.com data:; img-src 'self' data: https:;"
    b" connect-src 'self'; frame-ancestors 'none'"
)


def security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook adding the security headers to every response: Litestar runs
    it for everything the app sends, also the errors raised before a route is found (404,
    405) which route middleware never sees."""
    if message["type"] != "http.response.start":
        return
    docs = str(scope.get("path", "")).startswith("/schema")
    headers = list(message.get("headers", []))
    present = {bytes(name).lower() for name, _ in headers}
    extra = [pair for pair in _HEADERS if pair[0] not in present]
    if b"content-security-policy" not in present:
        extra.append((b"content-security-policy", _DOCS_CSP if docs else _API_CSP))
    if not docs and b"cache-control" not in present:
        extra.append((b"cache-control", b"no-store"))
    message["headers"] = headers + extra
