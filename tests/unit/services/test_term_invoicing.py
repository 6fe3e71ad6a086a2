"""Term invoicing (``TermInvoicingService.run_term``) in memory: the same invoices as the
automatic invoice, sibling discounts for a term charged at once, what is and is not invoiced,
idempotency, batches and resuming after a failed batch, audit and events.

The school is ``world`` (tests/unit/services/conftest.py): today is Monday 19 January 2026;
cohort "Scratch Basics - Term 1 Mon" ($320, four Mondays 2-23 February). The term run here is
for cohorts starting between 5 January and 31 March.
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.services.conftest import TODAY, World
from tests.unit.services.test_enrolment import (
    add_student,
    other_school,
    published,
    refused,
    snapshot,
)

from rocket_adapters.clock import FixedClock
from rocket_adapters.memory import MemoryStore
from rocket_core import model as m
from rocket_core.errors import NotFound, ValidationError
from rocket_core.events import DomainEvent, EnrolmentConfirmed, EventBus, InvoiceIssued
from rocket_core.model import EnrolmentStatus as S
from rocket_core.model import InvoiceStatus as I
from rocket_core.ports import TermInvoicingRepository, UnitOfWork
from rocket_core.pricing import price_tuition
from rocket_core.services.invoicing import SIBLING_STATUSES, InvoicingService
from rocket_core.services.term_invoicing import (
    TermInvoicingReport,
    TermInvoicingService,
    family_ranks,
    term_sibling_rank,
)

D = Decimal
FIRST, LAST = date(2026, 1, 5), date(2026, 3, 31)
MONDAY = "Scratch Basics — Scratch Basics - Term 1 Mon"


# -- arranging ------------------------------------------------------------------------------


def cohort(
    world: World,
    name: str,
    start: date,
    sessions: int,
    *,
    price: str | None = None,
    status: m.CohortStatus = m.CohortStatus.OPEN,
    cancelled: tuple[int, ...] = (),
    program: m.Program | None = None,
) -> m.Cohort:
    """A weekly cohort of ``sessions`` sessions from ``start`` (``cancelled``: their numbers)."""
    made = m.Cohort(
        organisation_id=world.org_id,
        program_id=(program or world.program).id,
        campus_id=world.campus.id,
        name=name,
        start_date=start,
        end_date=start + timedelta(weeks=max(sessions - 1, 0)),
        max_capacity=20,
        status=status,
        tuition_price=None if price is None else D(price),
    )
    world.add(
        made,
        *[
            m.Session(
                organisation_id=world.org_id,
                cohort_id=made.id,
                session_number=n + 1,
                scheduled_date=start + timedelta(weeks=n),
                scheduled_start_time=time(16, 0),
                scheduled_end_time=time(17, 30),
                status=m.SessionStatus.CANCELLED
                if n + 1 in cancelled
                else m.SessionStatus.SCHEDULED,
                cancellation_reason="Heatwave" if n + 1 in cancelled else None,
            )
            for n in range(sessions)
        ],
    )
    return made


def enrolment(
    student: m.Student,
    made: m.Cohort,
    status: S = S.PENDING_PAYMENT,
    *,
    on: date = date(2025, 11, 1),
    start: date | None = None,
    override: str | None = None,
) -> m.Enrolment:
    """An enrolment (not saved) enrolled on ``on``."""
    extra: dict[str, Any] = {}
    if status is S.DROPPED:
        extra = {"withdrawal_date": date(2026, 1, 2), "withdrawal_reason": "moved away"}
    return m.Enrolment(
        organisation_id=made.organisation_id,
        student_id=student.id,
        cohort_id=made.id,
        status=status,
        enrolment_date=datetime.combine(on, time(10), tzinfo=UTC),
        start_date=start,
        tuition_override=None if override is None else D(override),
        **extra,
    )


def enrol(world: World, *args: Any, **kwargs: Any) -> m.Enrolment:
    made = enrolment(*args, **kwargs)
    world.add(made)
    return made


def fork(world: World) -> World:
    """A copy of the world's committed state, with its own clock, bus and published events."""
    store = MemoryStore()
    with world.store.lock:
        store.tables.update(copy.deepcopy(dict(world.store.tables)))
        store.counters.update(world.store.counters)
    bus = EventBus()
    events: list[DomainEvent] = []
    bus.subscribe(DomainEvent, events.append)
    return attrs.evolve(
        world, store=store, clock=FixedClock(world.clock.now()), bus=bus, published=events
    )


def service(world: World, batch_size: int = 1000) -> TermInvoicingService:
    return TermInvoicingService(world.make_uow, world.clock, world.bus, batch_size=batch_size)


