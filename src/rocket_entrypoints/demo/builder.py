"""The demo's story engine: the school's calendar, the services it acts through, and a clock
that only moves forward.

The demo does not write entities: staff do things through the application services, each
at a moment of the school's history. Steps are queued with ``Story.at(day, time, step)`` and
``Story.run()`` plays them in time order, moving the FixedClock to each step's moment (so
"a new cohort cannot start in the past", offer deadlines and the attendance edit window all
hold as they would for real staff). Before the first step of each day the nightly job
(``LifecycleService.run_nightly``) runs for that day, at 00:05; it catches up on days the
story skipped, so this is the same as running it every night.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_adapters.clock import FixedClock
from rocket_adapters.notification_templates import JinjaTemplateRenderer
from rocket_adapters.payments_offline import OfflineGateway
from rocket_core.events import EventBus
from rocket_core.permissions import Actor
from rocket_core.ports import UnitOfWorkFactory
from rocket_core.services.attendance import AttendanceService
from rocket_core.services.base import actor_for
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.families import FamilyService
from rocket_core.services.invoicing import InvoicingService
from rocket_core.services.lifecycle import LifecycleService
from rocket_core.services.makeup import MakeupService
from rocket_core.services.messaging import MessagingService
from rocket_core.services.notifications import NotificationService
from rocket_core.services.organisation import NO_PASSWORD, OrganisationService
from rocket_core.services.payments import PaymentService
from rocket_core.services.progress import ProgressService
from rocket_core.services.projects import ProjectService
from rocket_core.services.scheduling import SchedulingService
from rocket_core.services.skills import SkillTreeService

MELBOURNE = "Australia/Melbourne"
TERM_WEEKS = 10
#: When the nightly job runs, local time.
NIGHTLY_AT = time(0, 5)
#: By campus index: the key of the campus's manager and of its front desk (see school.STAFF).
MANAGERS = ("priya", "ben")
FRONT_DESKS = ("morgan", "dana")

Step = Callable[[], object]


def instant(day: date, at: time) -> datetime:
    """A Melbourne wall-clock time as an aware instant."""
    return datetime.combine(day, at, ZoneInfo(MELBOURNE))


@attrs.frozen
class Calendar:
    """The demo's dates, all derived from "today".

    Three 10-week terms three weeks apart: the past one (phase -1), the current one (phase 0,
    in its eighth week today) and the next one (phase 1, starting in about six weeks). The
    school was founded ten weeks before the past term; enrolment for a term opens eight
    weeks before it starts.
    """

    today: date

    @property
    def current_start(self) -> date:
        """Monday of the current term's first week (seven weeks before this week)."""
        return self.today - timedelta(days=self.today.weekday(), weeks=7)

    def term(self, phase: int) -> tuple[date, date]:
        """First and last day (Monday to Sunday) of the term of ``phase``."""
        first = self.current_start + timedelta(weeks=phase * (TERM_WEEKS + 3))
        return first, first + timedelta(weeks=TERM_WEEKS, days=-1)

    def opens(self, phase: int) -> date:
        """The day the term's cohorts are created and enrolment opens."""
        return self.term(phase)[0] - timedelta(weeks=8)

    @property
    def founded(self) -> date:
        """The day the organisation and its first super admin were set up."""
        return self.term(-1)[0] - timedelta(weeks=10)


