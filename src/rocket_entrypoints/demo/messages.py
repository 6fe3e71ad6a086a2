"""The demo school talks: staff write to families, families write back, and a campus manager
sends an announcement (MessagingService). Each message to a family queues its "new message"
notification through the outbox, as a family's reply queues one for the staff member.

In the current term, as the permission matrix has it:

- The lead instructor of Werribee's Scratch class writes, the day after the sixth class, to
  the family of the student who has mastered the most of those who handed in their project
  that day; the parent replies that evening, and the next morning the lead reads it and
  answers, which the family reads that night.
- Werribee's front desk asks a family of the Python class, after the sixth class, whether
  their child may be photographed at the showcase (a child without photo permission when
  there is one); the parent replies, and the desk reads it the next morning.
- The lead of Box Hill's Python class writes, after the sixth class, to the family of the
  student who has missed the most classes; nobody has read it yet.
- Six days ago Werribee's campus manager announced the end-of-term showcase to the Scratch
  class's families (one message each); about half of them have read it since.

Nothing is written today or later: a step that would fall on today is left out. Draws come
from ``Story.learning`` (see ``learning``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from functools import partial
from uuid import UUID

import attrs

from rocket_core.services.attendance import RollKind
from rocket_entrypoints.demo.builder import FRONT_DESKS, MANAGERS, Story
from rocket_entrypoints.demo.households import Child
from rocket_entrypoints.demo.learning import Learning
from rocket_entrypoints.demo.timetable import CohortPlan

#: The classes (0-based) after which the threads start, and the announcement's day.
PROGRESS_THREAD_AFTER = 5
PHOTO_THREAD_AFTER = 5
MISSED_THREAD_AFTER = 5
ANNOUNCED_DAYS_AGO = 6
#: The share of families that have read the announcement.
READ_SHARE = 0.5


@attrs.define
class Thread:
    """A thread of the story as it goes: its family, its id and the family's last message."""

    family_id: UUID | None = None
    thread_id: UUID | None = None
    family_reply_id: UUID | None = None


def plan_messages(story: Story, plans: list[CohortPlan], learning: Learning) -> None:
    """Queue the current term's threads (once their classes exist) and the announcement."""
    current = {plan.spec.scenario: plan for plan in plans if plan.spec.phase == 0}
    talk = Talk(story, learning)
    scratch = current.get("trial_and_late_joiner")
    if scratch is not None:
        scratch.after_sessions.append(talk.progress_thread)
        day = story.today - timedelta(days=ANNOUNCED_DAYS_AGO)
        if day > scratch.first_day:
            story.at(day, time(12, 0), partial(talk.announce, scratch))
    if "transfer_out_and_drop" in current:
        current["transfer_out_and_drop"].after_sessions.append(talk.photo_thread)
    if "transfer_in" in current:
        current["transfer_in"].after_sessions.append(talk.missed_thread)


