"""The API's defences: security headers on every response, no stack trace or SQL in an
error, bad input answered with the right 4xx naming the field (and nothing written), the
body size limit, ids of the wrong shape, and the health probes.

Ids of the wrong shape: a path parameter is declared ``{x_id:uuid}``, so a segment that is
not a UUID matches no route: 404 problem details, as for any unknown address (the API does
not say which part was wrong). A UUID in another spelling (upper case, no hyphens) is the
same id. In a JSON body or a query a malformed UUID is a 400 naming the field.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID, uuid4

import anyio
import pytest
import sqlalchemy as sa
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import TestClient
from tests.http.conftest import Api, problem
from tests.http.test_route_matrix import client_for
from tests.unit.services.helpers import snapshot

from rocket_entrypoints.container import Container
from rocket_entrypoints.http.app import MAX_BODY_BYTES, create_app
from rocket_entrypoints.settings import Settings

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "cross-origin-opener-policy": "same-origin",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def mark_path(api: Api) -> str:
    return f"/api/v1/sessions/{api.world.sessions[0].id}/attendance"


def roll_path(api: Api, session_id: Any = None) -> str:
    return f"/api/v1/sessions/{session_id or api.world.sessions[0].id}/roll"


def assert_secure_headers(response: Any, *, docs: bool = False) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "camera=()" in response.headers["permissions-policy"]
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    if docs:
        assert csp != API_CSP
    else:
        assert csp == API_CSP
        assert response.headers["cache-control"] == "no-store"
    assert "server" not in {name.lower() for name in response.headers}


# -- security headers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status"),
    [
        ("campus_manager", "GET", "me", None, 200),
        (None, "GET", "me", None, 401),
        ("other_manager", "GET", "roll", None, 403),
        ("campus_manager", "GET", "unknown roll", None, 404),
        ("campus_manager", "GET", "/api/v1/nowhere", None, 404),
        ("campus_manager", "DELETE", "me", None, 405),
        ("campus_manager", "POST", "mark", {"marks": "all"}, 400),
        ("campus_manager", "POST", "mark", {"marks": []}, 422),
        (None, "POST", "/api/v1/auth/login", {"email": "a@b.example", "password": "x"}, 401),
        (None, "GET", "/healthz", None, 200),
        (None, "GET", "/readyz", None, 200),
        (None, "GET", "/", None, 404),
    ],
)
def test_every_response_has_the_security_headers(
    api: Api, who: str | None, method: str, path: str, body: Any, status: int
) -> None:
    path = {
        "me": "/api/v1/auth/me",
        "mark": mark_path(api),
        "roll": roll_path(api),
        "unknown roll": roll_path(api, uuid4()),
    }.get(path, path)
    response = client_for(api, who).request(method, path, json=body)
    assert response.status_code == status, response.text
    assert_secure_headers(response)


def test_the_security_headers_are_on_a_500_and_a_413(api: Api) -> None:
    failing = broken_service(api)
    response = client_for(api, "campus_manager").get(roll_path(api))
    assert response.status_code == 500
    assert_secure_headers(response)
    failing.reset_override()
    response = client_for(api, "campus_manager").post(
        mark_path(api), content=b"[" + b" " * MAX_BODY_BYTES + b"]"
    )
    assert response.status_code == 413
    assert_secure_headers(response)


def test_the_openapi_page_gets_a_csp_that_lets_it_load(api: Api) -> None:
    for path in ("/schema", "/schema/openapi.json"):
        response = client_for(api).get(path)
        assert response.status_code == 200
        assert_secure_headers(response, docs=True)


def test_a_login_response_is_never_cached(api: Api) -> None:
    response = client_for(api).post(
        "/api/v1/auth/login",
        json={"email": api.world.staff["front_desk"].email, "password": "x" * 12},
    )
    assert response.headers["cache-control"] == "no-store"


# -- no stack traces, no SQL -----------------------------------------------------------------


class Boom:
    """A service whose every use case fails the way a bug or an outage would."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def fail(*_args: object, **_kwargs: object) -> None:
            raise self.error

        return fail


