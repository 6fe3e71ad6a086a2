"""The demo school learns: skill trees, progress reviewed in class, and mid-term projects.

Who does what, as the permission matrix has it:

- **Curriculum** (founding day, after the programs): the super admin builds one skill tree
  per program, two levels deep (topics, each with its skills), points the program at it and
  gives every program the school's rubric (functionality, code quality, creativity,
  presentation: 10 points each). On the morning of its first class the lead instructor of
  Box Hill's web design class gives the class a rubric of its own (design weighs more).
- **Progress** (every third class, 25 minutes after it ends, once the roll is taken): the
  lead instructor reviews the students who came, one ``update_roll`` per skill that moved.
  Each skill shown since the last review (by the term's pacing) is mastered as the
  student's own pace allows, or else in progress; at the last review of a term the skills
  still in progress are looked at again; a topic is mastered with its last skill. Other
  skills stay as they are (missed while away, or not mastered yet: the report's next
  skills). At the first review a note the family may read, at the second one private to
  staff; at the second review of the current term two students have slipped back on a
  skill mastered earlier (back to in progress, with a note), so the history shows it.
- **Projects**: at the sixth class (the second review) the students who came hand in a
  project (a link to scratch.mit.edu or replit.com), and those who missed it at the next
  review they come to; the lead grades each batch with the class's rubric two evenings
  later. In the current term's Scratch class the lead regrades the weakest project the day
  after, once the student has fixed it.

Every draw comes from ``Story.learning``, apart from the other draws of the story, so the
rest of the school is the same with or without this one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

import attrs

from rocket_core import model as m
from rocket_core.services.attendance import RollKind
from rocket_entrypoints.demo.builder import Story
from rocket_entrypoints.demo.households import Child
from rocket_entrypoints.demo.timetable import PROGRAMS, CohortPlan

S = m.SkillStatus
#: How far after a class ends its lead updates progress (the roll is taken at 10 minutes).
PROGRESS_AFTER = timedelta(minutes=25)
#: Progress is reviewed after every third class: the classes (0-based, in the term's
#: schedule) at positions 2, 5 and 8.
REVIEW_EVERY = 3
#: The class at which projects are handed in, and the last one at which a student who
#: missed it may still hand theirs in.
MIDTERM = 5
LAST_HAND_IN = 8
#: The last review of a term, at which skills still in progress are looked at again.
SIGN_OFF_AT = 8
#: The reviews at which a note the family may read, and one private to staff, are written.
FAMILY_NOTE_AT = 2
PRIVATE_NOTE_AT = 5
#: The current term's classes in which a student slips back on a mastered skill (the review
#: at which it shows).
SLIPS = {"trial_and_late_joiner": 5, "transfer_in": 5}
#: The class whose lead regrades a project, and the cohort with a rubric of its own.
REGRADED = "trial_and_late_joiner"
OWN_RUBRIC = "drop_and_enquiry"

Topics = tuple[tuple[str, tuple[str, ...]], ...]


@attrs.frozen
class TreeSpec:
    """A program's skill tree: topics (level 0), each with its skills (level 1)."""

    name: str
    description: str
    topics: Topics


TREES: dict[str, TreeSpec] = {
    "Scratch Basics Level 1": TreeSpec(
        "Scratch foundations",
        "Block coding from the first sprite to a game with a score.",
        (
            ("Motion and looks", ("Moving sprites", "Costumes and speech")),
            ("Events", ("Green flag and keys", "Clicking on sprites")),
            ("Loops", ("Repeat and forever", "If-then inside a loop")),
            ("Variables", ("Making a variable", "Keeping score")),
            ("Broadcasts", ("Sending messages", "Switching backdrops")),
        ),
    ),
    "Python Fundamentals": TreeSpec(
        "Python foundations",
        "Text-based programming, from print to dictionaries.",
        (
            ("Variables", ("Strings and numbers", "Input and output")),
            ("Conditionals", ("Comparisons", "if, elif and else")),
            ("Loops", ("for and range", "while loops")),
            ("Functions", ("Defining functions", "Parameters and return values")),
            ("Lists", ("Indexing and slicing", "List methods")),
            ("Dictionaries", ("Keys and values", "Looping over a dictionary")),
        ),
    ),
    "Web Design with HTML & CSS": TreeSpec(
        "Web design",
        "From a first HTML page to a published, responsive site.",
        (
            ("HTML structure", ("Headings and paragraphs", "Links and images")),
            ("CSS basics", ("Selectors and colours", "The box model")),
            ("Layout", ("Flexbox", "Responsive design")),
            ("Publishing", ("Accessibility checks", "Publishing a site")),
        ),
    ),
    "Game Development with Python": TreeSpec(
        "Game development",
        "Arcade games with pygame, from the game loop to a polished level.",
        (
            ("Pygame basics", ("The game loop", "Drawing shapes")),
            ("Sprites", ("Sprite images", "Keyboard movement")),
            ("Collisions", ("Rectangles that collide", "Sprite groups")),
            ("Game state", ("Score and lives", "Levels")),
            ("Polish", ("Sound effects", "Menus and game over")),
        ),
    ),
}