class Talk:
    """The messaging story's steps."""

    def __init__(self, story: Story, learning: Learning) -> None:
        self.story = story
        self.learning = learning
        self.rng = story.learning

    @property
    def today(self) -> date:
        """The demo's today."""
        return self.story.today

    def at(self, day: date, at: time, step: Callable[[], object]) -> bool:
        """Queue ``step`` if ``day`` is before today; whether it was queued."""
        if day >= self.today:
            return False
        self.story.at(day, at, step)
        return True

    def after(self, plan: CohortPlan, position: int) -> date | None:
        """The day after the class at ``position`` (None when it is not held before today)."""
        held = plan.held_before(self.today)
        if len(held) <= position:
            return None
        return held[position].scheduled_date + timedelta(days=1)

    # -- the lead and a proud family --------------------------------------------------------

    def progress_thread(self, plan: CohortPlan) -> None:
        """Queue the lead's letter, the parent's reply, the lead's answer and the reading."""
        day = self.after(plan, PROGRESS_THREAD_AFTER)
        thread = Thread()
        if day is None or not self.at(day, time(16, 0), partial(self._praise, plan, thread)):
            return
        self.at(day, time(20, 15), partial(self._family_writes, thread, THANKS))
        next_day = day + timedelta(days=1)
        self.at(next_day, time(9, 10), partial(self._answer, plan.spec.lead, thread, ANSWER))
        self.at(next_day, time(20, 30), partial(self._family_reads, thread))

    def _praise(self, plan: CohortPlan, thread: Thread) -> None:
        came = self.learning.came.get(plan.id, [])
        handed_in = [s for s in came if (s, plan.id) in self.learning.submitted]
        if not handed_in:
            return
        child = max(
            (self.learning.child(s) for s in handed_in),
            key=lambda c: (self.learning.mastered(c.id), -self.story.child_order[c.id]),
        )
        body = (
            f"Hi {_parent(child)},\n\n{child.first_name} has mastered"
            f" {self.learning.mastered(child.id)} skills so far and handed in a great mid-term"
            " project. For a challenge at home, try adding a high-score table to the"
            f" game.\n\n{self._signature(plan.spec.lead)}"
        )
        subject = f"{child.first_name}'s progress in Scratch"
        self._start(plan.spec.lead, child, subject, body, thread)

    # -- the front desk asks ----------------------------------------------------------------

    def photo_thread(self, plan: CohortPlan) -> None:
        """Queue the front desk's question, the parent's answer and the desk's reading."""
        day = self.after(plan, PHOTO_THREAD_AFTER)
        desk = FRONT_DESKS[plan.spec.campus]
        thread = Thread()
        if day is None or not self.at(day, time(11, 0), partial(self._ask, plan, thread)):
            return
        self.at(day, time(19, 40), partial(self._family_writes, thread, PHOTO_ANSWER))
        self.at(day + timedelta(days=1), time(8, 50), partial(self._answer, desk, thread, None))

    def _ask(self, plan: CohortPlan, thread: Thread) -> None:
        came = [self.learning.child(s) for s in self.learning.came.get(plan.id, [])]
        if not came:
            return
        shy = [c for c in came if not c.allow_photo]
        child = shy[0] if shy else self.rng.choice(came)
        asked = (
            f"Our records say {child.first_name} should not be photographed: is that still"
            " right, or may we include them in group photos?"
            if shy
            else f"May we include {child.first_name} in the group photos on our website?"
        )
        body = (
            f"Hi {_parent(child)},\n\nWe will take photos at the end-of-term showcase."
            f" {asked}\n\n{self._signature(FRONT_DESKS[plan.spec.campus])}, front desk"
        )
        subject = "Photos at the showcase"
        self._start(FRONT_DESKS[plan.spec.campus], child, subject, body, thread)

    # -- the lead worries about missed classes ----------------------------------------------

    def missed_thread(self, plan: CohortPlan) -> None:
        """Queue the lead's letter to the family of the student who missed the most."""
        day = self.after(plan, MISSED_THREAD_AFTER)
        if day is not None:
            self.at(day, time(10, 30), partial(self._missed, plan))

    def _missed(self, plan: CohortPlan) -> None:
        """The lead reads the class's rolls so far and writes to the family of the student
        on the last roll who missed the most (absent, excused or unmarked)."""
        lead = self.story.actor(plan.spec.lead)
        held = plan.held_before(self.story.clock.now().date())
        rolls = [
            self.story.attendance.roll(lead, session.id)
            for session in held
            if session.id not in self.story.cancelled_sessions
        ]
        if not rolls:
            return
        missed: dict[UUID, int] = {}
        for roll in rolls:
            for line in roll:
                if line.kind is RollKind.ENROLLED and not line.attended:
                    missed[line.student_id] = missed.get(line.student_id, 0) + 1
        order = self.story.child_order
        counts = [
            (missed.get(line.student_id, 0), -order[line.student_id], line.student_id)
            for line in rolls[-1]
            if line.kind is RollKind.ENROLLED
        ]
        if not counts or max(counts)[0] == 0:
            return
        times, _, student = max(counts)
        child = self.learning.child(student)
        body = (
            f"Hi {_parent(child)},\n\n{child.first_name} has missed {times} of our classes"
            " this term. Is everything all right? A makeup class at either campus can help"
            " them catch up before the projects are shown.\n\n" + self._signature(plan.spec.lead)
        )
        self._start(plan.spec.lead, child, f"{child.first_name} in Python", body, Thread())

    # -- the campus manager announces -------------------------------------------------------

    def announce(self, plan: CohortPlan) -> None:
        """The campus manager announces the showcase to the class's families; some read it
        over the next evenings."""
        manager = self.story.actor(MANAGERS[plan.spec.campus])
        sent = self.story.messaging.announce(
            manager,
            "End-of-term showcase",
            "Our Scratch students will show their games to families in the last class of"
            " term. Come 15 minutes before the end of the class; siblings welcome!",
            cohort_id=plan.id,
        )
        for message in sent:
            if self.rng.random() >= READ_SHARE:
                continue
            day = self.story.clock.now().date() + timedelta(days=self.rng.randrange(1, 4))
            at = time(self.rng.randrange(18, 22), self.rng.randrange(60))
            thread = Thread(message.recipient_family_id, message.thread_id)
            self.at(day, at, partial(self._family_reads, thread))

    # -- shared steps -----------------------------------------------------------------------

    def _signature(self, key: str) -> str:
        """The first name of the staff member ``key``."""
        return (self.story.actor(key).name or "Rocket Academy").split()[0]

    def _start(self, key: str, child: Child, subject: str, body: str, thread: Thread) -> None:
        family_id = child.household.family_id
        if family_id is None:  # pragma: no cover - a child on a roll has a family
            return
        message = self.story.messaging.start_thread(self.story.actor(key), family_id, subject, body)
        thread.family_id, thread.thread_id = family_id, message.thread_id

    def _family_writes(self, thread: Thread, body: str) -> None:
        if thread.family_id is None or thread.thread_id is None:
            return
        message = self.story.messaging.receive_from_family(
            self.story.organisation_id, thread.family_id, thread.thread_id, body
        )
        thread.family_reply_id = message.id

    def _answer(self, key: str, thread: Thread, body: str | None) -> None:
        """The staff member reads the family's message (and answers it with ``body``)."""
        if thread.thread_id is None or thread.family_reply_id is None:
            return
        actor = self.story.actor(key)
        self.story.messaging.mark_read(actor, thread.family_reply_id)
        if body is not None:
            self.story.messaging.reply(actor, thread.thread_id, body)

    def _family_reads(self, thread: Thread) -> None:
        if thread.family_id is None or thread.thread_id is None:
            return
        self.story.messaging.mark_thread_read_by_family(
            self.story.organisation_id, thread.family_id, thread.thread_id
        )


THANKS = (
    "Thanks so much! They have been making games at home every night this week. Is there a"
    " book you would recommend?"
)
ANSWER = (
    "Lovely to hear! The Scratch Coding Cards are a great next step; we have a set in the lab"
    " they can borrow."
)
PHOTO_ANSWER = "Group photos are fine, thank you for checking. Please no close-ups."


def _parent(child: Child) -> str:
    """The first name of the child's primary contact."""
    return child.household.details["primary_contact_name"].split()[0]
