"""Shared test configuration."""

from pathlib import Path

import pytest

# The backend-independent contract lives outside test modules: let pytest rewrite its asserts.
pytest.register_assert_rewrite("tests.contracts")


@pytest.fixture(autouse=True)
def _no_database_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test runs, the default database is a file of its own, never ./rocket.db."""
    monkeypatch.setenv("ROCKET_DATABASE_URL", f"sqlite:///{tmp_path / 'default-rocket.db'}")
