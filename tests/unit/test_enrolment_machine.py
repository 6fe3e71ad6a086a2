"""The enrolment rulebook against section 4 of the data model ("Enrolment State Machine").

The expected transitions are written out here literally, independently of the code, and
compared with what the ``transitions`` Machine itself holds. A Hypothesis state machine then
drives real Enrolment entities through random triggers and checks the entity's invariants.
"""

from __future__ import annotations

from collections import deque
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from rocket_core import enrolment_machine as machine
from rocket_core.enrolment_machine import RULES, EnrolmentStatus, Trigger
from rocket_core.errors import Conflict, InvalidTransition, ValidationError
from rocket_core.events import EnrolmentStatusChanged
from rocket_core.model.enrolment import Enrolment

# -- the data model, written out by hand ---------------------------------------------------

#: data-model.md §4 "Valid Transitions", one (source, dest) pair per line of the spec.
DATA_MODEL_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("enquiry", "trial"),
        ("enquiry", "pending_payment"),
        ("enquiry", "dropped"),
        ("trial", "pending_payment"),
        ("trial", "dropped"),
        ("pending_payment", "enrolled"),
        ("pending_payment", "dropped"),
        ("enrolled", "active"),
        ("enrolled", "dropped"),
        ("active", "completed"),
        ("active", "dropped"),
        ("active", "transferred"),
    }
)

#: The same transitions with the trigger that fires each one: (source, trigger) -> dest.
TRIGGER_TABLE: dict[tuple[str, str], str] = {
    ("enquiry", "book_trial"): "trial",
    ("enquiry", "request_payment"): "pending_payment",
    ("enquiry", "drop"): "dropped",
    ("trial", "convert_trial"): "pending_payment",
    ("trial", "drop"): "dropped",
    ("pending_payment", "payment_received"): "enrolled",
    ("pending_payment", "drop"): "dropped",
    ("enrolled", "start"): "active",
    ("enrolled", "drop"): "dropped",
    ("active", "complete"): "completed",
    ("active", "drop"): "dropped",
    ("active", "transfer"): "transferred",
}

ALL_STATES = frozenset(
    {
        "enquiry",
        "trial",
        "pending_payment",
        "enrolled",
        "active",
        "completed",
        "dropped",
        "transferred",
    }
)
ALL_TRIGGERS = frozenset(
    {
        "book_trial",
        "request_payment",
        "convert_trial",
        "payment_received",
        "start",
        "complete",
        "drop",
        "transfer",
    }
)
TERMINAL = frozenset({"completed", "dropped", "transferred"})
SEAT_HOLDING = frozenset({"pending_payment", "enrolled", "active"})
WAITLIST_STATES = frozenset({"enquiry", "trial"})

#: How to reach each live status from enquiry without ending the journey.
FORWARD_PATHS: dict[str, list[str]] = {
    "enquiry": [],
    "trial": ["book_trial"],
    "pending_payment": ["request_payment"],
    "enrolled": ["request_payment", "payment_received"],
    "active": ["request_payment", "payment_received", "start"],
}

ORG = uuid4()
DAY = date(2025, 2, 3)


def machine_triples() -> set[tuple[str, str, str]]:
    """(trigger, source value, dest value) for every transition the RULES machine holds."""
    triples = set()
    for trigger, event in RULES.events.items():
        for source_name, transitions in event.transitions.items():
            for transition in transitions:
                triples.add(
                    (
                        trigger,
                        EnrolmentStatus[source_name].value,
                        EnrolmentStatus[str(transition.dest)].value,
                    )
                )
    return triples


def new_enrolment(**overrides: Any) -> Enrolment:
    fields: dict[str, Any] = {
        "organisation_id": ORG,
        "student_id": uuid4(),
        "cohort_id": uuid4(),
    }
    fields.update(overrides)
    return Enrolment(**fields)


def transfer_target(enrolment: Enrolment, **overrides: Any) -> Enrolment:
    """The same student's enrolment in another cohort."""
    return new_enrolment(
        organisation_id=enrolment.organisation_id,
        student_id=enrolment.student_id,
        **overrides,
    )


