"""`rocket serve`: what it hands uvicorn (uvicorn itself is not started here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rocket_adapters.sql import migrate
from rocket_entrypoints.cli.app import app
from rocket_entrypoints.http import server


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A migrated SQLite database; the calls ``rocket serve`` makes to uvicorn."""
    url = f"sqlite:///{tmp_path / 'rocket.db'}"
    monkeypatch.setenv("ROCKET_DATABASE_URL", url)
    migrate.upgrade(url)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **options: calls.append(options))
    return calls


def test_serve_runs_the_app_with_no_delay_on_every_connection(
    served: list[dict[str, Any]],
) -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "8123", "--workers", "2"])
    assert result.exit_code == 0, result.output
    [options] = served
    assert options["http"] is server.NoDelayProtocol
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8123, 2)
    assert options["access_log"] is True
    assert options["proxy_headers"] is False
    assert options["timeout_keep_alive"] == server.KEEP_ALIVE_SECONDS


def test_serve_trusts_forwarded_headers_only_from_the_named_proxies(
    served: list[dict[str, Any]],
) -> None:
    arguments = ["serve", "--no-access-log", "--forwarded-allow-ips", "10.0.0.1,10.0.0.2"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    [options] = served
    assert options["access_log"] is False
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == "10.0.0.1,10.0.0.2"


def test_serve_refuses_a_database_behind_the_latest_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROCKET_DATABASE_URL", f"sqlite:///{tmp_path / 'old.db'}")
    calls: list[Any] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda *a, **k: calls.append(k))
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2, result.output  # a usage error: `rocket db upgrade` first
    assert "rocket db upgrade" in result.output
    assert calls == []
