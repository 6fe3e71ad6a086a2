"""Column types that keep the domain's values exact on SQLite and Postgres alike.

- ``Money``: Decimal with two places. NUMERIC(10,2) on Postgres; whole cents in an INTEGER on
  SQLite, whose NUMERIC affinity would store a float (0.1 + 0.2 would not come back exact).
- ``Instant``: timezone-aware datetimes. TIMESTAMPTZ on Postgres; UTC text on SQLite, read back
  as UTC. A naive datetime is refused rather than guessed.
- ``Structured``: value objects (line items, closure dates, settings...) as JSON (JSONB on
  Postgres), converted with cattrs so that Decimal, date and UUID survive the round trip.
- ``enum_column``: enum columns store the enum's values, with a CHECK listing them.
"""

from __future__ import annotations

import enum
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import cattrs
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class Money(sa.types.TypeDecorator[Decimal]):
    """An exact Decimal with ``scale`` places (NUMERIC on Postgres, scaled INTEGER on SQLite)."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 10, scale: int = 2) -> None:
        super().__init__(precision, scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._unit = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, not {type(value).__name__}")
        exact = value.quantize(self._unit)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._unit)
        return Decimal(value).quantize(self._unit)


class Instant(sa.types.TypeDecorator[datetime]):
    """A timezone-aware instant: TIMESTAMPTZ on Postgres, UTC on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value!r} has no time zone: Rocket stores instants only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(UUID, str)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook(datetime, datetime.isoformat)

    def decimal(value: Any, _: type) -> Decimal:
        if isinstance(value, float):
            raise TypeError("refusing a float where a Decimal is stored")
        return Decimal(str(value))

    def is_set(type_: Any) -> bool:
        return type_ in (set, frozenset) or typing.get_origin(type_) in (set, frozenset)

    # JSON has no sets: store them as sorted lists (a stable column value)
    converter.register_unstructure_hook_factory(
        is_set, lambda _: lambda value: sorted(converter.unstructure(item) for item in value)
    )
    converter.register_structure_hook(Decimal, decimal)
    converter.register_structure_hook(UUID, lambda value, _: UUID(str(value)))
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    return converter


#: The one cattrs converter for JSON columns.
converter = _make_converter()


class Structured(sa.types.TypeDecorator[Any]):
    """A value of ``value_type`` (attrs classes, tuples of them, dicts) stored as JSON."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, value_type: Any) -> None:
        super().__init__()
        self.value_type = value_type

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else converter.unstructure(value, self.value_type)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else converter.structure(value, self.value_type)

    def coerce_compared_value(self, op: Any, value: Any) -> sa.types.TypeEngine[Any]:
        return self.impl_instance


def enum_column(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A VARCHAR holding ``enum_class``'s values, with a CHECK constraint named ``name``."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(member.value)) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