def enrolment_in(status: str, **overrides: Any) -> Enrolment:
    """An enrolment brought to ``status`` through the entity's own methods."""
    enrolment = new_enrolment(**overrides)
    path = {
        "enquiry": [],
        "trial": ["book_trial"],
        "pending_payment": ["request_payment"],
        "enrolled": ["request_payment", "payment_received"],
        "active": ["request_payment", "payment_received", "start"],
        "completed": ["request_payment", "payment_received", "start", "complete"],
        "dropped": ["drop"],
        "transferred": ["request_payment", "payment_received", "start", "transfer"],
    }[status]
    for trigger in path:
        call(enrolment, trigger, DAY)
    assert enrolment.status.value == status
    enrolment.pull_events()
    return enrolment


def call(
    enrolment: Enrolment,
    trigger: str,
    on: date,
    target: Enrolment | None = None,
    session: UUID | None = None,
) -> None:
    """Fire ``trigger`` through the entity method that owns it."""
    if trigger == "book_trial":
        enrolment.book_trial(session or uuid4())
    elif trigger == "request_payment":
        enrolment.request_payment()
    elif trigger == "convert_trial":
        enrolment.convert_trial()
    elif trigger == "payment_received":
        enrolment.payment_received()
    elif trigger == "start":
        enrolment.start(on)
    elif trigger == "complete":
        enrolment.complete(on)
    elif trigger == "drop":
        enrolment.drop(on=on, reason="family moved interstate")
    elif trigger == "transfer":
        enrolment.transfer(to=target or transfer_target(enrolment), on=on)
    else:  # pragma: no cover - the tables above name only these
        raise AssertionError(trigger)


# -- 1. the table is the data model's ------------------------------------------------------


def test_test_tables_agree_with_each_other() -> None:
    assert {(src, dst) for (src, _), dst in TRIGGER_TABLE.items()} == DATA_MODEL_TRANSITIONS
    assert len(TRIGGER_TABLE) == len(DATA_MODEL_TRANSITIONS) == 12


def test_machine_transitions_equal_the_data_model() -> None:
    held = {(source, dest) for _, source, dest in machine_triples()}
    assert held == DATA_MODEL_TRANSITIONS


def test_machine_transitions_fire_the_expected_triggers() -> None:
    expected = {(trigger, src, dst) for (src, trigger), dst in TRIGGER_TABLE.items()}
    assert machine_triples() == expected


def test_each_source_and_trigger_has_a_single_destination() -> None:
    for event in RULES.events.values():
        for transitions in event.transitions.values():
            assert len(transitions) == 1
            assert not transitions[0].conditions


def test_trigger_names_are_exactly_the_eight() -> None:
    assert set(RULES.events) == ALL_TRIGGERS
    assert {t.value for t in Trigger} == ALL_TRIGGERS


def test_states_are_exactly_the_eight() -> None:
    assert {EnrolmentStatus[name].value for name in RULES.states} == ALL_STATES
    assert {s.value for s in EnrolmentStatus} == ALL_STATES
    assert len(RULES.states) == 8


def test_auto_transitions_are_off() -> None:
    assert RULES.auto_transitions is False
    assert not [name for name in RULES.events if name.startswith("to_")]


def test_rulebook_has_no_models() -> None:
    assert RULES.models == []
    # Firing on an entity does not attach it to the machine either.
    enrolment = new_enrolment()
    enrolment.book_trial(uuid4())
    machine.fire(SimpleNamespace(status=EnrolmentStatus.ENQUIRY), Trigger.REQUEST_PAYMENT)
    assert RULES.models == []
    assert not hasattr(enrolment, "trigger")
    assert not hasattr(enrolment, "to_active")


def test_terminal_states_are_completed_dropped_transferred() -> None:
    assert {s.value for s in machine.TERMINAL_STATES} == TERMINAL
    for status in EnrolmentStatus:
        assert (machine.triggers_from(status) == frozenset()) == (status.value in TERMINAL)


def test_seat_holding_states() -> None:
    assert {s.value for s in machine.SEAT_HOLDING_STATES} == SEAT_HOLDING