def _criteria(*items: tuple[str, int, str]) -> m.Rubric:
    criteria: tuple[m.RubricCriterion, ...] = tuple(
        m.RubricCriterion(name=name, max_points=Decimal(points), description=description)
        for name, points, description in items
    )
    return m.Rubric(criteria=criteria)  # type: ignore[arg-type]  # attrs converter=tuple


#: Every program's rubric.
RUBRIC = _criteria(
    ("functionality", 10, "It runs and does what it sets out to do."),
    ("code quality", 10, "Clear names, no copy-paste, tidy structure."),
    ("creativity", 10, "An idea of their own, taken further than the example."),
    ("presentation", 10, "Shown to the class and explained."),
)
#: The web design class's own rubric (design weighs more).
WEB_RUBRIC = _criteria(
    ("functionality", 10, "Links work; the pages load on a phone and a laptop."),
    ("code quality", 10, "Valid HTML, tidy CSS."),
    ("design", 15, "Layout, colour and type that suit the content."),
    ("presentation", 5, "Shown to the class and explained."),
)

#: Project titles by program.
TITLES = {
    "Scratch Basics Level 1": (
        "Maze Runner",
        "Cat and Mouse Chase",
        "Space Dodge",
        "Fish Tank",
        "Dance Party",
        "Pong",
        "Catch the Apples",
    ),
    "Python Fundamentals": (
        "Number Guessing Game",
        "Times Tables Quiz",
        "Rock Paper Scissors",
        "Password Checker",
        "Mad Libs",
        "Pocket Money Tracker",
    ),
    "Web Design with HTML & CSS": (
        "My Hobby Site",
        "Band Fan Page",
        "Recipe Book",
        "Travel Blog",
        "Pet Portfolio",
    ),
    "Game Development with Python": (
        "Asteroid Dodger",
        "Platform Jumper",
        "Snake",
        "Breakout",
        "Alien Invaders",
    ),
}
FAMILY_NOTES = (
    "{name} helped a classmate find a bug today: great teamwork.",
    "{name} used today's skill in a project of their own, unprompted. Well done!",
    "{name} asked excellent questions today and explained the answer back to the class.",
)
PRIVATE_NOTES = (
    "Rushes ahead and skips testing: pair with a steadier partner next week.",
    "Quiet in class; check in about the pace before the project.",
    "Needs reminders to save work before the end of class.",
)
SLIP_NOTE = (
    "Could not remember how this works when it came up again today: we are revisiting it"
    " together next class."
)