def run(world: World, batch_size: int = 1000, **days: date) -> TermInvoicingReport:
    dates = {"first_day": FIRST, "last_day": LAST, "today": TODAY, **days}
    return service(world, batch_size).run_term(world.org_id, **dates)


def invoices(world: World) -> dict[UUID, m.Invoice]:
    """Every invoice of the school by enrolment id (one each)."""
    with world.uow() as uow:
        found: dict[UUID, m.Invoice] = {}
        for family in uow.families.list():
            for invoice in uow.invoices.list_for_family(family.id):
                assert invoice.enrolment_id is not None
                assert invoice.enrolment_id not in found
                found[invoice.enrolment_id] = invoice
        return found


def figures(invoice: m.Invoice) -> tuple[Any, ...]:
    """An invoice's lines and figures, as a family would read them."""
    return (
        [(line.description, line.quantity, line.unit_price) for line in invoice.line_items],
        invoice.total_amount,
        invoice.gst_amount,
        invoice.discount_amount,
        invoice.amount_outstanding,
        invoice.amount_paid,
        invoice.status,
        invoice.issue_date,
        invoice.due_date,
        invoice.family_id,
        invoice.created_at,
    )


def amounts(invoice: m.Invoice) -> list[tuple[str, Decimal]]:
    return [(line.description, line.amount) for line in invoice.line_items]


def balance(world: World, family: m.Family) -> Decimal:
    with world.uow() as uow:
        return uow.families.get(family.id).account_balance


def load(world: World, made: m.Enrolment) -> m.Enrolment:
    with world.uow() as uow:
        return uow.enrolments.get(made.id)


def audit(world: World, action: str) -> list[m.AuditEntry]:
    with world.store.lock:
        entries = list(world.store.tables[m.AuditEntry].values())
    return [e for e in entries if isinstance(e, m.AuditEntry) and e.action == action]


def third_child(world: World) -> m.Student:
    return add_student(world, family=world.family)


def update_settings(world: World, **changes: Any) -> None:
    with world.uow() as uow:
        organisation = uow.organisations.current()
        organisation.update(settings=attrs.evolve(organisation.settings, **changes))
        uow.commit()


# -- the same invoices as the automatic invoice ---------------------------------------------


@pytest.mark.parametrize("inclusive", [False, True])
def test_the_run_issues_what_the_automatic_invoice_would(world: World, inclusive: bool) -> None:
    """Every enrolment of the term invoiced by the run gets the invoice (lines, figures,
    dates, status) that ``invoice_enrolment`` gives it when the family's enrolments reach
    pending payment one by one in enrolment order, with the same balances and discounts."""
    update_settings(world, prices_include_gst=inclusive)
    third = third_child(world)
    wednesday = cohort(world, "Term 1 Wed", date(2026, 2, 4), 6, price="300.00", cancelled=(2,))
    started = cohort(
        world, "Term 1 Fri", date(2026, 1, 9), 5, price="250.00", status=m.CohortStatus.IN_PROGRESS
    )
    robotics = m.Program(organisation_id=world.org_id, name="Robotics", default_price=D("410.50"))
    world.add(robotics)
    lego = cohort(world, "Lego Sat", date(2026, 3, 7), 8, program=robotics)
    later = [
        enrolment(world.child, world.cohort, on=date(2025, 10, 1)),
        enrolment(world.sibling, wednesday, on=date(2025, 10, 3)),
        enrolment(third, started, on=date(2025, 10, 5)),  # a late joiner: 3 of 5 left
        enrolment(world.child, lego, on=date(2025, 10, 7)),  # Kim's second class
        enrolment(world.sibling, lego, on=date(2025, 10, 9), override="199.99"),
        enrolment(third, wednesday, on=date(2025, 10, 11), start=date(2026, 2, 25)),
        enrolment(world.other_child, world.cohort, on=date(2025, 10, 2)),
        enrolment(world.other_child, started, on=date(2025, 10, 4)),
    ]
    reference, term = fork(world), fork(world)

    automatic = InvoicingService(reference.make_uow, reference.clock, reference.bus)
    for made in sorted(later, key=lambda e: (e.enrolment_date, e.id)):
        reference.add(copy.deepcopy(made))
        assert automatic.invoice_enrolment(reference.org_id, made.id) is not None
    term.add(*[copy.deepcopy(made) for made in later])
    report = run(term)

    expected, got = invoices(reference), invoices(term)
    assert set(got) == set(expected) == {made.id for made in later}
    for made in later:
        assert figures(got[made.id]) == figures(expected[made.id]), made
        assert load(term, made).discount_applied == load(reference, made).discount_applied
    for family in (world.family, world.other_family):
        assert balance(term, family) == balance(reference, family) > 0
    assert report.invoices_issued == len(later)
    assert report.amount_invoiced == sum(i.total_amount for i in expected.values())
    assert report.families_charged == 2
    assert report.sibling_discounts == sum(1 for i in expected.values() if i.discount_amount)
    # An's Wednesday, the third child's Friday and Wednesday, Kim's Lego (where An, charged
    # first for the overlapping Wednesday, is the first child): An's Lego is full price
    assert report.sibling_discounts == 4
    assert expected[later[4].id].discount_amount == D("0.00")
    # the late joiners are prorated, the cancelled session is not counted
    assert amounts(got[later[2].id])[1] == (
        "Late start: 3 of 5 sessions remaining",
        D("-100.00"),
    )
    assert amounts(got[later[5].id])[1][0] == "Late start: 3 of 5 sessions remaining"
    # numbers: a block from the counter, family by family, in enrolment order
    numbers = sorted(i.invoice_number for i in got.values())
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, len(later) + 1)]


