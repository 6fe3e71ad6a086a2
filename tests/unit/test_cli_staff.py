"""`rocket staff create-admin|list|deactivate` through Typer's runner on SQLite."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from tests.unit.test_cli_jobs import migrated, one_line_error, rocket

from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_entrypoints.cli.staff import PASSWORD_VARIABLE

PASSWORD = "correct horse battery"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return migrated(tmp_path, monkeypatch)


def create_admin(email: str, *extra: str) -> tuple[str, str]:
    """Run create-admin; (its output, the organisation id it names)."""
    result = rocket(
        "staff",
        "create-admin",
        "--email",
        email,
        "--first-name",
        "Alex",
        "--last-name",
        "Morgan",
        *extra,
        env={PASSWORD_VARIABLE: PASSWORD},
    )
    assert result.exit_code == 0, result.output
    organisation = result.stdout.strip().rsplit("(organisation ", 1)[1].rstrip(")")
    return result.stdout, organisation


def listed(organisation: str, *extra: str) -> list[list[str]]:
    result = rocket("staff", "list", "--organisation-id", organisation, *extra)
    assert result.exit_code == 0, result.output
    return [line.split("\t") for line in result.stdout.splitlines()]


def test_create_admin_then_list_then_deactivate(db_url: str) -> None:
    said, organisation = create_admin("alex@school.example", "--organisation-name", "Rocket")
    assert said.startswith("super admin alex@school.example created")
    _, same = create_admin("sam@school.example", "--organisation-id", organisation)
    assert same == organisation

    # both are Alex Morgan: the list orders by name, then by id
    assert sorted(listed(organisation)) == [
        ["alex@school.example", "Alex Morgan", "super_admin", "active"],
        ["sam@school.example", "Alex Morgan", "super_admin", "active"],
    ]

    result = rocket("staff", "deactivate", "sam@school.example", "--by", "alex@school.example")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "sam@school.example deactivated"
    assert ["sam@school.example", "Alex Morgan", "super_admin", "deactivated"] in listed(
        organisation
    )
    assert [row[0] for row in listed(organisation, "--active-only")] == ["alex@school.example"]

    database = Database(db_url)
    try:
        with database.unit_of_work(UUID(organisation)) as uow:
            entries = uow.audit.search(entity_type="Staff", limit=50)[0]
            assert any(e.action.endswith("deactivate") for e in entries), entries
            assert all(s.role is m.StaffRole.SUPER_ADMIN for s in uow.staff.list())
    finally:
        database.dispose()


def test_a_short_password_is_one_line_and_creates_nothing(db_url: str) -> None:
    result = rocket(
        "staff",
        "create-admin",
        "--email",
        "alex@school.example",
        "--first-name",
        "Alex",
        "--last-name",
        "Morgan",
        "--organisation-name",
        "Rocket",
        env={PASSWORD_VARIABLE: "short"},
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "password" in result.output.lower()
    assert "created" not in result.stdout


def test_list_refuses_an_id_that_is_not_a_uuid(db_url: str) -> None:
    result = rocket("staff", "list", "--organisation-id", "school-one")
    assert result.exit_code == 2
    assert "is not a UUID" in result.output


def test_deactivate_names_the_unknown_e_mail(db_url: str) -> None:
    _, organisation = create_admin("alex@school.example", "--organisation-name", "Rocket")
    one_line_error(
        rocket("staff", "deactivate", "nobody@school.example", "--by", "alex@school.example"),
        2,
        "nobody@school.example",
    )
    one_line_error(
        rocket("staff", "deactivate", "alex@school.example", "--by", "nobody@school.example"),
        2,
        "nobody@school.example",
    )
    assert [row[3] for row in listed(organisation)] == ["active"]