@attrs.define(eq=False)
class Curriculum:
    """A program's tree as built: its topics (root id, its skills' ids) in tree order."""

    tree_id: UUID
    topics: list[tuple[UUID, list[UUID]]] = attrs.field(factory=list)

    @property
    def skills(self) -> list[UUID]:
        """The skills (leaves) in the order they are taught."""
        return [leaf for _, leaves in self.topics for leaf in leaves]

    @property
    def nodes(self) -> list[UUID]:
        """Every node, topic by topic: its skills, then the topic (mastered with them)."""
        return [node for root, leaves in self.topics for node in (*leaves, root)]

    def taught_by(self, position: int, classes: int) -> int:
        """How many skills have been shown by the class at ``position`` (0-based; none
        before the first) of a term of ``classes`` classes: the skills spread evenly over
        the term."""
        if position < 0:
            return 0
        skills = len(self.skills)
        return min(skills, -(-(position + 1) * skills // max(classes, 1)))


def plan_learning(story: Story, plans: list[CohortPlan]) -> Learning:
    """Queue the curriculum (founding day) and, once each class exists, its reviews,
    projects and own rubric; return the learning story (what it has done so far
    is read by ``messages``)."""
    learning = Learning(story, plans)
    story.at(story.calendar.founded, time(14, 0), learning.curriculum)
    for plan in plans:
        if plan.spec.phase <= 0:
            plan.after_sessions.append(learning.queue_classes)
    return learning


class Learning:
    """The learning story's steps and what the school has learnt so far (as the staff
    recorded it: the story mirrors each status it sets, to draw the next ones)."""

    def __init__(self, story: Story, plans: list[CohortPlan]) -> None:
        self.story = story
        self.rng: random.Random = story.learning
        #: Every child placed in a cohort (a transferred student is on the roster of the
        #: cohort they left).
        self.children = [child for plan in plans for child in plan.roster]
        #: program name -> its tree
        self.curricula: dict[str, Curriculum] = {}
        #: (student id, node id) -> the status staff last gave
        self.status: dict[tuple[UUID, UUID], m.SkillStatus] = {}
        #: student id -> the chance of mastering a skill at a review
        self.pace: dict[UUID, float] = {}
        #: cohort id -> the students who came to its last class reviewed
        self.came: dict[UUID, list[UUID]] = {}
        #: (student id, cohort id) -> the project's id
        self.submitted: dict[tuple[UUID, UUID], UUID] = {}
        #: submission id -> the points it was given
        self.points: dict[UUID, dict[str, Decimal]] = {}
        self.regraded = False

    @property
    def today(self) -> date:
        """The demo's today."""
        return self.story.today

    def child(self, student_id: UUID) -> Child:
        """The child who is the student ``student_id``."""
        return next(c for c in self.children if c.student_id == student_id)

    def mastered(self, student_id: UUID) -> int:
        """How many skills (not topics) the student has mastered, as staff last recorded."""
        skills = {skill for tree in self.curricula.values() for skill in tree.skills}
        return sum(
            status is S.MASTERED and node in skills
            for (student, node), status in self.status.items()
            if student == student_id
        )

    # -- curriculum ------------------------------------------------------------------------

    def curriculum(self) -> None:
        """The super admin builds each program's tree, points the program at it and gives
        it the school's rubric."""
        admin = self.story.actor("admin")
        programs = {p.name: i for p, i in zip(PROGRAMS, self.story.program_ids, strict=True)}
        for program_name, spec in TREES.items():
            tree = self.story.skills.create_tree(admin, spec.name, spec.description)
            built = Curriculum(tree.id)
            for topic, skills in spec.topics:
                root = self.story.skills.add_node(admin, tree.id, topic)
                leaves = [
                    self.story.skills.add_node(admin, tree.id, skill, parent_id=root.id).id
                    for skill in skills
                ]
                built.topics.append((root.id, leaves))
            self.curricula[program_name] = built
            self.story.skills.use_tree(admin, programs[program_name], tree.id)
            self.story.projects.set_rubric(admin, RUBRIC, program_id=programs[program_name])

    def own_rubric(self, plan: CohortPlan) -> None:
        """The class's lead gives it a rubric of its own."""
        lead = self.story.actor(plan.spec.lead)
        self.story.projects.set_rubric(lead, WEB_RUBRIC, cohort_id=plan.id)

    # -- classes ---------------------------------------------------------------------------

    def queue_classes(self, plan: CohortPlan) -> None:
        """Queue the progress review after every third class held before today (and, for
        the class with a rubric of its own, the rubric on the morning of its first class)."""
        if plan.spec.scenario == OWN_RUBRIC and plan.sessions:
            first = plan.sessions[0].scheduled_date
            self.story.at(first, time(9, 0), partial(self.own_rubric, plan))
        for position, session in enumerate(plan.sessions):
            if session.scheduled_date >= self.today:
                break
            if position % REVIEW_EVERY != REVIEW_EVERY - 1:
                continue
            ended = datetime.combine(session.scheduled_date, session.scheduled_end_time)
            at = (ended + PROGRESS_AFTER).time()
            step = partial(self.after_class, plan, position, session)
            self.story.at(session.scheduled_date, at, step)

    def after_class(self, plan: CohortPlan, position: int, session: m.Session) -> None:
        """The lead reviews the progress of the students who came, then notes, slips and
        projects as the term's calendar has them."""
        if session.id in self.story.cancelled_sessions or session.lead_instructor_id is None:
            return
        lead = self.story.actor_of(session.lead_instructor_id)
        roll = self.story.attendance.roll(lead, session.id)
        order = self.story.child_order
        enrolled = sorted(
            (line for line in roll if line.kind is RollKind.ENROLLED),
            key=lambda line: order[line.student_id],
        )
        came = [line.student_id for line in enrolled if line.attended]
        self.came[plan.id] = came
        curriculum = self.curricula[plan.program.name]
        classes = len(plan.sessions)
        taught = curriculum.taught_by(position, classes)
        # the skills shown since the last review; at the end of term, the earlier ones too
        shown = curriculum.taught_by(position - REVIEW_EVERY, classes)
        new = curriculum.skills[shown:taught]
        before = curriculum.skills[:shown] if position == SIGN_OFF_AT else []
        moves: dict[UUID, dict[UUID, m.SkillStatus]] = {}
        for student in came:
            self._learn(student, curriculum, set(new), set(before), moves)
        for node in curriculum.nodes:
            if node in moves:
                self.story.progress.update_roll(lead, plan.id, node, moves[node])
        if not came:
            return
        if position == FAMILY_NOTE_AT:
            self._note(plan, curriculum, came, taught, FAMILY_NOTES, visible=True)
        if position == PRIVATE_NOTE_AT:
            self._note(plan, curriculum, came, taught, PRIVATE_NOTES, visible=False)
        if plan.spec.phase == 0 and SLIPS.get(plan.spec.scenario) == position:
            self._slip(plan, curriculum, came, moves)
        if MIDTERM <= position <= LAST_HAND_IN:
            self._hand_in(plan, session, came)

    def _learn(
        self,
        student: UUID,
        curriculum: Curriculum,
        new: set[UUID],
        before: set[UUID],
        moves: dict[UUID, dict[UUID, m.SkillStatus]],
    ) -> None:
        """One student's review: each ``new`` skill (shown since the last review) is
        mastered at the student's pace, or else in progress; a skill among ``before`` still
        in progress gets a second chance; a topic is mastered with its last skill."""
        pace = self._pace(student)
        for root, leaves in curriculum.topics:
            for leaf in leaves:
                current = self.status.get((student, leaf), S.NOT_STARTED)
                if leaf in new and current is not S.MASTERED:
                    status = S.MASTERED if self.rng.random() < pace else S.IN_PROGRESS
                elif leaf in before and current is S.IN_PROGRESS and self.rng.random() < pace:
                    status = S.MASTERED
                else:
                    continue
                if status is not current:
                    self._move(student, leaf, status, moves)
            statuses = [self.status.get((student, leaf), S.NOT_STARTED) for leaf in leaves]
            topic = self.status.get((student, root), S.NOT_STARTED)
            if topic is S.MASTERED:
                continue  # a skill that slips back later does not undo the topic
            if all(status is S.MASTERED for status in statuses):
                self._move(student, root, S.MASTERED, moves)

    def _move(
        self,
        student: UUID,
        node: UUID,
        status: m.SkillStatus,
        moves: dict[UUID, dict[UUID, m.SkillStatus]],
    ) -> None:
        self.status[(student, node)] = status
        moves.setdefault(node, {})[student] = status

    def _pace(self, student: UUID) -> float:
        if student not in self.pace:
            self.pace[student] = 0.35 + 0.5 * self.rng.random()
        return self.pace[student]

    def _note(
        self,
        plan: CohortPlan,
        curriculum: Curriculum,
        came: list[UUID],
        taught: int,
        texts: Sequence[str],
        *,
        visible: bool,
    ) -> None:
        """A note on the latest skill shown, for one of the students who came."""
        student = self.rng.choice(came)
        skill = curriculum.skills[max(taught - 1, 0)]
        child = self.child(student)
        self.story.progress.update(
            self.story.actor(plan.spec.lead),
            student,
            skill,
            self.status.get((student, skill), S.NOT_STARTED),
            notes=self.rng.choice(texts).format(name=child.first_name),
            notes_visible_to_family=visible,
        )

    def _slip(
        self,
        plan: CohortPlan,
        curriculum: Curriculum,
        came: list[UUID],
        moves: dict[UUID, dict[UUID, m.SkillStatus]],
    ) -> None:
        """A student who came turns out to have forgotten a skill they had mastered at an
        earlier review."""
        slipped = [
            (student, skill)
            for student in came
            for skill in curriculum.skills
            if self.status.get((student, skill)) is S.MASTERED
            and student not in moves.get(skill, {})
        ]
        if not slipped:
            return
        student, skill = self.rng.choice(slipped)
        self.status[(student, skill)] = S.IN_PROGRESS
        self.story.progress.update(
            self.story.actor(plan.spec.lead),
            student,
            skill,
            S.IN_PROGRESS,
            notes=SLIP_NOTE,
            notes_visible_to_family=True,
        )

    # -- projects --------------------------------------------------------------------------

    def _hand_in(self, plan: CohortPlan, session: m.Session, came: list[UUID]) -> None:
        """The students who came and have not handed in their project do so; the lead grades
        the batch two evenings later (if that is before today)."""
        lead = self.story.actor(plan.spec.lead)
        batch = []
        for student in came:
            if (student, plan.id) in self.submitted:
                continue
            child = self.child(student)
            title = self.rng.choice(TITLES[plan.program.name])
            submission = self.story.projects.submit(
                lead,
                student,
                plan.id,
                title,
                project_url=self._url(plan, child.first_name, title),
                description=f"{child.first_name}'s mid-term project: {title.lower()}.",
            )
            self.submitted[(student, plan.id)] = submission.id
            batch.append(submission.id)
        graded_on = session.scheduled_date + timedelta(days=2)
        if batch and graded_on < self.today:
            self.story.at(graded_on, time(19, 30), partial(self._grade, plan, batch))

    def _url(self, plan: CohortPlan, first_name: str, title: str) -> str:
        if plan.program.name.startswith("Scratch"):
            return f"https://scratch.mit.edu/projects/{self.rng.randrange(10**8, 10**9)}/"
        handle = f"{first_name.lower()}{self.rng.randrange(10, 100)}"
        slug = "-".join(title.lower().split())
        return f"https://replit.com/@{handle}/{slug}"

    def _grade(self, plan: CohortPlan, batch: list[UUID]) -> None:
        """The lead marks each project of the batch on the class's rubric."""
        lead = self.story.actor(plan.spec.lead)
        rubric = self.story.projects.rubric(lead, plan.id)
        if rubric is None:
            return
        for submission_id in batch:
            student = next(s for (s, _), sid in self.submitted.items() if sid == submission_id)
            pace = self._pace(student)
            points: dict[str, Decimal] = {}
            for criterion in rubric.criteria:
                share = min(1.0, max(0.3, pace + 0.15 + self.rng.gauss(0, 0.12)))
                points[criterion.name] = _half_points(share * float(criterion.max_points))
            self.points[submission_id] = points
            self.story.projects.grade(lead, submission_id, points, _feedback(rubric, points))
        if plan.spec.scenario == REGRADED and plan.spec.phase == 0 and not self.regraded:
            day = self.story.clock.now().date() + timedelta(days=1)
            if day < self.today:
                self.regraded = True
                self.story.at(day, time(18, 0), partial(self._regrade, plan, batch))

    def _regrade(self, plan: CohortPlan, batch: list[UUID]) -> None:
        """The weakest project was fixed: the lead marks its functionality again."""
        weakest = min(batch, key=lambda sid: (sum(self.points[sid].values()), batch.index(sid)))
        lead = self.story.actor(plan.spec.lead)
        rubric = self.story.projects.rubric(lead, plan.id)
        if rubric is None:
            return
        points = dict(self.points[weakest])
        best = next(c.max_points for c in rubric.criteria if c.name == "functionality")
        points["functionality"] = min(best, points["functionality"] + Decimal(3))
        self.points[weakest] = points
        feedback = "Regraded: the game now ends properly and the score resets. " + _feedback(
            rubric, points
        )
        self.story.projects.grade(lead, weakest, points, feedback)


def _half_points(value: float) -> Decimal:
    """``value`` to the nearest half point."""
    return (Decimal(round(value * 2)) / 2).quantize(Decimal("0.01"))


def _feedback(rubric: m.Rubric, points: dict[str, Decimal]) -> str:
    """The grader's comment: the criterion done best and the one to work on."""
    shares = {c.name: points[c.name] / c.max_points for c in rubric.criteria}
    if len(set(shares.values())) == 1:
        return f"Even work across the board ({sum(points.values())} out of {rubric.max_score})."
    best = max(shares, key=lambda name: (shares[name], name))
    weakest = min(shares, key=lambda name: (shares[name], name))
    return f"Strongest on {best}; next time, put more work into {weakest}."