# -- 2. source_states / triggers_from / destination agree with the literal table -------------


@pytest.mark.parametrize("trigger", sorted(ALL_TRIGGERS))
def test_source_states_match_the_literal_table(trigger: str) -> None:
    expected = {src for (src, trg) in TRIGGER_TABLE if trg == trigger}
    assert {s.value for s in machine.source_states(Trigger(trigger))} == expected


def test_drop_is_accepted_from_every_live_state() -> None:
    assert {s.value for s in machine.source_states(Trigger.DROP)} == {
        "enquiry",
        "trial",
        "pending_payment",
        "enrolled",
        "active",
    }


@pytest.mark.parametrize("status", sorted(ALL_STATES))
def test_triggers_from_match_the_literal_table(status: str) -> None:
    expected = {trg for (src, trg) in TRIGGER_TABLE if src == status}
    assert {t.value for t in machine.triggers_from(EnrolmentStatus(status))} == expected


@pytest.mark.parametrize("status", sorted(ALL_STATES))
@pytest.mark.parametrize("trigger", sorted(ALL_TRIGGERS))
def test_destination_matches_the_literal_table(status: str, trigger: str) -> None:
    expected = TRIGGER_TABLE.get((status, trigger))
    if expected is None:
        with pytest.raises(InvalidTransition) as raised:
            machine.destination(EnrolmentStatus(status), Trigger(trigger))
        assert raised.value.state == status
        assert raised.value.trigger == trigger
    else:
        assert machine.destination(EnrolmentStatus(status), Trigger(trigger)).value == expected


# -- 3. reachability -------------------------------------------------------------------------


def test_every_state_is_reachable_from_enquiry() -> None:
    seen = {EnrolmentStatus.ENQUIRY}
    queue = deque(seen)
    while queue:
        status = queue.popleft()
        for trigger in machine.triggers_from(status):
            nxt = machine.destination(status, trigger)
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    assert {s.value for s in seen} == ALL_STATES


# -- 4. random journeys of real entities -----------------------------------------------------