SQL_ERROR = sa.exc.OperationalError(
    "SELECT password_hash FROM staff WHERE email = 'ada@rocket.example'",
    {"email": "ada@rocket.example"},
    Exception('relation "staff" does not exist'),
)


def broken_service(api: Api, error: Exception | None = None) -> Any:
    """Make the attendance service fail with ``error``; the provider (to reset)."""
    provider = api.container.attendance
    provider.override(providers.Object(Boom(error or RuntimeError("kaboom in the handler"))))
    return provider


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("kaboom: Traceback (most recent call last) in /srv/rocket/secret.py"),
        SQL_ERROR,
        KeyError("password_hash"),
        ZeroDivisionError("division by zero"),
    ],
    ids=["runtime error", "SQL error", "key error", "zero division"],
)
def test_an_unexpected_error_is_a_500_without_trace_or_sql(
    api: Api, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    broken_service(api, error)
    with caplog.at_level(logging.ERROR, logger="rocket.http"):
        for response in (
            client_for(api, "campus_manager").get(roll_path(api)),
            client_for(api, "campus_manager").post(mark_path(api), json={"marks": []}),
        ):
            assert response.status_code == 500
            body = problem(response)
            assert body == {
                "type": "https://rocket.invalid/problems/internal-error",
                "title": "Internal error",
                "status": 500,
                "detail": "something went wrong; it has been logged",
            }
            for leak in ("Traceback", "SELECT", "password_hash", "kaboom", "File ", ".py"):
                assert leak not in response.text
    # ... but it is logged, with its trace, for the people who run the school
    assert any(record.exc_info for record in caplog.records)


def test_a_database_outage_during_authentication_is_a_500_without_sql(api: Api) -> None:
    api.container.auth.override(providers.Object(Boom(SQL_ERROR)))
    response = client_for(api, "campus_manager").get("/api/v1/auth/me")
    assert response.status_code == 500
    assert "SELECT" not in response.text
    assert "staff" not in response.text


# -- bad input -------------------------------------------------------------------------------


def unchanged(api: Api, request: Any) -> Any:
    """Make the request; assert that nothing in the store changed; the response."""
    before = snapshot(api.world)
    response = request()
    assert snapshot(api.world) == before
    return response


@pytest.mark.parametrize(
    "content",
    [b"{", b'{"marks": [}', b"not json", b"{'marks': []}", b'{"marks": []} trailing', b"\xff\xfe"],
)
def test_malformed_json_is_400(api: Api, content: bytes) -> None:
    response = unchanged(
        api,
        lambda: client_for(api, "campus_manager").post(
            mark_path(api), content=content, headers={"content-type": "application/json"}
        ),
    )
    assert response.status_code == 400, response.text
    assert problem(response)["title"] == "Bad request"


def test_a_missing_body_is_400(api: Api) -> None:
    response = unchanged(api, lambda: client_for(api, "campus_manager").post(mark_path(api)))
    assert response.status_code == 400
    assert problem(response)["detail"] == "a JSON body is required"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"marks": "all of them"}, "marks"),
        ({"marks": [{"student_id": 7, "status": "present"}]}, "marks[0].student_id"),
        ({"marks": [{"student_id": "not-a-uuid", "status": "present"}]}, "marks[0].student_id"),
        ({"marks": [{"student_id": str(uuid4()), "status": "on holiday"}]}, "marks[0].status"),
        ({"marks": [], "approved_by_staff_id": 12}, "approved_by_staff_id"),
        ({"marks": [{"student_id": str(uuid4()), "status": None}]}, "marks[0].status"),
        ({"marks": [{"student_id": str(uuid4()), "status": "present", "notes": 3}]}, None),
    ],
    ids=["list expected", "int uuid", "bad uuid", "bad enum", "int uuid field", "null", "int"],
)
def test_wrong_types_are_400_naming_the_field(api: Api, body: Any, field: str | None) -> None:
    response = unchanged(
        api, lambda: client_for(api, "campus_manager").post(mark_path(api), json=body)
    )
    assert response.status_code == 400, response.text
    details = problem(response)
    named = [error["field"] for error in details["errors"]]
    expected = field or "marks[0].notes"
    assert expected in named
    assert expected in details["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("mark", {}, "marks"),
        ("mark", {"marks": [{"status": "present"}]}, "marks[0].student_id"),
        ("mark", {"marks": [{"student_id": str(uuid4())}]}, "marks[0].status"),
        ("/api/v1/auth/login", {"email": "a@b.example"}, "password"),
        ("/api/v1/auth/login", {"password": "a"}, "email"),
    ],
)
def test_missing_fields_are_400_naming_the_field(
    api: Api, path: str, body: Any, field: str
) -> None:
    path = mark_path(api) if path == "mark" else path
    response = unchanged(api, lambda: client_for(api, "campus_manager").post(path, json=body))
    assert response.status_code == 400, response.text
    details = problem(response)
    assert details["errors"][0] == {"field": field, "message": "is required", "in": "body"}
    assert details["detail"] == f"invalid {field}: is required"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"marks": [], "approve": True}, "approve"),
        ({"marks": [], "Marks": []}, "Marks"),
        ({"marks": [{"student_id": str(uuid4()), "status": "present", "note": "x"}]}, None),
    ],
    ids=["top level", "case differs", "nested"],
)
def test_unknown_fields_are_400_naming_the_field(api: Api, body: Any, field: str | None) -> None:
    response = unchanged(
        api, lambda: client_for(api, "campus_manager").post(mark_path(api), json=body)
    )
    assert response.status_code == 400, response.text
    details = problem(response)
    expected = field or "marks[0].note"
    assert details["errors"] == [{"field": expected, "message": "is not a field", "in": "body"}]
    assert expected in details["detail"]


