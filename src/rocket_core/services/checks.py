"""Small helpers shared by the service modules: which fields a use case may change, what a
change would actually alter, plain conditions that raise ValidationError, entities by id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar
from uuid import UUID

from rocket_core.errors import ValidationError
from rocket_core.model import Entity

E = TypeVar("E", bound=Entity)


def by_id(entities: Iterable[E]) -> dict[UUID, E]:
    """The entities keyed by their ids (what a bulk ``find_many`` is looked up through)."""
    return {entity.id: entity for entity in entities}


def require(condition: bool, field: str, rule: str) -> None:
    """ValidationError(field, rule) unless ``condition`` holds."""
    if not condition:
        raise ValidationError(field, rule)


def only_fields(
    names: Iterable[str],
    allowed: frozenset[str] | set[str],
    entity: str,
    rule: str = "cannot be changed here",
) -> None:
    """Refuse fields a use case does not change (identity, status, history): the first of
    ``names`` in sorted order that is not ``allowed`` is a ValidationError "<entity>.<name>"."""
    for name in sorted(names):
        if name not in allowed:
            raise ValidationError(f"{entity}.{name}", rule)


def changed_fields(entity: object, changes: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value ``changes`` would alter, as {field: [before, after]}."""
    return {
        name: [getattr(entity, name), value]
        for name, value in changes.items()
        if getattr(entity, name) != value
    }