class EnrolmentJourneys(RuleBasedStateMachine):
    """A few enrolments, each moved by random triggers through the entity methods."""

    def __init__(self) -> None:
        super().__init__()
        self.enrolments: list[Enrolment] = []
        self.trial_sessions: dict[UUID, UUID] = {}
        self.drops: dict[UUID, tuple[date, str]] = {}
        self.transfers: dict[UUID, UUID] = {}
        self.today = DAY

    @initialize(
        starts=st.lists(st.sampled_from(sorted(FORWARD_PATHS)), min_size=2, max_size=4),
        tokens=st.lists(st.integers(0, 5), min_size=4, max_size=4),
        waitlisted=st.lists(st.booleans(), min_size=4, max_size=4),
    )
    def create(self, starts: list[str], tokens: list[int], waitlisted: list[bool]) -> None:
        student = uuid4()
        for i, start in enumerate(starts):
            # The first two share a student; the others are other students.
            enrolment = new_enrolment(
                student_id=student if i < 2 else uuid4(),
                makeup_tokens=tokens[i],
                is_waitlist=waitlisted[i],
                waitlist_position=i + 1 if waitlisted[i] else None,
            )
            self.enrolments.append(enrolment)
            # Walk it forward to its starting status, checking every step on the way.
            for trigger in FORWARD_PATHS[start]:
                self.fire_and_check(enrolment, trigger, target_tokens=0)
            assert enrolment.status.value == start

    def pick(self, data: st.DataObject) -> Enrolment:
        return data.draw(st.sampled_from(self.enrolments), label="enrolment")

    @rule(days=st.integers(0, 45))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(data=st.data(), target_tokens=st.integers(0, 3))
    def fire_trigger(self, data: st.DataObject, target_tokens: int) -> None:
        enrolment = self.pick(data)
        # Mostly a trigger the literal table allows (so journeys get far), sometimes any.
        allowed = sorted(trg for (src, trg) in TRIGGER_TABLE if src == enrolment.status.value)
        if allowed and data.draw(st.integers(0, 3), label="prefer allowed") > 0:
            trigger = data.draw(st.sampled_from(allowed), label="trigger")
        else:
            trigger = data.draw(st.sampled_from(sorted(ALL_TRIGGERS)), label="trigger")
        self.fire_and_check(enrolment, trigger, target_tokens)

    def fire_and_check(self, enrolment: Enrolment, trigger: str, target_tokens: int) -> None:
        target = transfer_target(enrolment, makeup_tokens=target_tokens)
        session = uuid4()
        source = enrolment.status.value
        before = attrs.asdict(enrolment)
        target_before = attrs.asdict(target)
        expected = TRIGGER_TABLE.get((source, trigger))
        enrolment.pull_events()

        if expected is None:
            with pytest.raises(InvalidTransition):
                call(enrolment, trigger, self.today, target, session)
            assert attrs.asdict(enrolment) == before
            assert attrs.asdict(target) == target_before
            assert enrolment.pull_events() == []
            return

        call(enrolment, trigger, self.today, target, session)
        assert enrolment.status.value == expected
        events = enrolment.pull_events()
        assert len(events) == 1
        (event,) = events
        assert isinstance(event, EnrolmentStatusChanged)
        assert (event.from_status, event.to_status, event.trigger) == (source, expected, trigger)
        assert event.enrolment_id == enrolment.id
        assert event.student_id == enrolment.student_id
        assert event.cohort_id == enrolment.cohort_id
        assert event.organisation_id == enrolment.organisation_id
        assert target.pull_events() == []

        if trigger == "book_trial":
            assert enrolment.is_trial is True
            assert enrolment.trial_session_id == session
            self.trial_sessions[enrolment.id] = session
        if trigger == "drop":
            self.drops[enrolment.id] = (self.today, "family moved interstate")
        if trigger == "transfer":
            self.transfers[enrolment.id] = target.id
            assert enrolment.transferred_to_id == target.id
            assert enrolment.makeup_tokens == 0
            assert target.makeup_tokens == target_tokens + before["makeup_tokens"]
            assert target.status is EnrolmentStatus.ENQUIRY
            if len(self.enrolments) < 6:
                self.enrolments.append(target)
        else:
            assert enrolment.makeup_tokens == before["makeup_tokens"]
            assert attrs.asdict(target) == target_before
        if trigger in {"request_payment", "convert_trial", "drop"}:
            assert enrolment.is_waitlist is False
            assert enrolment.waitlist_position is None
        else:
            assert enrolment.is_waitlist == before["is_waitlist"]
            assert enrolment.waitlist_position == before["waitlist_position"]

    @rule(data=st.data(), position=st.integers(1, 9))
    def join_waitlist(self, data: st.DataObject, position: int) -> None:
        enrolment = self.pick(data)
        before = attrs.asdict(enrolment)
        if enrolment.status.value in WAITLIST_STATES and not enrolment.is_waitlist:
            enrolment.join_waitlist(position)
            assert enrolment.is_waitlist is True
            assert enrolment.waitlist_position == position
            assert enrolment.status.value == before["status"].value
        elif enrolment.status.value in WAITLIST_STATES:
            with pytest.raises(Conflict) as raised:
                enrolment.join_waitlist(position)
            assert not isinstance(raised.value, InvalidTransition)
            assert attrs.asdict(enrolment) == before
        else:
            with pytest.raises(InvalidTransition):
                enrolment.join_waitlist(position)
            assert attrs.asdict(enrolment) == before

    @invariant()
    def status_is_one_of_the_eight(self) -> None:
        for enrolment in self.enrolments:
            assert isinstance(enrolment.status, EnrolmentStatus)
            assert enrolment.status.value in ALL_STATES

    @invariant()
    def terminal_enrolments_accept_nothing(self) -> None:
        for enrolment in self.enrolments:
            if enrolment.status.value not in TERMINAL:
                continue
            before = attrs.asdict(enrolment)
            for trigger in sorted(ALL_TRIGGERS):
                target = transfer_target(enrolment)
                with pytest.raises(InvalidTransition):
                    call(enrolment, trigger, self.today, target)
                assert attrs.asdict(enrolment) == before
            assert not enrolment.is_live
            assert not enrolment.holds_seat

    @invariant()
    def dropped_records_withdrawal(self) -> None:
        for enrolment in self.enrolments:
            if enrolment.status is EnrolmentStatus.DROPPED:
                assert enrolment.withdrawal_date is not None
                assert enrolment.withdrawal_reason
                assert (enrolment.withdrawal_date, enrolment.withdrawal_reason) == self.drops[
                    enrolment.id
                ]
                assert not enrolment.is_waitlist
            else:
                assert enrolment.withdrawal_date is None
                assert enrolment.withdrawal_reason is None

    @invariant()
    def transferred_points_at_its_target(self) -> None:
        for enrolment in self.enrolments:
            if enrolment.status is EnrolmentStatus.TRANSFERRED:
                assert enrolment.transferred_to_id is not None
                assert enrolment.transferred_to_id == self.transfers[enrolment.id]
                assert enrolment.makeup_tokens == 0
            else:
                assert enrolment.transferred_to_id is None

    @invariant()
    def trial_flag_follows_book_trial(self) -> None:
        for enrolment in self.enrolments:
            if enrolment.id in self.trial_sessions:
                assert enrolment.is_trial is True
                assert enrolment.trial_session_id == self.trial_sessions[enrolment.id]
            else:
                assert enrolment.is_trial is False
                assert enrolment.trial_session_id is None

    @invariant()
    def waitlist_only_for_enquiry_or_trial(self) -> None:
        for enrolment in self.enrolments:
            assert enrolment.is_waitlist == (enrolment.waitlist_position is not None)
            if enrolment.is_waitlist:
                assert enrolment.status.value in WAITLIST_STATES

    @invariant()
    def seat_and_liveness_follow_status(self) -> None:
        for enrolment in self.enrolments:
            assert enrolment.holds_seat == (enrolment.status.value in SEAT_HOLDING)
            assert enrolment.is_live == (enrolment.status.value not in TERMINAL)

    @invariant()
    def entity_still_satisfies_its_own_rules(self) -> None:
        for enrolment in self.enrolments:
            attrs.evolve(enrolment)  # re-runs every field and cross-field validator

    @invariant()
    def rulebook_stays_model_less(self) -> None:
        assert RULES.models == []


