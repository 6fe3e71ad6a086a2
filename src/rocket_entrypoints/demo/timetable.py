"""The demo's catalogue: skill trees, programs, cohorts, their sessions and instructors."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import attrs

from rocket_core import model as m
from rocket_entrypoints.demo.builder import Builder, CohortPlan


@attrs.frozen
class ProgramSpec:
    name: str
    description: str
    ages: tuple[int, int]
    level: m.SkillLevel
    minutes: int
    price: str
    topics: tuple[tuple[str, tuple[str, ...]], ...]


PROGRAMS = (
    ProgramSpec(
        "Scratch Basics Level 1",
        "Block coding: sprites, loops and events, ending with a game of their own.",
        (7, 9),
        m.SkillLevel.BEGINNER,
        60,
        "320.00",
        (
            ("Sprites and stage", ("Costumes", "Motion blocks")),
            ("Events", ("Green flag", "Key presses")),
            ("Loops", ("Repeat", "Forever")),
        ),
    ),
    ProgramSpec(
        "Python Fundamentals",
        "Text-based programming: variables, decisions, loops and functions.",
        (10, 13),
        m.SkillLevel.BEGINNER,
        90,
        "420.00",
        (
            ("Basics", ("Variables", "Input and output")),
            ("Control flow", ("If statements", "While loops", "For loops")),
            ("Functions", ("Defining functions", "Parameters and return")),
        ),
    ),
    ProgramSpec(
        "Web Design with HTML & CSS",
        "Build and publish a personal website.",
        (11, 15),
        m.SkillLevel.INTERMEDIATE,
        90,
        "420.00",
        (
            ("HTML", ("Elements", "Links and images", "Forms")),
            ("CSS", ("Selectors", "Flexbox")),
        ),
    ),
    ProgramSpec(
        "Game Development with Python",
        "Arcade games with pygame: sprites, collisions, levels and scores.",
        (13, 17),
        m.SkillLevel.ADVANCED,
        120,
        "480.00",
        (
            ("Game loop", ("Drawing", "Timing")),
            ("Gameplay", ("Collisions", "Scoring", "Levels")),
        ),
    ),
)

#: (campus, program, term offset -1 past / 0 current / 1 next, weekday, start, capacity, scenario)
COHORTS = (
    (0, 0, 0, 1, time(16, 0), 10, "trial_and_late_joiner"),
    (0, 1, 0, 2, time(16, 30), 10, "transfer_out_and_drop"),
    (0, 2, -1, 3, time(16, 30), 10, "past"),
    (0, 3, 1, 5, time(10, 0), 10, "next_term_mix"),
    (1, 0, 1, 5, time(9, 30), 6, "waitlist"),
    (1, 1, 0, 4, time(16, 30), 12, "transfer_in"),
    (1, 2, 0, 1, time(17, 0), 10, "drop_and_enquiry"),
    (1, 3, -1, 2, time(16, 0), 10, "past"),
)


def build_catalogue(b: Builder) -> None:
    """Skill trees and programs, then the cohorts with sessions and staff."""
    programs = [_program(b, spec) for spec in PROGRAMS]
    for campus_index, program_index, phase, weekday, start, capacity, scenario in COHORTS:
        program, nodes = programs[program_index]
        campus = b.campuses[campus_index]
        lead = b.leads[(2 * campus_index + program_index) % len(b.leads)]
        assistant = b.assistants[(campus_index + program_index) % len(b.assistants)]
        first, last = b.terms[phase]
        season = _season(first)
        cohort = m.Cohort(
            id=b.uuid(),
            organisation_id=b.org_id,
            program_id=program.id,
            campus_id=campus.id,
            name=f"{program.name} - {campus.name.removesuffix(' Campus')} {season}",
            start_date=first,
            end_date=last,
            max_capacity=capacity,
            tuition_price=program.default_price,
            room=f"Lab {1 + program_index % 2}",
            created_at=b.created(first - timedelta(weeks=6)),
        )
        b.uow.cohorts.add(cohort)
        cohort.open()
        for staff, role in (
            (lead, m.CohortStaffRole.LEAD_INSTRUCTOR),
            (assistant, m.CohortStaffRole.TEACHING_ASSISTANT),
        ):
            b.uow.cohort_staff.add(
                m.CohortStaff(
                    id=b.uuid(),
                    organisation_id=b.org_id,
                    cohort_id=cohort.id,
                    staff_id=staff.id,
                    role=role,
                    assigned_at=cohort.created_at,
                )
            )
        sessions = _sessions(b, cohort, campus, weekday, start, program, lead, assistant)
        b.plans.append(
            CohortPlan(cohort, program, phase, scenario, sessions, lead, assistant, nodes)
        )


def _season(first: date) -> str:
    seasons: tuple[str, ...] = ("Summer", "Summer", "Autumn", "Autumn", "Autumn", "Winter")
    seasons += ("Winter", "Winter", "Spring", "Spring", "Spring", "Summer")
    return f"{seasons[first.month - 1]} {first.year}"


def _program(b: Builder, spec: ProgramSpec) -> tuple[m.Program, list[m.SkillNode]]:
    founded = b.terms[-1][0] - timedelta(days=300)
    tree = m.SkillTree(
        id=b.uuid(),
        organisation_id=b.org_id,
        name=spec.name,
        description=f"Skills taught in {spec.name}",
        created_at=b.created(founded),
    )
    b.uow.skill_trees.add(tree)
    nodes: list[m.SkillNode] = []
    for topic_order, (topic, skills) in enumerate(spec.topics):
        root = m.SkillNode(
            id=b.uuid(),
            organisation_id=b.org_id,
            skill_tree_id=tree.id,
            name=topic,
            order=topic_order,
            created_at=tree.created_at,
        )
        nodes.append(root)
        for order, skill in enumerate(skills):
            child = root.child(name=skill, order=order)
            child.id = b.uuid()
            child.created_at = tree.created_at
            nodes.append(child)
    for node in nodes:
        b.uow.skill_nodes.add(node)
    program = m.Program(
        id=b.uuid(),
        organisation_id=b.org_id,
        name=spec.name,
        description=spec.description,
        age_min=spec.ages[0],
        age_max=spec.ages[1],
        skill_level=spec.level,
        duration_weeks=10,
        session_duration_minutes=spec.minutes,
        default_price=Decimal(spec.price),
        skill_tree_id=tree.id,
        created_at=b.created(founded),
    )
    b.uow.programs.add(program)
    # tree order: each topic followed by its skills
    return program, nodes


def _sessions(
    b: Builder,
    cohort: m.Cohort,
    campus: m.Campus,
    weekday: int,
    start: time,
    program: m.Program,
    lead: m.Staff,
    assistant: m.Staff,
) -> list[m.Session]:
    """Weekly sessions between the cohort's dates, skipping the campus's closure dates."""
    end_time = _add_minutes(start, program.session_duration_minutes or 60)
    day = cohort.start_date + timedelta(days=(weekday - cohort.start_date.weekday()) % 7)
    sessions: list[m.Session] = []
    while day <= cohort.end_date:
        if not campus.is_closed_on(day):
            session = m.Session(
                id=b.uuid(),
                organisation_id=b.org_id,
                cohort_id=cohort.id,
                session_number=len(sessions) + 1,
                scheduled_date=day,
                scheduled_start_time=start,
                scheduled_end_time=end_time,
                lead_instructor_id=lead.id,
                created_at=cohort.created_at,
            )
            b.uow.sessions.add(session)
            if session.session_number % 2 == 1:
                b.uow.session_staff.add(
                    m.SessionStaff(
                        id=b.uuid(),
                        organisation_id=b.org_id,
                        session_id=session.id,
                        staff_id=assistant.id,
                        assigned_at=cohort.created_at,
                    )
                )
            sessions.append(session)
        day += timedelta(weeks=1)
    return sessions


def _add_minutes(start: time, minutes: int) -> time:
    total = start.hour * 60 + start.minute + minutes
    return time(total // 60, total % 60)