def test_the_first_child_enrolled_pays_full_price_the_others_get_sibling_discounts(
    world: World,
) -> None:
    third = third_child(world)
    wednesday = cohort(world, "Term 1 Wed", date(2026, 2, 4), 3, price="300.00")
    thursday = cohort(world, "Term 1 Thu", date(2026, 2, 5), 3, price="200.00")
    # enrolment order, not the order of the ids or of the cohorts, decides
    an = enrol(world, world.sibling, world.cohort, S.ENROLLED, on=date(2025, 11, 15))
    third_in = enrol(world, third, wednesday, on=date(2025, 12, 1))
    kim = enrol(world, world.child, thursday, S.ENROLLED, on=date(2025, 11, 1))

    run(world)

    got = invoices(world)
    assert amounts(got[kim.id]) == [("Scratch Basics — Term 1 Thu", D("200.00"))]
    assert (got[kim.id].total_amount, got[kim.id].gst_amount) == (D("220.00"), D("20.00"))
    assert amounts(got[an.id]) == [
        (MONDAY, D("320.00")),
        ("Sibling discount: 10% off for the 2nd child", D("-32.00")),
    ]
    assert (got[an.id].total_amount, got[an.id].discount_amount) == (D("316.80"), D("32.00"))
    assert amounts(got[third_in.id]) == [
        ("Scratch Basics — Term 1 Wed", D("300.00")),
        ("Sibling discount: 15% off for the 3rd child", D("-45.00")),
    ]
    assert got[third_in.id].total_amount == D("280.50")
    assert balance(world, world.family) == D("220.00") + D("316.80") + D("280.50")
    assert [load(world, e).discount_applied for e in (kim, an, third_in)] == [
        D("0.00"),
        D("32.00"),
        D("45.00"),
    ]


def test_a_child_charged_before_the_run_keeps_their_place(world: World) -> None:
    """An's automatic invoice came first: Kim, whose enquiry is older, is the second child."""
    an = enrol(world, world.sibling, world.cohort, on=date(2025, 12, 1))
    InvoicingService(world.make_uow, world.clock, world.bus).invoice_enrolment(world.org_id, an.id)
    wednesday = cohort(world, "Term 1 Wed", date(2026, 2, 4), 4, price="320.00")
    kim = enrol(world, world.child, wednesday, S.ENROLLED, on=date(2025, 11, 1))

    report = run(world)

    got = invoices(world)
    assert got[an.id].discount_amount == D("0.00")
    assert amounts(got[kim.id])[1] == ("Sibling discount: 10% off for the 2nd child", D("-32.00"))
    assert (report.invoices_issued, report.already_invoiced) == (1, 1)


def test_other_terms_dropped_siblings_and_other_families_do_not_count(world: World) -> None:
    last_term = cohort(world, "Term 4 2025", date(2025, 10, 6), 8, price="320.00")
    next_term = cohort(world, "Term 2", date(2026, 4, 20), 8, price="320.00")
    enrol(world, world.sibling, last_term, S.COMPLETED, on=date(2025, 9, 1))
    enrol(world, world.sibling, next_term, S.ENROLLED, on=date(2025, 9, 2))
    enrol(world, world.sibling, world.cohort, S.DROPPED, on=date(2025, 9, 3))
    enrol(world, world.other_child, world.cohort, on=date(2025, 9, 4))
    kim = enrol(world, world.child, world.cohort, on=date(2025, 11, 1))

    report = run(world)

    assert invoices(world)[kim.id].discount_amount == D("0.00")
    assert report.invoices_issued == 2  # Kim and the Smiths' child: not the next term


def test_a_completed_sibling_in_an_overlapping_cohort_counts(world: World) -> None:
    """Rows of cohorts that end in the term count: the rule's overlap, not the run's days."""
    holidays = cohort(world, "Summer camp", date(2025, 12, 29), 6, price="100.00")
    enrol(world, world.sibling, holidays, S.ACTIVE, on=date(2025, 12, 1), start=date(2025, 12, 29))
    kim = enrol(world, world.child, world.cohort, on=date(2025, 11, 1))

    run(world)

    assert amounts(invoices(world)[kim.id])[1][0].startswith("Sibling discount: 10%")


