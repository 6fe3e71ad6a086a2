"""`rocket doctor`: what is configured and whether it is reachable and ready, with real
sockets on 127.0.0.1 for the servers that answer and closed ports for those that do not."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.test_cli_jobs import json_lines, migrated, one_line_error, rocket

from rocket_adapters.sql import migrate


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return migrated(tmp_path, monkeypatch)


@pytest.fixture
def listening() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections (and says nothing)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def checks(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict]]:
    """Run ``rocket --json doctor``: its exit code and its checks by name."""
    result = rocket("--json", "doctor", *args, env=env)
    assert result.exit_code in (0, 1), result.output
    (document,) = json_lines(result)
    assert document["ok"] is (result.exit_code == 0)
    return result.exit_code, {check["name"]: check for check in document["checks"]}


def test_a_migrated_database_with_the_defaults_is_ready(db_url: str) -> None:
    code, found = checks()
    assert code == 0
    assert list(found) == ["database", "migrations", "payment gateway", "notifier", "templates"]
    assert all(check["ok"] for check in found.values())
    assert found["database"]["detail"] == f"{db_url}: reachable"
    assert migrate.head() in found["migrations"]["detail"]
    assert found["payment gateway"]["detail"].startswith("offline")
    assert found["notifier"]["detail"].startswith("console")
    assert found["templates"]["detail"].startswith("built-in: all 7 kinds render")
    text = rocket("doctor")
    assert text.exit_code == 0
    assert "everything is ready" in text.stdout


def test_a_missing_database_file_is_a_problem_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.db"
    code, found = checks(env={"ROCKET_DATABASE_URL": f"sqlite:///{path}"})
    assert code == 1
    assert not found["database"]["ok"]
    assert "run `rocket db upgrade`" in found["database"]["detail"]
    assert not path.exists()
    assert (
        "problems found"
        in rocket("doctor", env={"ROCKET_DATABASE_URL": f"sqlite:///{path}"}).stdout
    )


def test_an_unmigrated_database_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    code, found = checks(env={"ROCKET_DATABASE_URL": f"sqlite:///{path}"})
    assert code == 1
    assert found["database"]["ok"]
    assert not found["migrations"]["ok"]
    assert "at revision none" in found["migrations"]["detail"]


def test_an_unreachable_postgres_server_is_a_problem_and_its_password_stays_hidden(
    db_url: str,
) -> None:
    url = f"postgresql+psycopg://rocket:s3cret@127.0.0.1:{closed_port()}/rocket"
    result = rocket("--json", "doctor", env={"ROCKET_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "s3cret" not in result.output
    (document,) = json_lines(result)
    database = document["checks"][0]
    assert database["ok"] is False
    assert "rocket:***@127.0.0.1" in database["detail"]
    assert "not reachable" in database["detail"]


def test_the_smtp_server_is_checked_with_a_connection(db_url: str, listening: int) -> None:
    code, found = checks(env={"ROCKET_SMTP_HOST": "127.0.0.1", "ROCKET_SMTP_PORT": str(listening)})
    assert code == 0
    assert found["notifier"]["detail"].startswith(f"SMTP 127.0.0.1:{listening}")
    assert found["notifier"]["detail"].endswith(": reachable")
    closed = closed_port()
    code, found = checks(env={"ROCKET_SMTP_HOST": "127.0.0.1", "ROCKET_SMTP_PORT": str(closed)})
    assert code == 1
    assert "not reachable" in found["notifier"]["detail"]


STRIPE = {
    "ROCKET_STRIPE_SECRET_KEY": "sk_test_51abcdefghSECRET",
    "ROCKET_STRIPE_WEBHOOK_SECRET": "whsec_x",
}


def test_stripe_is_checked_only_on_a_local_server(db_url: str, listening: int) -> None:
    code, found = checks(env=STRIPE)
    assert code == 0
    assert found["payment gateway"]["detail"] == "Stripe, test key sk_test_... set"
    assert (
        found["stripe api"]["detail"] == "https://api.stripe.com: not checked (needs the internet)"
    )
    local = {**STRIPE, "ROCKET_STRIPE_API_BASE": f"http://127.0.0.1:{listening}"}
    code, found = checks(env=local)
    assert code == 0
    assert found["stripe api"]["detail"].endswith(": reachable")
    down = {**STRIPE, "ROCKET_STRIPE_API_BASE": f"http://localhost:{closed_port()}"}
    code, found = checks(env=down)
    assert code == 1
    assert "not reachable" in found["stripe api"]["detail"]
    result = rocket("--json", "doctor", env=STRIPE)
    assert "SECRET" not in result.output


def test_stripe_without_a_webhook_secret_is_a_problem(db_url: str) -> None:
    code, found = checks(env={"ROCKET_STRIPE_SECRET_KEY": "sk_live_abc"})
    assert code == 1
    assert found["payment gateway"]["detail"].startswith("Stripe, live key")
    assert "ROCKET_STRIPE_WEBHOOK_SECRET is not set" in found["stripe webhooks"]["detail"]


def test_a_broken_template_is_a_problem(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "invoice_issued.subject.txt").write_text("Invoice {{ no_such_thing }}\n")
    code, found = checks(env={"ROCKET_TEMPLATES_DIR": str(folder)})
    assert code == 1
    assert not found["templates"]["ok"]
    assert found["templates"]["detail"].startswith(str(folder))
    assert "invoice_issued" in found["templates"]["detail"]
    code, found = checks(env={"ROCKET_TEMPLATES_DIR": str(tmp_path / "nowhere")})
    assert code == 1
    assert "is not a folder" in found["templates"]["detail"]


def test_a_refused_setting_is_one_line_and_exit_code_2(db_url: str) -> None:
    one_line_error(rocket("doctor", env={"ROCKET_SMTP_PORT": "smtp"}), 2, "ROCKET_SMTP_PORT='smtp'")
