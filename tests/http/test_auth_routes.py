"""Logging in and out over HTTP: the session cookie and the bearer token, expiry, forged
tokens, CSRF for cookie-authenticated writes, login throttling (per account and per
address)."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from tests.http.conftest import PASSWORD, Api, problem
from tests.http.test_route_matrix import client_for
from tests.unit.services.helpers import snapshot

from rocket_core import model as m
from rocket_core.errors import TooManyAttempts
from rocket_entrypoints.http import security
from rocket_entrypoints.http.security import COOKIE, LOGIN_LIMIT, LoginThrottle

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
WRONG = "wrong e-mail or password"


def fresh_client(api: Api, address: str | None = None) -> TestClient[Litestar]:
    """A client with a cookie jar of its own and no credentials, from ``address`` when
    given. Not entered as a context manager (the app has no startup or shutdown hooks): only
    the harness's one client is, as two entered clients of one app leak their portals."""
    client = TestClient(api.app, base_url="https://testserver.local")
    if address is not None:
        transport: Any = client._transport  # the test transport names the client "testclient"
        parse = transport.parse_request
        transport.parse_request = lambda request: {**parse(request), "client": (address, 40000)}
    return client


def with_cookie(api: Api, token: str) -> TestClient[Litestar]:
    """A new client that sends ``token`` as the session cookie."""
    client = fresh_client(api)
    client.cookies.set(COOKIE, token)
    return client


def log_in(client: TestClient[Litestar], email: str, password: str = PASSWORD) -> Any:
    return client.post(LOGIN, json={"email": email, "password": password})


def email(api: Api, who: str) -> str:
    return api.world.staff[who].email


def set_cookie(response: Any) -> SimpleCookie:
    cookie: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookie.load(header)
    return cookie


def test_login_gives_a_bearer_token_a_csrf_token_and_who_logged_in(api: Api) -> None:
    response = log_in(fresh_client(api), email(api, "campus_manager"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "csrf_token", "expires_at", "staff"}
    assert body["token"].startswith(f"{api.world.org_id}.")
    assert body["csrf_token"]
    assert body["csrf_token"] != body["token"]
    assert body["expires_at"].startswith("2026-01-20T09:00:00")  # 24 hours on the world's clock
    assert body["staff"] == {
        "staff_id": str(api.world.staff["campus_manager"].id),
        "organisation_id": str(api.world.org_id),
        "name": "Carmen Staff",
        "role": "campus_manager",
        "campus_ids": [str(api.world.campus.id)],
        "cohort_ids": [],
    }


def test_the_session_cookie_is_http_only_secure_and_strict(api: Api) -> None:
    response = log_in(fresh_client(api), email(api, "front_desk"))
    header = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes
    morsel = set_cookie(response)[COOKIE]
    assert morsel.value == response.json()["token"]
    assert morsel["samesite"].lower() == "strict"
    assert morsel["path"] == "/"
    assert int(morsel["max-age"]) == 24 * 3600  # from the service's clock, not the process's


def test_login_is_case_and_space_insensitive_on_the_email(api: Api) -> None:
    response = log_in(fresh_client(api), f"  {email(api, 'front_desk').upper()} ")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("who", "password"),
    [
        ("front_desk", "not the password at all"),
        (None, PASSWORD),
        ("front_desk", ""),
    ],
    ids=["wrong password", "unknown e-mail", "empty password"],
)
def test_a_failed_login_does_not_say_what_was_wrong(
    api: Api, who: str | None, password: str
) -> None:
    address = email(api, who) if who else "nobody@rocket.example"
    before = snapshot(api.world)
    response = log_in(fresh_client(api), address, password)
    assert response.status_code == 401
    assert problem(response)["detail"] == WRONG
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "set-cookie" not in response.headers
    assert snapshot(api.world) == before


def test_a_deactivated_staff_member_cannot_log_in_and_their_session_ends(api: Api) -> None:
    with api.world.uow() as uow:
        uow.staff.get(api.world.staff["front_desk"].id).is_active = False
        uow.commit()
    response = log_in(fresh_client(api), email(api, "front_desk"))
    assert response.status_code == 401
    assert problem(response)["detail"] == WRONG
    response = client_for(api, "front_desk").get(ME)
    assert response.status_code == 401
    assert "deactivated" in problem(response)["detail"]