EnrolmentJourneys.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEnrolmentJourneys = EnrolmentJourneys.TestCase


# -- 5. InvalidTransition names the state, the trigger and the enrolment ---------------------


def test_invalid_transition_message_names_state_trigger_and_id() -> None:
    enrolment = new_enrolment()
    with pytest.raises(InvalidTransition) as raised:
        enrolment.start(DAY)
    error = raised.value
    assert "cannot start from status 'enquiry'" in str(error)
    assert str(enrolment.id) in str(error)
    assert (error.entity, error.entity_id, error.state, error.trigger) == (
        "Enrolment",
        enrolment.id,
        "enquiry",
        "start",
    )


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_invalid_transition_from_terminal_states_names_them(status: str) -> None:
    enrolment = enrolment_in(status)
    with pytest.raises(InvalidTransition) as raised:
        enrolment.drop(on=DAY, reason="again")
    assert f"cannot drop from status '{status}'" in str(raised.value)
    assert str(enrolment.id) in str(raised.value)


# -- 6. fire() is model-less ---------------------------------------------------------------


@attrs.define
class Box:
    status: EnrolmentStatus = EnrolmentStatus.ENQUIRY


def snapshot(thing: Any) -> dict[str, Any]:
    return attrs.asdict(thing) if attrs.has(type(thing)) else dict(vars(thing))


@pytest.mark.parametrize("make", [Box, lambda: SimpleNamespace(status=EnrolmentStatus.ENQUIRY)])
def test_fire_moves_any_object_with_a_status(make: Any) -> None:
    thing = make()
    for trigger, expected in [
        (Trigger.REQUEST_PAYMENT, "pending_payment"),
        (Trigger.PAYMENT_RECEIVED, "enrolled"),
        (Trigger.START, "active"),
        (Trigger.TRANSFER, "transferred"),
    ]:
        assert machine.fire(thing, trigger).value == expected
        assert thing.status.value == expected
    assert RULES.models == []


