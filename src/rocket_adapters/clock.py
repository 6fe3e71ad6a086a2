"""Clocks: the system's, and a fixed one for tests, demos and replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rocket_core.errors import ValidationError
from rocket_core.ports import Clock


class SystemClock(Clock):
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock(Clock):
    """A clock that stays where it is put until moved."""

    def __init__(self, at: datetime) -> None:
        self._at = self._aware(at)

    @staticmethod
    def _aware(at: datetime) -> datetime:
        if at.utcoffset() is None:
            raise ValidationError("FixedClock.at", "must be a timezone-aware datetime")
        return at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to ``at``."""
        self._at = self._aware(at)

    def advance(self, by: timedelta) -> None:
        """Move forward by ``by``."""
        self._at += by