def test_the_statuses_sibling_ranks_count_are_the_invoicing_rule_s() -> None:
    assert TermInvoicingRepository.COUNTED == SIBLING_STATUSES
    assert {S.PENDING_PAYMENT, S.ENROLLED} == TermInvoicingRepository.INVOICED


# -- what is invoiced ----------------------------------------------------------------------


def test_only_seat_holders_waiting_for_a_charge_in_cohorts_starting_in_the_term(
    world: World,
) -> None:
    before = cohort(world, "Term 4 2025", date(2025, 10, 6), 8, price="320.00")
    after = cohort(world, "Term 2", date(2026, 4, 1), 8, price="320.00")
    kids = [add_student(world, family=world.other_family) for _ in range(9)]
    due = [
        enrol(world, kids[0], world.cohort, S.PENDING_PAYMENT),
        enrol(world, kids[1], world.cohort, S.ENROLLED),
    ]
    left = [
        enrol(world, kids[2], world.cohort, S.ENQUIRY),
        enrol(world, kids[3], world.cohort, S.TRIAL),
        enrol(world, kids[4], world.cohort, S.ACTIVE, start=date(2026, 2, 2)),
        enrol(world, kids[5], world.cohort, S.DROPPED),
        enrol(world, kids[6], world.cohort, S.COMPLETED),
        enrol(world, kids[7], before, S.ENROLLED),
        enrol(world, kids[8], after, S.ENROLLED),
    ]

    report = run(world, first_day=date(2026, 2, 2), last_day=date(2026, 3, 31))

    assert set(invoices(world)) == {e.id for e in due}
    assert report.invoices_issued == 2
    assert all(load(world, e).status is e.status for e in due + left)
    # the bounds are inclusive
    report = run(world, first_day=date(2026, 4, 1), last_day=date(2026, 4, 1))
    assert report.invoices_issued == 1


def test_an_enrolment_whose_invoice_was_voided_is_charged_again(world: World) -> None:
    kim = enrol(world, world.child, world.cohort)
    billing = InvoicingService(world.make_uow, world.clock, world.bus)
    first = billing.invoice_enrolment(world.org_id, kim.id)
    assert first is not None
    billing.void_invoice(world.actor("super_admin"), first.id, "wrong family")

    report = run(world)

    with world.uow() as uow:
        charged = uow.invoices.list_for_enrolment(kim.id)
    assert [i.status for i in charged] == [I.VOID, I.SENT]
    assert charged[1].invoice_number == "INV-2026-000002"
    assert report.invoices_issued == 1
    assert balance(world, world.family) == D("352.00")


def test_a_zero_price_invoice_is_paid_and_confirms_a_pending_enrolment(world: World) -> None:
    free = enrol(world, world.child, world.cohort, override="0.00")
    paid = enrol(world, world.other_child, world.cohort, S.ENROLLED, override="0.00")

    run(world)

    got = invoices(world)
    assert [got[free.id].status, got[paid.id].status] == [I.PAID, I.PAID]
    assert got[free.id].amount_outstanding == D("0.00")
    assert load(world, free).status is S.ENROLLED
    assert load(world, paid).status is S.ENROLLED
    assert balance(world, world.family) == D("0.00")
    assert [e.enrolment_id for e in published(world, EnrolmentConfirmed)] == [free.id]


def test_an_enrolment_without_any_price_is_skipped_and_counted(world: World) -> None:
    unpriced_program = m.Program(organisation_id=world.org_id, name="Free play")
    world.add(unpriced_program)
    unpriced = cohort(world, "Free play Tue", date(2026, 2, 3), 4, program=unpriced_program)
    skipped = enrol(world, world.child, unpriced, on=date(2025, 10, 1))
    an = enrol(world, world.sibling, world.cohort, on=date(2025, 11, 1))

    report = run(world)

    assert set(invoices(world)) == {an.id}
    assert (report.invoices_issued, report.unpriced) == (1, 1)
    # waiting for its price, Kim is not charged yet: An pays full price
    assert invoices(world)[an.id].discount_amount == D("0.00")
    # once priced, the next run charges Kim as the second child
    with world.uow() as uow:
        uow.cohorts.get(unpriced.id).update(tuition_price=D("100.00"))
        uow.commit()
    report = run(world)
    assert (report.invoices_issued, report.unpriced, report.already_invoiced) == (1, 0, 1)
    assert invoices(world)[skipped.id].discount_amount == D("10.00")