@pytest.mark.parametrize("make", [Box, lambda: SimpleNamespace(status=EnrolmentStatus.ENQUIRY)])
def test_invalid_fire_leaves_the_object_unchanged(make: Any) -> None:
    thing = make()
    before = snapshot(thing)
    with pytest.raises(InvalidTransition) as raised:
        machine.fire(thing, Trigger.COMPLETE)
    assert snapshot(thing) == before
    assert thing.status is EnrolmentStatus.ENQUIRY
    assert "cannot complete from status 'enquiry'" in str(raised.value)


# -- 7. waitlist -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(ALL_STATES))
def test_join_waitlist_only_from_enquiry_or_trial(status: str) -> None:
    enrolment = enrolment_in(status)
    if status in WAITLIST_STATES:
        enrolment.join_waitlist(3)
        assert enrolment.is_waitlist is True
        assert enrolment.waitlist_position == 3
    else:
        before = attrs.asdict(enrolment)
        with pytest.raises(InvalidTransition) as raised:
            enrolment.join_waitlist(3)
        assert raised.value.state == status
        assert attrs.asdict(enrolment) == before


@pytest.mark.parametrize(
    ("start", "path"),
    [
        ("enquiry", ["request_payment"]),
        ("trial", ["convert_trial"]),
        ("enquiry", ["drop"]),
        ("trial", ["drop"]),
    ],
)
def test_leaving_for_a_seat_or_dropping_takes_it_off_the_waitlist(
    start: str, path: list[str]
) -> None:
    enrolment = enrolment_in(start)
    enrolment.join_waitlist(2)
    for trigger in path:
        call(enrolment, trigger, DAY)
    assert enrolment.is_waitlist is False
    assert enrolment.waitlist_position is None
    attrs.evolve(enrolment)  # still valid


def test_book_trial_keeps_the_waitlist_place() -> None:
    enrolment = new_enrolment()
    enrolment.join_waitlist(4)
    enrolment.book_trial(uuid4())
    assert enrolment.status is EnrolmentStatus.TRIAL
    assert (enrolment.is_waitlist, enrolment.waitlist_position) == (True, 4)


@pytest.mark.parametrize("position", [0, -1])
def test_waitlist_position_must_be_at_least_one(position: int) -> None:
    enrolment = new_enrolment()
    with pytest.raises(ValidationError):
        enrolment.join_waitlist(position)
    assert (enrolment.is_waitlist, enrolment.waitlist_position) == (False, None)
    with pytest.raises(ValidationError):
        new_enrolment(is_waitlist=True, waitlist_position=position)
    enrolment.join_waitlist(1)
    with pytest.raises(ValidationError):
        enrolment.move_in_waitlist(position)
    assert enrolment.waitlist_position == 1


def test_waitlisted_enrolment_must_be_enquiry_or_trial() -> None:
    with pytest.raises(ValidationError):
        new_enrolment(status=EnrolmentStatus.PENDING_PAYMENT, is_waitlist=True, waitlist_position=1)


# -- 8. seats and liveness -----------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(ALL_STATES))
def test_holds_seat_and_is_live(status: str) -> None:
    enrolment = enrolment_in(status)
    assert enrolment.holds_seat == (status in {"pending_payment", "enrolled", "active"})
    assert enrolment.is_live == (status not in {"completed", "dropped", "transferred"})


# -- dates stay ordered --------------------------------------------------------------------


def test_complete_before_start_date_does_not_leave_an_invalid_enrolment() -> None:
    enrolment = enrolment_in("enrolled")
    enrolment.start(date(2025, 3, 1))
    try:
        enrolment.complete(date(2025, 2, 1))
    except ValidationError:
        assert enrolment.status is EnrolmentStatus.ACTIVE
        assert enrolment.end_date is None
    else:
        assert enrolment.end_date is None or enrolment.end_date >= enrolment.start_date
        attrs.evolve(enrolment)  # the entity's own start_date <= end_date rule
