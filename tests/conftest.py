"""Shared test configuration."""

import pytest

# The backend-independent contract lives outside test modules: let pytest rewrite its asserts.
pytest.register_assert_rewrite("tests.contracts")
