"""The state shared by the demo's building steps: randomness, the unit of work, the plan."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core import model as m
from rocket_core.ports import UnitOfWork

MELBOURNE = "Australia/Melbourne"
TERM_WEEKS = 10


@attrs.define
class CohortPlan:
    """A cohort being built, with what its scenario needs."""

    cohort: m.Cohort
    program: m.Program
    phase: int  # -1 last term, 0 this term, 1 next term
    scenario: str
    sessions: list[m.Session]
    lead: m.Staff
    assistant: m.Staff
    nodes: list[m.SkillNode]


class Builder:
    """Holds the random source, the unit of work and what has been built so far."""

    def __init__(self, uow: UnitOfWork, rng: random.Random, today: date) -> None:
        self.uow = uow
        self.rng = rng
        self.today = today
        self.org_id = uow.organisation_id
        self.campuses: list[m.Campus] = []
        self.leads: list[m.Staff] = []
        self.assistants: list[m.Staff] = []
        self.plans: list[CohortPlan] = []
        term_start = today - timedelta(days=today.weekday()) - timedelta(weeks=7)
        #: phase -> (first day, last day) of a 10-week term; terms are 3 weeks apart
        self.terms = {
            phase: (
                term_start + timedelta(weeks=phase * (TERM_WEEKS + 3)),
                term_start + timedelta(weeks=phase * (TERM_WEEKS + 3) + TERM_WEEKS, days=-1),
            )
            for phase in (-1, 0, 1)
        }

    def uuid(self) -> UUID:
        """A reproducible version-4 UUID from the seed."""
        return UUID(int=self.rng.getrandbits(128), version=4)

    def instant(self, day: date, at: time) -> datetime:
        """A Melbourne wall-clock time as a UTC instant."""
        return datetime.combine(day, at, ZoneInfo(MELBOURNE)).astimezone(UTC)

    def created(self, day: date) -> datetime:
        """A creation stamp on ``day`` (9 am in Melbourne)."""
        return self.instant(day, time(9, 0))