def test_a_bearer_token_authenticates(api: Api) -> None:
    token = log_in(fresh_client(api), email(api, "lead_instructor")).json()["token"]
    client = fresh_client(api)
    response = client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["role"] == "lead_instructor"
    assert response.json()["cohort_ids"] == [str(api.world.cohort.id)]
    response = client.get(ME, headers={"Authorization": f"bearer   {token}  "})
    assert response.status_code == 200


def test_the_session_cookie_authenticates(api: Api) -> None:
    client = fresh_client(api)
    log_in(client, email(api, "campus_manager"))
    assert client.cookies.get(COOKIE)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["role"] == "campus_manager"


def test_no_credentials_is_401(api: Api) -> None:
    response = fresh_client(api).get(ME)
    assert response.status_code == 401
    assert problem(response)["title"] == "Not logged in"
    assert response.headers["www-authenticate"] == 'Bearer realm="rocket"'


def test_a_session_expires_after_24_hours(api: Api) -> None:
    client = client_for(api, "teaching_assistant")
    api.world.clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    assert client.get(ME).status_code == 200
    api.world.clock.advance(timedelta(seconds=1))
    response = client.get(ME)
    assert response.status_code == 401
    assert "expired" in problem(response)["detail"]


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, org: "not-a-token",
        lambda token, org: f"{org}.{'A' * 43}",
        lambda token, org: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token, org: f"{uuid4()}.{token.split('.')[1]}",
        lambda token, org: f"{token}.{token}",
        lambda token, org: "x" * 5000,
        lambda token, org: f"not-a-uuid.{token.split('.')[1]}",
        lambda token, org: token.upper(),
        lambda token, org: "",
    ],
    ids=[
        "garbage",
        "right organisation, made-up secret",
        "one character changed",
        "another organisation's id",
        "two dots",
        "5,000 characters",
        "not a uuid",
        "upper-cased",
        "empty",
    ],
)
def test_forged_tokens_are_401(api: Api, forge: Any) -> None:
    forged = forge(api.tokens["super_admin"], api.world.org_id)
    client = fresh_client(api)
    for response in (
        client.get(ME, headers={"Authorization": f"Bearer {forged}"}),
        with_cookie(api, forged).get(ME),
    ):
        assert response.status_code == 401, response.text
        assert problem(response)["status"] == 401
    # a forged token cannot write either, and nothing is written
    before = snapshot(api.world)
    response = client.post(
        f"/api/v1/sessions/{api.world.sessions[0].id}/attendance",
        json={"marks": []},
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert response.status_code == 401
    assert snapshot(api.world) == before


def test_logout_revokes_the_session_and_clears_the_cookie(api: Api) -> None:
    client = fresh_client(api)
    login = log_in(client, email(api, "front_desk")).json()
    bearer = {"Authorization": f"Bearer {login['token']}"}
    response = client.post(LOGOUT, headers=bearer)
    assert response.status_code == 204
    assert response.content == b""
    cleared = set_cookie(response)[COOKIE]
    assert cleared.value == ""
    assert cleared["max-age"] == "0"
    assert fresh_client(api).get(ME, headers=bearer).status_code == 401
    assert with_cookie(api, login["token"]).get(ME).status_code == 401
    # the other sessions of the same person go on
    assert client_for(api, "front_desk").get(ME).status_code == 200
    with api.world.uow() as uow:
        audited = uow.audit.list_for_entity(UUID(login["staff"]["staff_id"]))
        assert "staff.logout" in [entry.action for entry in audited]
    # logging out again is refused: the session is gone
    assert client.post(LOGOUT, headers=bearer).status_code == 401


def test_a_cookie_write_needs_the_csrf_token(api: Api) -> None:
    client = fresh_client(api)
    login = log_in(client, email(api, "campus_manager")).json()
    mark = f"/api/v1/sessions/{api.world.sessions[0].id}/attendance"
    body = {"marks": [{"student_id": str(uuid4()), "status": "present"}]}
    before = snapshot(api.world)
    for headers in ({}, {"X-CSRF-Token": "guessed"}, {"X-CSRF-Token": login["token"]}):
        response = client.post(mark, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert "X-CSRF-Token" in problem(response)["detail"]
    assert snapshot(api.world) == before
    # reads need no token; the write passes the CSRF check with it (then the use case
    # answers: the student is not on the roll)
    assert client.get(f"/api/v1/sessions/{api.world.sessions[0].id}/roll").status_code == 200
    response = client.post(mark, json=body, headers={"X-CSRF-Token": login["csrf_token"]})
    assert response.status_code == 422, response.text
    response = client.post(LOGOUT)
    assert response.status_code == 403
    response = client.post(LOGOUT, headers={"X-CSRF-Token": login["csrf_token"]})
    assert response.status_code == 204
    assert client.get(ME).status_code == 401


def test_a_csrf_token_is_bound_to_its_session(api: Api) -> None:
    mine = fresh_client(api)
    log_in(mine, email(api, "campus_manager"))
    theirs = log_in(fresh_client(api), email(api, "campus_manager")).json()
    response = mine.post(LOGOUT, headers={"X-CSRF-Token": theirs["csrf_token"]})
    assert response.status_code == 403


def test_a_bearer_write_needs_no_csrf_token(api: Api) -> None:
    response = client_for(api, "campus_manager").post(
        f"/api/v1/sessions/{api.world.sessions[0].id}/attendance",
        json={"marks": [{"student_id": str(uuid4()), "status": "present"}]},
    )
    assert response.status_code == 422  # past the CSRF check: the use case answered


def test_failed_logins_are_throttled_per_account(api: Api) -> None:
    target = email(api, "front_desk")
    for attempt in range(LOGIN_LIMIT):
        response = log_in(fresh_client(api, f"10.0.0.{attempt}"), target, "wrong password!")
        assert response.status_code == 401
    # from yet another address, even the right password waits
    response = log_in(fresh_client(api, "10.0.1.1"), target)
    assert response.status_code == 429
    body = problem(response)
    assert "try again" in body["detail"]
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    # other accounts from that address are not affected
    assert log_in(fresh_client(api, "10.0.1.1"), email(api, "campus_manager")).status_code == 200


def test_failed_logins_are_throttled_per_address(api: Api) -> None:
    client = fresh_client(api, "192.0.2.7")
    for n in range(LOGIN_LIMIT):
        assert log_in(client, f"nobody{n}@rocket.example", "wrong password!").status_code == 401
    response = log_in(client, email(api, "campus_manager"))
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    # the same account from another address logs in
    assert log_in(fresh_client(api, "192.0.2.8"), email(api, "campus_manager")).is_success


def test_a_good_login_clears_the_accounts_count(api: Api) -> None:
    target = email(api, "front_desk")
    for n in range(LOGIN_LIMIT - 1):
        assert (
            log_in(fresh_client(api, f"10.1.0.{n}"), target, "wrong password!").status_code == 401
        )
    assert log_in(fresh_client(api, "10.1.1.1"), target).status_code == 200
    for n in range(LOGIN_LIMIT - 1):
        assert (
            log_in(fresh_client(api, f"10.2.0.{n}"), target, "wrong password!").status_code == 401
        )
    assert log_in(fresh_client(api, "10.2.1.1"), target).status_code == 200


def test_a_throttled_login_writes_nothing(api: Api) -> None:
    client = fresh_client(api, "198.51.100.1")
    for _ in range(LOGIN_LIMIT):
        log_in(client, email(api, "front_desk"), "wrong password!")
    before = snapshot(api.world)
    assert log_in(client, email(api, "front_desk")).status_code == 429
    assert snapshot(api.world) == before


def test_a_login_is_audited_and_remembers_the_address(api: Api) -> None:
    response = log_in(fresh_client(api, "203.0.113.9"), email(api, "front_desk"))
    assert response.status_code == 200
    with api.world.store.lock:
        sessions = [
            s
            for s in api.world.store.tables[m.StaffSession].values()
            if isinstance(s, m.StaffSession) and s.address == "203.0.113.9"
        ]
    assert len(sessions) == 1
    assert response.json()["token"] not in repr(sessions[0])  # only the digest is kept


def test_the_throttle_window_slides_and_forgets_what_it_no_longer_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(security, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    throttle = LoginThrottle(limit=2, window=60)
    throttle.failed("Ada@Rocket.example ", "192.0.2.1")
    clock[0] += 30
    throttle.failed("ada@rocket.example", "192.0.2.2")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("ADA@rocket.example", "192.0.2.3")
    assert refused.value.retry_after_seconds == 31
    clock[0] += 30  # the first failure leaves the window
    throttle.check("ada@rocket.example", "192.0.2.3")
    clock[0] += 30
    throttle.check("ada@rocket.example", "192.0.2.1")
    throttle.check("someone.else@rocket.example", "192.0.2.9")  # a check records nothing
    assert set(throttle._failures) == {"address:192.0.2.2"}  # not looked at since
    throttle._sweep_at = 1  # a sweep forgets it
    throttle.failed("bob@rocket.example", None)
    assert set(throttle._failures) == {"account:bob@rocket.example"}
