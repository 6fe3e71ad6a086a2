"""Pagination shared by the list routes: ``?limit=&offset=`` in, a Page out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

import attrs
from litestar.params import Parameter

from rocket_core.services.paging import MAX_LIMIT

T = TypeVar("T")

#: ``limit`` query parameter: 1..MAX_LIMIT (200) items per page, 50 by default.
Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"items per page (1-{MAX_LIMIT})")]
#: ``offset`` query parameter: how many items to skip.
Offset = Annotated[int, Parameter(ge=0, description="items to skip")]


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its items, how many there are in all, and where it starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page(items: Sequence[T], limit: int, offset: int) -> Page[T]:
    """The page of ``items`` (already filtered and sorted) from ``offset``."""
    return Page(
        items=list(items[offset : offset + limit]), total=len(items), limit=limit, offset=offset
    )