class Story:
    """The services over ``make_uow``, sharing a FixedClock and an EventBus (with billing's
    handlers subscribed, as ``container.application`` does), and the queue of steps still to
    play. Also what the steps have built so far (ids by name)."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        organisation_id: UUID,
        rng: random.Random,
        today: date,
        *,
        money: random.Random | None = None,
        learning: random.Random | None = None,
        password_hash: str = NO_PASSWORD,
    ) -> None:
        self.make_uow = make_uow
        self.organisation_id = organisation_id
        #: Every demo staff member's password hash (the demo password, or none).
        self.password_hash = password_hash
        self.rng = rng
        #: The draws of the money story (how families pay), apart from ``rng`` so that the
        #: rest of the school does not change with them.
        self.money = money or random.Random(0)
        #: The draws of the learning and messaging story (``learning``, ``messages``), apart
        #: from the others for the same reason.
        self.learning = learning or random.Random(1)
        self.calendar = Calendar(today)
        self.clock = FixedClock(instant(self.calendar.founded, time(8, 0)))
        bus = EventBus()
        self.organisation = OrganisationService(make_uow, self.clock, bus)
        self.scheduling = SchedulingService(make_uow, self.clock, bus)
        self.families = FamilyService(make_uow, self.clock, bus)
        self.enrolment = EnrolmentService(make_uow, self.clock, bus)
        self.makeup = MakeupService(make_uow, self.clock, bus)
        self.attendance = AttendanceService(make_uow, self.clock, bus)
        self.invoicing = InvoicingService(make_uow, self.clock, bus)
        #: No card provider: card payments are taken on the desk's own terminal and recorded
        #: without a PaymentIntent, like cash, cheques and bank transfers.
        self.payments = PaymentService(make_uow, self.clock, bus, OfflineGateway())
        self.skills = SkillTreeService(make_uow, self.clock, bus)
        self.progress = ProgressService(make_uow, self.clock, bus)
        self.projects = ProjectService(make_uow, self.clock, bus)
        self.messaging = MessagingService(make_uow, self.clock, bus)
        # Billing runs as it does for staff (``container.application``): every enrolment
        # awaiting payment gets its invoice, and a family's credit pays new invoices.
        self.invoicing.subscribe()
        self.payments.subscribe()
        # ... and families are notified through the outbox (queued, not sent: the
        # dispatcher sends them when it runs).
        self.notifications = NotificationService(make_uow, self.clock, bus, JinjaTemplateRenderer())
        self.notifications.subscribe()
        self.lifecycle = LifecycleService(
            make_uow,
            self.clock,
            bus,
            offers=self.enrolment,
            tokens=self.makeup,
            invoices=self.invoicing,
        )
        #: staff key ("admin", "priya", ...) -> staff id
        self.staff: dict[str, UUID] = {}
        self.campus_ids: list[UUID] = []
        self.program_ids: list[UUID] = []
        #: (student id, cohort id) -> the enrolment's id
        self.enrolments: dict[tuple[UUID, UUID], UUID] = {}
        self.cancelled_sessions: set[UUID] = set()
        #: student id -> the order the student was added in (a stable order for draws)
        self.child_order: dict[UUID, int] = {}
        self.nightly_runs = 0
        self._queue: list[tuple[datetime, int, Step]] = []
        self._order = itertools.count()
        self._actors: dict[UUID, Actor] = {}
        # Nothing is due on the founding day, before the organisation exists.
        self._nightly_done = self.calendar.founded

    @property
    def today(self) -> date:
        """The demo's "today": the day the school is shown as it stands."""
        return self.calendar.today

    # -- time ----------------------------------------------------------------------------

    def at(self, day: date, at: time, step: Step) -> None:
        """Queue ``step`` for ``day`` at ``at`` (Melbourne time); never in the past."""
        when = instant(day, at)
        if when < self.clock.now():
            raise ValueError(f"the story cannot go back to {when.isoformat()}")
        heapq.heappush(self._queue, (when, next(self._order), step))

    def run(self) -> None:
        """Play every queued step in time order (steps may queue later ones)."""
        while self._queue:
            when, _, step = heapq.heappop(self._queue)
            self.night(when.date())
            self.clock.set(when)
            step()

    def night(self, day: date) -> None:
        """Run the nightly job for ``day`` at 00:05 unless it already ran for it."""
        if day <= self._nightly_done:
            return
        self.clock.set(instant(day, NIGHTLY_AT))
        self.lifecycle.run_nightly(self.organisation_id, day, self.clock.now())
        self._nightly_done = day
        self.nightly_runs += 1

    # -- who acts ------------------------------------------------------------------------

    def actor(self, key: str) -> Actor:
        """The Actor of the staff member ``key``, with their current assignments."""
        staff_id = self.staff[key]
        if staff_id not in self._actors:
            self._actors[staff_id] = actor_for(self.make_uow, self.organisation_id, staff_id)
        return self._actors[staff_id]

    def actor_of(self, staff_id: UUID) -> Actor:
        """The Actor of a staff member by id."""
        key = next(k for k, v in self.staff.items() if v == staff_id)
        return self.actor(key)

    def assignments_changed(self) -> None:
        """Staff were assigned to campuses or cohorts: reload their Actors when next used."""
        self._actors.clear()