def test_another_organisation_is_untouched(world: World) -> None:
    other = other_school(world)
    with world.store.unit_of_work(other.organisation.id) as uow:
        uow.enrolments.get(other.enrolment.id).request_payment()
        uow.cohorts.get(other.cohort.id).update(tuition_price=D("100.00"))
        uow.commit()
    enrol(world, world.child, world.cohort)

    report = run(world)

    assert report.invoices_issued == 1
    with world.store.unit_of_work(other.organisation.id) as uow:
        assert uow.invoices.list_for_enrolment(other.enrolment.id) == []


# -- idempotency, batches, resuming ---------------------------------------------------------


def school_of_families(world: World, families: int = 5) -> list[m.Enrolment]:
    """``families`` more families of two or three children, all due in the term."""
    wednesday = cohort(world, "Term 1 Wed", date(2026, 2, 4), 5, price="280.00")
    made = []
    for n in range(families):
        family = m.Family(
            organisation_id=world.org_id,
            family_name=f"Family {n}",
            primary_contact_name=f"Parent {n}",
            primary_contact_email=f"parent{n}@family.example",
        )
        world.add(family)
        for k in range(2 + n % 2):
            child = add_student(world, family=family)
            status = S.ENROLLED if k % 2 else S.PENDING_PAYMENT
            on = date(2025, 11, 1) + timedelta(days=k)
            made.append(enrol(world, child, [world.cohort, wednesday][k % 2], status, on=on))
    return made


def test_running_again_issues_nothing_twice(world: World) -> None:
    made = school_of_families(world)
    first = run(world)
    state = snapshot(world)
    world.published.clear()

    again = run(world)

    assert first.invoices_issued == len(made) == 12
    assert (again.invoices_issued, again.already_invoiced) == (0, len(made))
    assert again.amount_invoiced == D("0.00")
    assert snapshot(world) == state
    assert world.published == []


def test_batches_keep_a_family_together_and_change_nothing_in_the_result(world: World) -> None:
    made = school_of_families(world)
    whole, paged = fork(world), fork(world)

    one = run(whole)
    many = run(paged, batch_size=2)

    assert (one.batches, many.batches) == (1, 4)  # seven families, two a transaction
    assert attrs.evolve(many, batches=1) == one
    expected, got = invoices(whole), invoices(paged)
    for e in made:
        assert (got[e.id].invoice_number, *figures(got[e.id])) == (
            expected[e.id].invoice_number,
            *figures(expected[e.id]),
        )


def test_a_failed_batch_writes_nothing_and_a_rerun_finishes_the_term(world: World) -> None:
    made = school_of_families(world)
    uninterrupted = fork(world)
    expected = run(uninterrupted, batch_size=2)
    pages: list[int] = []

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = world.make_uow(organisation_id)
        repository = uow.term_invoicing
        real_issue = repository.issue

        def issue(invoices: Any, **kwargs: Any) -> None:
            real_issue(invoices, **kwargs)
            pages.append(len(invoices))
            if len(pages) == 2:
                raise RuntimeError("the machine lost power")

        repository.issue = issue  # type: ignore[method-assign]
        return uow

    crashing = TermInvoicingService(make_uow, world.clock, world.bus, batch_size=2)
    with pytest.raises(RuntimeError, match="lost power"):
        crashing.run_term(world.org_id, first_day=FIRST, last_day=LAST, today=TODAY)

    # the first batch is committed, the second left nothing behind
    committed = invoices(world)
    assert 0 < len(committed) < len(made)
    with world.uow() as uow:
        assert sum(f.account_balance for f in uow.families.list()) == sum(
            i.total_amount for i in committed.values()
        )
    assert len(audit(world, "invoice.issue")) == len(committed)
    assert {e.entity_id for e in audit(world, "invoice.issue")} == {
        i.id for i in committed.values()
    }
    assert len(published(world, InvoiceIssued)) == len(committed)

    report = run(world, batch_size=2)

    assert report.already_invoiced == len(committed)
    assert report.invoices_issued == len(made) - len(committed)
    got, reference = invoices(world), invoices(uninterrupted)
    for e in made:  # as if it had never stopped: numbers given back, no gap, no twice
        assert (got[e.id].invoice_number, *figures(got[e.id])[:-1]) == (
            reference[e.id].invoice_number,
            *figures(reference[e.id])[:-1],
        )
    assert expected.invoices_issued == len(made)
    for family in (world.family, world.other_family):
        assert balance(world, family) == balance(uninterrupted, family)


