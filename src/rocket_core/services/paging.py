"""Paging of the list use cases: one page of items, how many match in all, and where the
page starts. The repository reads the page and counts in the database (two queries,
whatever the size of the list)."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from rocket_core.errors import ValidationError

T = TypeVar("T")

#: The most items one page may hold.
MAX_LIMIT = 200


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list and how many items match in all."""

    items: tuple[T, ...]
    total: int
    limit: int
    offset: int


def check_paging(limit: int, offset: int) -> None:
    """ValidationError unless ``limit`` is 1 to ``MAX_LIMIT`` and ``offset`` 0 or more."""
    for field, value, high in (("limit", limit, MAX_LIMIT), ("offset", offset, None)):
        low = 1 if field == "limit" else 0
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise ValidationError(field, f"must be a whole number {bounds}")


__all__ = ["MAX_LIMIT", "Page", "check_paging"]
