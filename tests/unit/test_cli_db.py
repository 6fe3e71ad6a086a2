"""Settings from the environment, `rocket db ...` and `rocket demo` on a SQLite file."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from rocket_adapters.sql import Database, migrate
from rocket_core import model as m
from rocket_entrypoints.cli.app import app
from rocket_entrypoints.demo import demo_organisation_id
from rocket_entrypoints.demo import school as demo_school_module
from rocket_entrypoints.settings import Settings, SettingsError

# --- settings ---------------------------------------------------------------------------------


def test_settings_default_to_the_embedded_sqlite_file():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///rocket.db"
    assert settings.database_role == "rocket_app"
    assert Settings() == settings


def test_settings_accept_an_in_process_memory_store():
    assert Settings(database_url="memory://").in_memory
    assert not Settings().in_memory


def test_settings_come_from_the_environment():
    settings = Settings.from_env(
        {
            "ROCKET_DATABASE_URL": "postgresql+psycopg://web:s3cret@db.example/rocket",
            "ROCKET_DATABASE_ROLE": "rocket_web",
        }
    )
    assert settings.database_url == "postgresql+psycopg://web:s3cret@db.example/rocket"
    assert settings.database_role == "rocket_web"
    assert settings.masked_database_url == "postgresql+psycopg://web:***@db.example/rocket"
    assert "s3cret" not in repr(settings)


def test_settings_read_the_process_environment_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("ROCKET_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    assert Settings.from_env().database_url == f"sqlite:///{tmp_path}/x.db"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://web:s3cret@db.example/rocket", r"use postgresql\+psycopg://"),
        ("postgres://web:s3cret@db.example/rocket", r"use postgresql\+psycopg://"),
        ("postgresql+psycopg2://web:s3cret@db.example/rocket", r"use postgresql\+psycopg://"),
        ("mysql://web:s3cret@db.example/rocket", "SQLite or Postgres"),
        ("not a url", "not a database URL"),
        ("", "empty"),
    ],
)
def test_settings_refuse_other_database_urls_and_hide_the_password(url, says):
    with pytest.raises(SettingsError, match=says) as refused:
        Settings.from_env({"ROCKET_DATABASE_URL": url})
    assert "ROCKET_DATABASE_URL" in str(refused.value)
    assert "s3cret" not in str(refused.value)
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("role", ["", "Rocket-App", "x; DROP TABLE families", "a" * 64])
def test_settings_refuse_a_role_that_is_not_a_plain_name(role):
    with pytest.raises(SettingsError, match="ROCKET_DATABASE_ROLE"):
        Settings.from_env({"ROCKET_DATABASE_ROLE": role})


def test_settings_database_pool_size_defaults_to_ten():
    assert Settings.from_env({}).database_pool_size == 10
    assert Settings().database_pool_size == 10
    assert Settings.from_env({"ROCKET_DATABASE_POOL_SIZE": ""}).database_pool_size == 10


@pytest.mark.parametrize(("text", "size"), [("25", 25), ("1", 1), ("100", 100)])
def test_settings_database_pool_size_comes_from_the_environment(text, size):
    settings = Settings.from_env({"ROCKET_DATABASE_POOL_SIZE": text})
    assert settings.database_pool_size == size
    assert type(settings.database_pool_size) is int


@pytest.mark.parametrize("text", ["0", "101", "-5", "many", "2.5", "1e2"])
def test_settings_refuse_a_database_pool_size_outside_1_to_100(text):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"ROCKET_DATABASE_POOL_SIZE": text})
    assert "ROCKET_DATABASE_POOL_SIZE" in str(refused.value)
    assert text in str(refused.value)  # the value refused
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("size", [0, 101, "10", 10.0])
def test_settings_refuse_a_database_pool_size_given_directly_outside_1_to_100(size):
    with pytest.raises(SettingsError, match="ROCKET_DATABASE_POOL_SIZE"):
        Settings(database_pool_size=size)


# --- rocket db --------------------------------------------------------------------------------


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'rocket.db'}"
    monkeypatch.setenv("ROCKET_DATABASE_URL", url)
    monkeypatch.delenv("ROCKET_DATABASE_ROLE", raising=False)
    return url


def rocket(*args: str):
    return CliRunner().invoke(app, list(args))


def test_upgrade_then_current_shows_the_head(db_url):
    result = rocket("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"database: {db_url}" in result.output
    current = rocket("db", "current")
    assert current.exit_code == 0, current.output
    assert f"revision: {migrate.head()}" in current.output
    assert "up to date" in current.output
    assert migrate.current(db_url) == migrate.head()


def test_current_of_a_new_database_says_none_and_creates_no_file(db_url, tmp_path):
    result = rocket("db", "current")
    assert result.exit_code == 0, result.output
    assert "revision: none (not migrated)" in result.output
    assert f"head:     {migrate.head()}" in result.output
    assert "not up to date" in result.output
    assert not (tmp_path / "rocket.db").exists()


def test_check_fails_before_the_upgrade_and_passes_after(db_url):
    before = rocket("db", "check")
    assert before.exit_code == 1, before.output
    assert "not at head" in before.output
    assert rocket("db", "upgrade").exit_code == 0
    after = rocket("db", "check")
    assert after.exit_code == 0, after.output
    assert "up to date, no drift" in after.output


def test_check_lists_the_drift(db_url):
    assert rocket("db", "upgrade").exit_code == 0
    database = Database(db_url)
    try:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE families ADD COLUMN extra INTEGER")
    finally:
        database.dispose()
    result = rocket("db", "check")
    assert result.exit_code == 1, result.output
    assert "drift: remove_column families.extra" in result.output


def test_downgrade_to_base_then_current_shows_none(db_url):
    assert rocket("db", "upgrade").exit_code == 0
    result = rocket("db", "downgrade", "--revision", "base")
    assert result.exit_code == 0, result.output
    current = rocket("db", "current")
    assert "revision: none (not migrated)" in current.output
    assert migrate.is_empty(db_url)


def test_downgrade_needs_a_revision(db_url):
    result = rocket("db", "downgrade")
    assert result.exit_code == 2
    assert "--revision" in result.output


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["db", "current"], {"ROCKET_DATABASE_URL": "mysql://x"}, "ROCKET_DATABASE_URL"),
        (["db", "check"], {"ROCKET_DATABASE_URL": "postgresql://u:pw@h/d"}, "postgresql+psycopg"),
        (["demo"], {"ROCKET_DATABASE_URL": "mysql://x"}, "ROCKET_DATABASE_URL"),
        (["db", "upgrade"], {"ROCKET_DATABASE_ROLE": "No Role"}, "ROCKET_DATABASE_ROLE"),
        (["db", "upgrade"], {"ROCKET_DATABASE_URL": "sqlite:////no/such/dir/x.db"}, "database"),
        (["db", "downgrade", "--revision", "nope"], {}, "nope"),
    ],
)
def test_errors_are_one_line_on_stderr_with_exit_code_2(db_url, monkeypatch, args, env, says):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = rocket(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rocket: ")
    assert says in lines[0]
    assert "pw@" not in result.output


# --- rocket demo ------------------------------------------------------------------------------


def count(url: str, organisation_id: UUID) -> dict[str, int]:
    database = Database(url)
    try:
        with database.unit_of_work(organisation_id) as uow:
            families = uow.families.list()
            cohorts = uow.cohorts.list()
            return {
                "organisations": int(uow.organisations.find(organisation_id) is not None),
                "families": len(families),
                "students": sum(len(uow.students.list_for_family(f.id)) for f in families),
                "cohorts": len(cohorts),
                "enrolments": sum(len(uow.enrolments.list_for_cohort(c.id)) for c in cohorts),
            }
    finally:
        database.dispose()


def test_rocket_demo_loads_the_school_once_and_shows_it_again(db_url):
    first = rocket("demo", "--today", "2026-11-25")
    assert first.exit_code == 0, first.output
    assert "demo school loaded (seed 1)" in first.output
    assert "Enrolments by status" in first.output
    assert migrate.current(db_url) == migrate.head()
    loaded = count(db_url, demo_organisation_id(1))
    assert loaded["organisations"] == 1
    assert loaded["families"] == 40
    assert 55 <= loaded["students"] <= 65
    assert loaded["enrolments"] >= loaded["students"]

    second = rocket("demo", "--today", "2026-11-25")
    assert second.exit_code == 0, second.output
    assert "demo school already loaded (seed 1): showing it" in second.output
    assert "Seats per cohort" in second.output
    assert count(db_url, demo_organisation_id(1)) == loaded
    assert rocket("db", "check").exit_code == 0


def test_rocket_demo_refuses_a_second_seed_in_the_same_database(db_url):
    assert rocket("demo", "--today", "2026-11-25").exit_code == 0
    result = rocket("demo", "--seed", "2", "--today", "2026-11-25")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "cannot load the demo school (seed 2)" in result.stderr
    assert count(db_url, demo_organisation_id(2))["organisations"] == 0


def test_rocket_demo_in_memory_touches_no_file(db_url, tmp_path):
    result = rocket("demo", "--memory", "--today", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "in memory" in result.output
    assert "Enrolments by status" in result.output
    assert list(tmp_path.iterdir()) == []


def test_rocket_demo_with_a_memory_url_builds_in_memory(monkeypatch, tmp_path):
    monkeypatch.setenv("ROCKET_DATABASE_URL", "memory://")
    result = rocket("demo", "--today", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "in memory" in result.output
    assert "Enrolments by status" in result.output
    assert list(tmp_path.iterdir()) == []


def test_rocket_demo_stores_a_school_built_through_the_use_cases(db_url):
    assert rocket("demo", "--today", "2026-11-25").exit_code == 0
    database = Database(db_url)
    try:
        with database.unit_of_work(demo_organisation_id(1)) as uow:
            organisation = uow.organisations.current()
            assert organisation.name == "Rocket Academy"
            renamed = uow.audit.list_for_entity(organisation.id)
            assert [e.action for e in renamed] == ["organisation.update"]
            family = uow.families.list()[0]
            created = uow.audit.list_for_entity(family.id)
            assert [e.action for e in created] == ["family.create"]
            assert uow.staff.get(created[0].actor_staff_id).role is m.StaffRole.FRONT_DESK
    finally:
        database.dispose()


def test_rocket_demo_refuses_a_half_built_school(db_url, monkeypatch):
    def interrupted(*_args: object) -> None:
        raise RuntimeError("interrupted")

    with monkeypatch.context() as patched:
        patched.setattr(demo_school_module, "plan_journeys", interrupted)
        # an unexpected error: one line and exit code 70 (rocket --debug shows the traceback)
        crashed = rocket("demo", "--today", "2026-11-25")
        assert crashed.exit_code == 70, crashed.output
        assert "rocket: unexpected error: RuntimeError: interrupted" in crashed.stderr
    assert count(db_url, demo_organisation_id(1))["organisations"] == 1
    result = rocket("demo", "--today", "2026-11-25")
    assert result.exit_code == 1, result.output
    assert "cannot load the demo school (seed 1)" in result.stderr
    assert "interrupted run left half-built" in result.stderr
    assert "Traceback" not in result.output