def test_the_run_holds_the_cohort_lock_the_automatic_invoice_takes(world: World) -> None:
    """An automatic invoice for an enrolment the run is invoicing waits for the run's batch,
    then finds the invoice and issues nothing: never two invoices."""
    kim = enrol(world, world.child, world.cohort)
    paged, release = threading.Event(), threading.Event()

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = world.make_uow(organisation_id)
        repository = uow.term_invoicing
        real_page = repository.page

        def page(*args: Any, **kwargs: Any) -> TermInvoicingRepository.TermPage:
            found = real_page(*args, **kwargs)
            if found.enrolments:
                paged.set()
                assert release.wait(5)
            return found

        repository.page = page  # type: ignore[method-assign]
        return uow

    term = TermInvoicingService(make_uow, world.clock, world.bus)
    worker = threading.Thread(
        target=term.run_term,
        args=(world.org_id,),
        kwargs={"first_day": FIRST, "last_day": LAST, "today": TODAY},
    )
    worker.start()
    assert paged.wait(5)
    automatic: list[m.Invoice | None] = []
    racer = threading.Thread(
        target=lambda: automatic.append(
            InvoicingService(world.make_uow, world.clock, world.bus).invoice_enrolment(
                world.org_id, kim.id
            )
        )
    )
    racer.start()
    racer.join(0.3)
    assert racer.is_alive()  # waiting for the cohort's lock
    release.set()
    worker.join(5)
    racer.join(5)

    assert automatic == [None]
    with world.uow() as uow:
        assert len(uow.invoices.list_for_enrolment(kim.id)) == 1


# -- audit, events, report ------------------------------------------------------------------


def test_each_invoice_is_audited_once_with_everything_it_changed(world: World) -> None:
    """One entry per invoice, without an actor: its figures, the enrolment's discount and
    the family's balance moving invoice by invoice (in number order)."""
    with world.uow() as uow:
        uow.families.get(world.family.id).update(account_balance=D("-50.00"))  # in credit
        uow.commit()
    kim = enrol(world, world.child, world.cohort, on=date(2025, 11, 1))
    an = enrol(world, world.sibling, world.cohort, S.ENROLLED, on=date(2025, 11, 2))
    free = enrol(world, third_child(world), world.cohort, on=date(2025, 11, 3), override="0.00")

    run(world)

    got = invoices(world)
    issued = {e.entity_id: e for e in audit(world, "invoice.issue")}
    assert set(issued) == {got[kim.id].id, got[an.id].id, got[free.id].id}
    entry = issued[got[an.id].id]
    assert (entry.actor_staff_id, entry.entity_type, entry.occurred_at) == (
        None,
        "Invoice",
        world.clock.now(),
    )
    assert entry.summary == (
        "term invoice INV-2026-000002 for the enrolment of An Nguyen in"
        " Scratch Basics - Term 1 Mon: 316.80 due 2026-02-02"
    )
    assert entry.changes == {
        "enrolment_id": str(an.id),
        "family_id": str(world.family.id),
        "term": ["2026-01-05", "2026-03-31"],
        "tuition": "320.00",
        "sibling_rank": 2,
        "sessions": [4, 4],
        "subtotal": "288.00",
        "discount_amount": "32.00",
        "proration": "0.00",
        "gst_amount": "28.80",
        "total_amount": "316.80",
        "status": "sent",
        "issue_date": "2026-01-19",
        "due_date": "2026-02-02",
        "discount_applied": ["0.00", "32.00"],
        "account_balance": ["302.00", "618.80"],
    }
    kims = issued[got[kim.id].id].changes
    assert (kims["account_balance"], kims["discount_applied"]) == (
        ["-50.00", "302.00"],
        ["0.00", "0.00"],
    )
    frees = issued[got[free.id].id].changes
    assert (frees["status"], frees["account_balance"]) == ("paid", ["618.80", "618.80"])
    assert balance(world, world.family) == D("618.80")
    # the enrolment and the family get no entries of their own from a term run
    assert [e.action for e in audit(world, "enrolment.discount")] == []
    assert [e.action for e in audit(world, "family.account_balance")] == []


def test_each_invoice_is_published_once_its_batch_is_committed(world: World) -> None:
    made = school_of_families(world, families=3)
    seen_committed: list[bool] = []

    def check(event: DomainEvent) -> None:
        assert isinstance(event, InvoiceIssued)
        with world.uow() as uow:
            seen_committed.append(uow.invoices.find(event.invoice_id) is not None)

    world.bus.subscribe(InvoiceIssued, check)

    run(world, batch_size=1)

    events = published(world, InvoiceIssued)
    got = invoices(world)
    assert sorted(e.invoice_id for e in events) == sorted(i.id for i in got.values())
    assert len(events) == len(made)
    assert all(seen_committed)
    event = next(e for e in events if e.enrolment_id == made[0].id)
    invoice = got[made[0].id]
    assert event == InvoiceIssued(
        organisation_id=world.org_id,
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        family_id=invoice.family_id,
        enrolment_id=made[0].id,
        total_amount=invoice.total_amount,
        due_date=invoice.due_date,
    )