def test_a_nul_character_in_text_is_400_naming_the_field(api: Api) -> None:
    """No column can hold it (Postgres refuses it): bad input, not a 500."""
    body = {"marks": [{"student_id": str(uuid4()), "status": "present", "notes": "a\x00b"}]}
    response = unchanged(
        api, lambda: client_for(api, "campus_manager").post(mark_path(api), json=body)
    )
    assert response.status_code == 400
    field = {"field": "marks[0].notes", "message": "must not contain a NUL character", "in": "body"}
    assert problem(response)["errors"] == [field]
    response = client_for(api, "campus_manager").get(roll_path(api), params={"q": "\x00"})
    assert response.status_code == 400
    assert problem(response)["errors"][0]["in"] == "query"


def test_an_unknown_field_is_refused_before_anything_is_marked(api: Api) -> None:
    child = api.world.child.id
    body = {"marks": [{"student_id": str(child), "status": "present", "late": True}]}
    response = unchanged(
        api, lambda: client_for(api, "campus_manager").post(mark_path(api), json=body)
    )
    assert response.status_code == 400


def test_domain_validation_is_422_naming_the_field(api: Api) -> None:
    response = unchanged(
        api, lambda: client_for(api, "campus_manager").post(mark_path(api), json={"marks": []})
    )
    assert response.status_code == 422
    assert problem(response)["field"] == "marks"


# -- body size -------------------------------------------------------------------------------


def test_a_body_over_1_mb_is_413(api: Api) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)
    body = {"marks": [], "approved_by_staff_id": None, "padding": padding}
    response = unchanged(
        api, lambda: client_for(api, "campus_manager").post(mark_path(api), json=body)
    )
    assert response.status_code == 413
    assert problem(response)["title"] == "Request body too large"


