"""`rocket notifications dispatch` on SQLite through Typer's runner: the due notifications of
every organisation sent once, through the configured notifier; --loop until stopped."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from tests.contracts import factories as f
from tests.contracts.repository_contract import save
from tests.unit.test_cli_jobs import School, json_lines, migrated, one_line_error, rocket, seed

from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.errors import Conflict
from rocket_core.services.dispatch import DispatchService
from rocket_entrypoints.cli import notifications as command


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return migrated(tmp_path, monkeypatch)


PAST = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def queue(url: str, school: School, due: int, *, later: int = 0) -> list[m.Notification]:
    """``due`` notifications due now (one a family) and ``later`` due in a year."""
    made = [f.notification(school.families[n], created_at=PAST) for n in range(due)]
    made += [
        f.notification(
            school.families[n],
            created_at=PAST,
            due_at=datetime.now(UTC) + timedelta(days=365),
        )
        for n in range(later)
    ]
    database = Database(url)
    try:
        save(database.unit_of_work, *made)
    finally:
        database.dispose()
    return made


def status(url: str, school: School, notifications: list[m.Notification]) -> list[str]:
    database = Database(url)
    try:
        with database.unit_of_work(school.id) as uow:
            return [uow.notifications.get(n.id).status.value for n in notifications]
    finally:
        database.dispose()


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_dispatch_sends_what_is_due_in_every_organisation_once(db_url: str) -> None:
    first, second = seed(db_url), seed(db_url, cohorts=1)
    mine = queue(db_url, first, 3, later=1)
    theirs = queue(db_url, second, 2)
    result = rocket("--json", "notifications", "dispatch", "--limit", "2")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    assert {e["organisation_id"]: e["sent"] for e in events if e["event"] == "organisation"} == {
        str(first.id): 3,
        str(second.id): 2,
    }
    assert events[-1] == {
        "event": "done",
        "job": "dispatch",
        "claimed": 5,
        "sent": 5,
        "retried": 0,
        "failed": 0,
        "undeliverable": 0,
        "cancelled": 0,
    }
    assert status(db_url, first, mine) == ["sent", "sent", "sent", "queued"]
    assert status(db_url, second, theirs) == ["sent", "sent"]

    again = rocket("notifications", "dispatch")
    assert again.exit_code == 0, again.output
    assert "dispatch: 0 sent, 0 to retry, 0 failed" in again.stdout


def test_an_unreachable_smtp_server_leaves_the_notifications_to_retry(db_url: str) -> None:
    school = seed(db_url, cohorts=1)
    queued = queue(db_url, school, 2)
    env = {"ROCKET_SMTP_HOST": "127.0.0.1", "ROCKET_SMTP_PORT": str(closed_port())}
    result = rocket("--json", "notifications", "dispatch", env=env)
    assert result.exit_code == 0, result.output
    done = json_lines(result)[-1]
    assert (done["claimed"], done["sent"], done["retried"]) == (2, 0, 2)
    assert status(db_url, school, queued) == ["queued", "queued"]


def test_loop_keeps_going_until_stopped(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    school = seed(db_url, cohorts=1)
    queued = queue(db_url, school, 2)
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt  # Ctrl-C (or SIGTERM) while idle

    monkeypatch.setattr(command.time, "sleep", nap)
    result = rocket("--json", "notifications", "dispatch", "--loop", "--interval", "0.5")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    assert [e["event"] for e in events] == ["organisation", "round", "stopped"]
    assert events[-1]["rounds"] == 3
    assert events[-1]["sent"] == 2
    assert naps == [0.5, 0.5]  # slept only when a round found nothing
    assert status(db_url, school, queued) == ["sent", "sent"]
    assert result.stderr == ""


def test_ctrl_c_without_loop_says_how_far_it_got(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url, cohorts=1)

    def interrupted(*_args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(DispatchService, "dispatch_until_empty", interrupted)
    one_line_error(
        rocket("notifications", "dispatch"),
        130,
        "interrupted after 1 round: run the same command again to finish",
    )


def test_a_failure_in_one_organisation_is_named_and_exit_code_3(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing, fine = seed(db_url, cohorts=1), seed(db_url, cohorts=1)
    queued = queue(db_url, fine, 1)
    real = DispatchService.dispatch_until_empty

    def refuse_one(self: DispatchService, organisation_id: UUID, limit: int = 100) -> Any:
        if organisation_id == failing.id:
            raise Conflict("the outbox is locked")
        return real(self, organisation_id, limit)

    monkeypatch.setattr(DispatchService, "dispatch_until_empty", refuse_one)
    result = rocket("notifications", "dispatch")
    assert result.exit_code == 3, result.output
    assert f"rocket: organisation {failing.id}: the outbox is locked" in result.stderr
    assert status(db_url, fine, queued) == ["sent"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--limit", "0"], "--limit"),
        (["--interval", "0"], "--interval"),
        (["--organisation-id", "x"], "is not a UUID"),
    ],
)
def test_bad_options_are_one_line_and_exit_code_2(db_url: str, args: list[str], says: str) -> None:
    one_line_error(rocket("notifications", "dispatch", *args), 2, says)