def test_progress_is_reported_after_each_batch(world: World) -> None:
    school_of_families(world, families=3)
    seen: list[TermInvoicingReport] = []

    final = service(world, batch_size=2).run_term(
        world.org_id, first_day=FIRST, last_day=LAST, today=TODAY, on_batch=seen.append
    )

    assert [r.batches for r in seen] == [1, 2, 3]
    assert seen[-1] == final
    assert [r.invoices_issued for r in seen] == sorted(r.invoices_issued for r in seen)


def test_the_due_date_follows_the_settings(world: World) -> None:
    update_settings(world, invoice_due_days=30)
    kim = enrol(world, world.child, world.cohort)

    run(world, today=date(2026, 1, 20))

    invoice = invoices(world)[kim.id]
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 1, 20), date(2026, 2, 19))
    assert invoice.invoice_number.startswith("INV-2026-")


def test_prices_come_from_pricing(world: World) -> None:
    """The run prices with ``price_tuition`` (the override first, then cohort, program)."""
    kim = enrol(world, world.child, world.cohort, override="123.45")

    run(world)

    with world.uow() as uow:
        settings = uow.organisations.current().settings
    priced = price_tuition(
        description=MONDAY,
        tuition=D("123.45"),
        sibling_rank=1,
        sessions_total=4,
        sessions_remaining=4,
        settings=settings,
    )
    invoice = invoices(world)[kim.id]
    assert (invoice.line_items, invoice.total_amount, invoice.gst_amount) == (
        priced.lines,
        priced.total,
        priced.gst,
    )


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ({"last_day": date(2026, 1, 4)}, "TermRun.last_day"),
        ({"first_day": datetime(2026, 1, 5, tzinfo=UTC)}, "TermRun.first_day"),
        ({"last_day": "2026-03-31"}, "TermRun.last_day"),
        ({"today": None}, "TermRun.today"),
    ],
)
def test_bad_days_are_refused_and_nothing_is_written(
    world: World, days: dict[str, Any], field: str
) -> None:
    enrol(world, world.child, world.cohort)
    error = refused(world, ValidationError, lambda: run(world, **days))
    assert isinstance(error, ValidationError)
    assert error.field == field


def test_an_unknown_organisation_is_not_found(world: World) -> None:
    enrol(world, world.child, world.cohort)
    term = service(world)
    refused(
        world,
        NotFound,
        lambda: term.run_term(UUID(int=7), first_day=FIRST, last_day=LAST, today=TODAY),
    )


@pytest.mark.parametrize("size", [0, -1, True, 2.5])
def test_a_batch_holds_at_least_one_family(world: World, size: Any) -> None:
    with pytest.raises(ValidationError) as info:
        TermInvoicingService(world.make_uow, world.clock, world.bus, batch_size=size)
    assert info.value.field == "TermInvoicingService.batch_size"


def test_the_repository_refuses_an_empty_page_or_block(world: World) -> None:
    with world.uow() as uow:
        with pytest.raises(ValueError, match="at least one family"):
            uow.term_invoicing.page(None, 0, first_day=FIRST, last_day=LAST, today=TODAY)
        with pytest.raises(ValueError, match="at least one number"):
            uow.term_invoicing.allocate_invoice_numbers(2026, 0)


# -- sibling ranks: the quick way and the rule one at a time ---------------------------------

NOW = datetime(2026, 1, 19, 9, tzinfo=UTC)


@st.composite
def families(draw: st.DrawFn) -> tuple[list[Any], list[Any], set[UUID]]:
    """A family's counted enrolments (ordered by enrolment date), those a run invoices and
    those it skips, in cohorts that may or may not all overlap."""
    children = [UUID(int=n + 1) for n in range(draw(st.integers(1, 4)))]
    overlapping = draw(st.booleans())
    rows = []
    for n in range(draw(st.integers(1, 7))):
        start = date(2026, 2, 2) + timedelta(days=draw(st.integers(0, 20 if overlapping else 200)))
        charged = draw(st.none() | st.integers(0, 5))
        rows.append(
            TermInvoicingRepository.TermEnrolment(
                id=UUID(int=1000 + n),
                family_id=UUID(int=99),
                student_id=draw(st.sampled_from(children)),
                status=S.ENROLLED,
                enrolment_date=datetime(2025, 9, 1, tzinfo=UTC)
                + timedelta(days=draw(st.integers(0, 3))),
                start_date=None,
                tuition_override=None,
                discount_applied=D("0.00"),
                cohort_id=UUID(int=500 + n),
                cohort_name=f"Cohort {n}",
                cohort_start=start,
                cohort_end=start + timedelta(weeks=draw(st.integers(1, 10))),
                cohort_price=D("100.00"),
                program_name="Scratch",
                program_price=None,
                sessions_total=4,
                sessions_remaining=4,
                first_charge=None
                if charged is None
                else (datetime(2025, 12, 1, tzinfo=UTC), f"INV-2025-{charged:06d}"),
                student_name="Kid",
            )
        )
    rows.sort(key=lambda r: (r.enrolment_date, r.id))
    uncharged = [r for r in rows if r.first_charge is None]
    skipped = {r.id for r in uncharged if draw(st.booleans()) and draw(st.booleans())}
    due = [r for r in uncharged if r.id not in skipped]
    return rows, due, skipped