def test_a_streamed_body_over_1_mb_is_413(api: Api) -> None:
    """Without a Content-Length the limit holds while the body is read (straight over ASGI:
    the test client cannot stream a request body)."""
    path = mark_path(api)
    chunks = [b" " * 32 * 1024] * 40  # 1.25 MB in all
    sent: list[Any] = []

    async def receive() -> Any:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver.local"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {api.tokens['campus_manager']}".encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver.local", 443),
    }
    before = snapshot(api.world)
    anyio.run(api.app, scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 413, sent[1:]
    assert len(chunks) > 0  # it stopped reading
    assert snapshot(api.world) == before


def test_a_body_just_under_the_limit_is_read(api: Api) -> None:
    body = b'{"marks": []}' + b" " * (MAX_BODY_BYTES - 100)
    response = client_for(api, "campus_manager").post(
        mark_path(api), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422  # read, parsed and refused by the use case


def test_an_oversized_login_is_413_and_does_not_count_as_a_failure(api: Api) -> None:
    body = {"email": api.world.staff["front_desk"].email, "password": "p" * (MAX_BODY_BYTES + 1)}
    for _ in range(8):
        response = client_for(api).post("/api/v1/auth/login", json=body)
        assert response.status_code == 413


# -- ids of the wrong shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    "segment",
    ["not-a-uuid", "1", "00000000-0000-0000-0000", "' OR 1=1 --", "%00", "..", "x" * 300],
)
def test_an_id_of_the_wrong_shape_in_the_path_is_404(api: Api, segment: str) -> None:
    response = client_for(api, "super_admin").get(f"/api/v1/sessions/{segment}/roll")
    assert response.status_code == 404, response.text
    assert problem(response)["title"] == "Not found"


def test_an_unknown_id_of_the_right_shape_is_404(api: Api) -> None:
    response = client_for(api, "super_admin").get(roll_path(api, uuid4()))
    assert response.status_code == 404
    assert problem(response)["detail"] == "Session not found"


@pytest.mark.parametrize("spelling", [str.upper, lambda s: s.replace("-", "")])
def test_a_uuid_in_another_spelling_is_the_same_id(api: Api, spelling: Any) -> None:
    session_id = spelling(str(api.world.sessions[0].id))
    response = client_for(api, "super_admin").get(roll_path(api, session_id))
    assert response.status_code == 200
    assert UUID(session_id) == api.world.sessions[0].id


def test_an_id_of_the_wrong_shape_in_a_query_is_400_naming_it(api: Api) -> None:
    schema = client_for(api).get("/schema/openapi.json").json()
    found = [
        (path, parameter["name"])
        for path, item in schema["paths"].items()
        if "{" not in path and "get" in item
        for parameter in item["get"].get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("format") == "uuid"
    ]
    if not found:
        pytest.skip("no list route takes an id in its query yet")
    path, name = found[0]
    response = client_for(api, "super_admin").get(path, params={name: "not-a-uuid"})
    assert response.status_code == 400, response.text
    assert name in problem(response)["detail"]


# -- health ----------------------------------------------------------------------------------


def test_healthz_answers_without_a_login(api: Api) -> None:
    response = client_for(api).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_when_the_store_does(api: Api) -> None:
    response = client_for(api).get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def sql_app(url: str) -> TestClient[Litestar]:
    container = Container()
    container.settings.override(Settings(database_url=url))
    return TestClient(create_app(container), base_url="https://testserver.local")


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path: Any) -> None:
    client = sql_app(f"sqlite:///{tmp_path / 'missing' / 'folder' / 'rocket.db'}")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert problem(response)["detail"] == "the database does not answer"
    assert "sqlite" not in response.text
    assert client.get("/healthz").status_code == 200


def test_readyz_is_200_on_a_sqlite_file(tmp_path: Any) -> None:
    client = sql_app(f"sqlite:///{tmp_path / 'rocket.db'}")
    assert client.get("/readyz").json() == {"status": "ok"}
