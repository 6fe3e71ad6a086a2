"""The demo's catalogue: programs, then each term's cohorts with their sessions and
instructors, created by staff through the scheduling use cases.

Each program's skill tree and rubric are set up by the learning story (``learning.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from functools import partial
from uuid import UUID

import attrs

from rocket_core import model as m
from rocket_entrypoints.demo.builder import MANAGERS, Story
from rocket_entrypoints.demo.households import Child


@attrs.frozen
class ProgramSpec:
    """A program of the catalogue."""

    name: str
    description: str
    ages: tuple[int, int]
    level: m.SkillLevel
    minutes: int
    price: str


PROGRAMS = (
    ProgramSpec(
        "Scratch Basics Level 1",
        "Block coding: sprites, loops and events, ending with a game of their own.",
        (7, 9),
        m.SkillLevel.BEGINNER,
        60,
        "320.00",
    ),
    ProgramSpec(
        "Python Fundamentals",
        "Text-based programming: variables, decisions, loops and functions.",
        (10, 13),
        m.SkillLevel.BEGINNER,
        90,
        "420.00",
    ),
    ProgramSpec(
        "Web Design with HTML & CSS",
        "Build and publish a personal website.",
        (11, 15),
        m.SkillLevel.INTERMEDIATE,
        90,
        "420.00",
    ),
    ProgramSpec(
        "Game Development with Python",
        "Arcade games with pygame: sprites, collisions, levels and scores.",
        (13, 17),
        m.SkillLevel.ADVANCED,
        120,
        "480.00",
    ),
)


@attrs.frozen
class CohortSpec:
    """A cohort to schedule (campus and program by index; phase -1 past term, 0 current,
    1 next; weekday as ``date.weekday()``)."""

    campus: int
    program: int
    phase: int
    weekday: int
    start: time
    capacity: int
    scenario: str
    lead: str
    assistant: str


COHORTS = (
    CohortSpec(0, 0, 0, 1, time(16, 0), 10, "trial_and_late_joiner", "jordan", "riley"),
    CohortSpec(0, 1, 0, 2, time(16, 30), 10, "transfer_out_and_drop", "sam", "ari"),
    CohortSpec(0, 2, -1, 3, time(16, 30), 10, "past", "jordan", "riley"),
    CohortSpec(0, 3, 1, 5, time(10, 0), 10, "next_term_mix", "casey", "riley"),
    CohortSpec(1, 0, 1, 5, time(9, 30), 6, "waitlist", "taylor", "jamie"),
    CohortSpec(1, 1, 0, 4, time(16, 30), 12, "transfer_in", "taylor", "jamie"),
    CohortSpec(1, 2, 0, 1, time(17, 0), 10, "drop_and_enquiry", "casey", "ari"),
    CohortSpec(1, 3, -1, 1, time(16, 0), 10, "past", "taylor", "jamie"),
)


@attrs.define(eq=False)
class CohortPlan:
    """A cohort of the story: its spec, and what was built for it once created."""

    spec: CohortSpec
    program: ProgramSpec
    first_day: date
    last_day: date
    name: str
    cohort_id: UUID | None = None
    sessions: list[m.Session] = attrs.field(factory=list)
    #: Students placed in it, in the order its story uses them.
    roster: list[Child] = attrs.field(factory=list)
    #: Called once the cohort has its sessions (to queue the steps that need them).
    after_sessions: list[Callable[[CohortPlan], None]] = attrs.field(factory=list)

    @property
    def id(self) -> UUID:
        """The cohort's id (once created)."""
        if self.cohort_id is None:
            raise LookupError(f"cohort {self.name} is not created yet")
        return self.cohort_id

    def held_before(self, day: date) -> list[m.Session]:
        """Its sessions dated before ``day``."""
        return [s for s in self.sessions if s.scheduled_date < day]


def plan_catalogue(story: Story) -> list[CohortPlan]:
    """Queue the programs (founding day) and each term's cohorts (the day its enrolment
    opens); return the cohorts' plans."""
    story.at(story.calendar.founded, time(11, 0), lambda: _programs(story))
    plans = []
    for index, spec in enumerate(COHORTS):
        program = PROGRAMS[spec.program]
        first, last = story.calendar.term(spec.phase)
        campus = ("Werribee", "Box Hill")[spec.campus]
        plan = CohortPlan(
            spec=spec,
            program=program,
            first_day=first,
            last_day=last,
            name=f"{program.name} - {campus} {_season(first)}",
        )
        plans.append(plan)
        opens = story.calendar.opens(spec.phase)
        story.at(opens, time(10, index), partial(_cohort, story, plan))
    return plans


def _programs(story: Story) -> None:
    admin = story.actor("admin")
    for spec in PROGRAMS:
        program = story.scheduling.create_program(
            admin,
            name=spec.name,
            description=spec.description,
            age_min=spec.ages[0],
            age_max=spec.ages[1],
            skill_level=spec.level,
            duration_weeks=10,
            session_duration_minutes=spec.minutes,
            default_price=Decimal(spec.price),
        )
        story.program_ids.append(program.id)


def _cohort(story: Story, plan: CohortPlan) -> None:
    """The campus manager schedules the cohort, generates its weekly sessions with its lead,
    adds its teaching assistant and opens it for enrolment."""
    spec = plan.spec
    manager = story.actor(MANAGERS[spec.campus])
    cohort = story.scheduling.create_cohort(
        manager,
        program_id=story.program_ids[spec.program],
        campus_id=story.campus_ids[spec.campus],
        name=plan.name,
        start_date=plan.first_day,
        end_date=plan.last_day,
        max_capacity=spec.capacity,
        room=f"Lab {1 + spec.program % 2}",
    )
    plan.cohort_id = cohort.id
    generated = story.scheduling.generate_sessions(
        manager,
        cohort.id,
        weekdays={spec.weekday},
        start_time=spec.start,
        lead_instructor_id=story.staff[spec.lead],
    )
    plan.sessions = list(generated.sessions)
    story.scheduling.assign_cohort_staff(
        manager, cohort.id, story.staff[spec.assistant], m.CohortStaffRole.TEACHING_ASSISTANT
    )
    story.scheduling.open_cohort(manager, cohort.id)
    story.assignments_changed()
    for hook in plan.after_sessions:
        hook(plan)


def _season(first: date) -> str:
    seasons: tuple[str, ...] = ("Summer", "Summer", "Autumn", "Autumn", "Autumn", "Winter")
    seasons += ("Winter", "Winter", "Spring", "Spring", "Spring", "Summer")
    return f"{seasons[first.month - 1]} {first.year}"