@given(families())
def test_family_ranks_are_the_rule_applied_one_enrolment_at_a_time(
    family: tuple[list[Any], list[Any], set[UUID]],
) -> None:
    rows, due, skipped = family
    numbers = [f"INV-2026-{n:06d}" for n in range(1, len(due) + 1)]
    waiting = {r.id for r in due} | skipped
    expected, charged, left = [], {}, set(waiting)
    for row, number in zip(due, numbers, strict=True):
        left.discard(row.id)
        expected.append(term_sibling_rank(row, rows, charged, left, now=NOW))
        charged[row.id] = number

    assert family_ranks(rows, due, numbers, waiting, now=NOW) == expected
    # in a term where every cohort overlaps, a child has one rank whatever their classes
    by_child: dict[UUID, set[int]] = {}
    for row, rank in zip(due, expected, strict=True):
        by_child.setdefault(row.student_id, set()).add(rank)
    if max(r.cohort_start for r in rows) <= min(r.cohort_end for r in rows):
        assert all(len(ranks) == 1 for ranks in by_child.values())


def test_the_next_page_is_read_while_a_batch_is_written(world: World) -> None:
    """The run reads and prices its next page while the previous batch is written."""
    wednesday = cohort(world, "Term 1 Wed", date(2026, 2, 4), 4, price="280.00")
    for n in range(4):
        family = m.Family(
            organisation_id=world.org_id,
            family_name=f"Family {n}",
            primary_contact_name=f"Parent {n}",
            primary_contact_email=f"parent{n}@family.example",
        )
        world.add(family)
        enrol(world, add_student(world, family=family), wednesday, S.ENROLLED)
    second_page = threading.Event()
    overlapped: list[bool] = []

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = world.make_uow(organisation_id)
        repository = uow.term_invoicing
        real_page, real_issue = repository.page, repository.issue

        def page(after: UUID | None, *args: Any, **kwargs: Any) -> Any:
            if after is not None:
                second_page.set()
            return real_page(after, *args, **kwargs)

        def issue(*args: Any, **kwargs: Any) -> None:
            if not overlapped:  # the first batch waits until the next page is being read
                overlapped.append(second_page.wait(5))
            real_issue(*args, **kwargs)

        repository.page = page  # type: ignore[method-assign]
        repository.issue = issue  # type: ignore[method-assign]
        return uow

    report = TermInvoicingService(make_uow, world.clock, world.bus, batch_size=2).run_term(
        world.org_id, first_day=FIRST, last_day=LAST, today=TODAY
    )

    assert overlapped == [True]
    assert report.invoices_issued == 4
    assert sorted(i.invoice_number for i in invoices(world).values()) == [
        f"INV-2026-{n:06d}" for n in range(1, 5)
    ]


def test_one_run_at_a_time(world: World) -> None:
    """A second run waits for the first (the run lock), then finds everything invoiced."""
    school_of_families(world, families=2)
    paged, release = threading.Event(), threading.Event()

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = world.make_uow(organisation_id)
        repository = uow.term_invoicing
        real_page = repository.page

        def page(*args: Any, **kwargs: Any) -> Any:
            found = real_page(*args, **kwargs)
            if found.enrolments:
                paged.set()
                assert release.wait(5)
            return found

        repository.page = page  # type: ignore[method-assign]
        return uow

    first: list[TermInvoicingReport] = []
    worker = threading.Thread(
        target=lambda: first.append(
            TermInvoicingService(make_uow, world.clock, world.bus).run_term(
                world.org_id, first_day=FIRST, last_day=LAST, today=TODAY
            )
        )
    )
    worker.start()
    assert paged.wait(5)
    second: list[TermInvoicingReport] = []
    racer = threading.Thread(target=lambda: second.append(run(world)))
    racer.start()
    racer.join(0.3)
    assert racer.is_alive()  # waiting for the run lock
    release.set()
    worker.join(5)
    racer.join(5)

    assert first[0].invoices_issued == len(invoices(world)) == 5
    assert (second[0].invoices_issued, second[0].already_invoiced) == (0, 5)
