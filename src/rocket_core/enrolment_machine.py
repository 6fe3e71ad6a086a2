"""The enrolment rulebook: one module-level transitions Machine, the single source of truth.

States and transitions are exactly those of the data model's "Enrolment State Machine".
The machine has no model: entities are never added to it. ``fire`` runs a trigger on any
object with a ``status`` attribute; batch jobs ask ``source_states`` which statuses a trigger
accepts, so their SQL is derived from the same table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from transitions import Machine

from rocket_core.errors import InvalidTransition


class EnrolmentStatus(StrEnum):
    """Enrolment.status: the customer journey from enquiry to its end."""

    ENQUIRY = "enquiry"
    TRIAL = "trial"
    PENDING_PAYMENT = "pending_payment"
    ENROLLED = "enrolled"
    ACTIVE = "active"
    COMPLETED = "completed"
    DROPPED = "dropped"
    TRANSFERRED = "transferred"


class Trigger(StrEnum):
    """The named events that move an enrolment."""

    BOOK_TRIAL = "book_trial"
    REQUEST_PAYMENT = "request_payment"
    CONVERT_TRIAL = "convert_trial"
    PAYMENT_RECEIVED = "payment_received"
    START = "start"
    COMPLETE = "complete"
    DROP = "drop"
    TRANSFER = "transfer"


S = EnrolmentStatus
T = Trigger

#: (trigger, source, destination) — the data model's valid transitions, one row each.
TRANSITIONS: tuple[tuple[Trigger, EnrolmentStatus, EnrolmentStatus], ...] = (
    (T.BOOK_TRIAL, S.ENQUIRY, S.TRIAL),
    (T.REQUEST_PAYMENT, S.ENQUIRY, S.PENDING_PAYMENT),
    (T.DROP, S.ENQUIRY, S.DROPPED),
    (T.CONVERT_TRIAL, S.TRIAL, S.PENDING_PAYMENT),
    (T.DROP, S.TRIAL, S.DROPPED),
    (T.PAYMENT_RECEIVED, S.PENDING_PAYMENT, S.ENROLLED),
    (T.DROP, S.PENDING_PAYMENT, S.DROPPED),
    (T.START, S.ENROLLED, S.ACTIVE),
    (T.DROP, S.ENROLLED, S.DROPPED),
    (T.COMPLETE, S.ACTIVE, S.COMPLETED),
    (T.DROP, S.ACTIVE, S.DROPPED),
    (T.TRANSFER, S.ACTIVE, S.TRANSFERRED),
)

RULES = Machine(
    model=None,
    states=EnrolmentStatus,
    transitions=[
        {"trigger": trigger.value, "source": source, "dest": dest}
        for trigger, source, dest in TRANSITIONS
    ],
    initial=None,
    auto_transitions=False,
    model_attribute="status",
)

#: Statuses in which an enrolment holds one of the cohort's seats.
SEAT_HOLDING_STATES = frozenset({S.PENDING_PAYMENT, S.ENROLLED, S.ACTIVE})


class HasStatus(Protocol):
    """Anything the rulebook can move: an object with an enrolment ``status``."""

    status: EnrolmentStatus


def source_states(trigger: Trigger) -> frozenset[EnrolmentStatus]:
    """The statuses from which ``trigger`` is valid (batch jobs build their WHERE from this)."""
    return frozenset(EnrolmentStatus[name] for name in RULES.events[trigger.value].transitions)


def triggers_from(status: EnrolmentStatus) -> frozenset[Trigger]:
    """The triggers a status accepts; empty for the terminal statuses."""
    return frozenset(Trigger(name) for name in RULES.get_triggers(status))


def destination(status: EnrolmentStatus, trigger: Trigger) -> EnrolmentStatus:
    """Where ``trigger`` takes an enrolment in ``status``; InvalidTransition if it may not."""
    transitions = RULES.events[trigger.value].transitions.get(status.name)
    if not transitions:
        raise InvalidTransition("Enrolment", None, status.value, trigger.value)
    return EnrolmentStatus[str(transitions[0].dest)]


#: Statuses that accept no trigger at all.
TERMINAL_STATES = frozenset(s for s in EnrolmentStatus if not triggers_from(s))


def fire(model: HasStatus, trigger: Trigger) -> EnrolmentStatus:
    """Move ``model`` by ``trigger`` and return its new status.

    An invalid trigger raises InvalidTransition (naming the status and trigger) and leaves
    the model unchanged.
    """
    destination(model.status, trigger)  # validates before anything changes
    RULES.events[trigger.value].trigger(model)
    return model.status
