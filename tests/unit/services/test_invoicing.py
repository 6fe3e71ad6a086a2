"""Invoices: the automatic invoice of an enrolment awaiting payment (sibling discount,
proration, GST), manual invoices, sending, voiding, credit notes, the overdue run, viewing.

The school is ``world`` (tests/unit/services/conftest.py): cohort "Scratch Basics - Term 1 Mon"
(3 seats, $320, four Mondays 2-23 February 2026) at Werribee; today is Monday 19 January
(20:00 in Melbourne). The Nguyen family (``world.family``) has two children, Kim
(``world.child``) and An (``world.sibling``); the Smiths (``world.other_family``) one.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import TODAY, World
from tests.unit.services.helpers import ROLES, add_cohort
from tests.unit.services.test_enrolment import (
    add_student,
    admin,
    audit_actions,
    audit_entries,
    enquiry,
    load,
    other_school,
    published,
    refused,
    seated,
    service,
    set_cohort_status,
)

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from rocket_core.events import (
    EnrolmentAwaitingPayment,
    EnrolmentConfirmed,
    InvoiceIssued,
    InvoiceOverdue,
)
from rocket_core.model import EnrolmentStatus as S
from rocket_core.model import InvoiceStatus as I
from rocket_core.permissions import Actor
from rocket_core.services.invoicing import InvoicingService

D = Decimal
TUITION_LINE = "Scratch Basics — Scratch Basics - Term 1 Mon"
#: Who may charge (create and send invoices) the Nguyens, who have an enquiry at Werribee.
CHARGES = {"super_admin", "campus_manager", "front_desk"}
#: Who may forgive money owed (credit notes, voiding a sent invoice) on their own.
FORGIVES = {"super_admin", "campus_manager"}
#: Who may view the Nguyens' invoices.
VIEWS = {"super_admin", "campus_manager", "front_desk"}


@pytest.fixture
def billing(world: World) -> InvoicingService:
    """The invoicing service, subscribed to the world's bus (enrolments get invoices)."""
    invoicing = InvoicingService(world.make_uow, world.clock, world.bus)
    invoicing.subscribe()
    return invoicing


# -- helpers --------------------------------------------------------------------------------


def _enrolments(world: World, student: m.Student) -> list[m.Enrolment]:
    with world.uow() as uow:
        return uow.enrolments.list_for_student(student.id)


def invoices_of(world: World, family: m.Family | None = None) -> list[m.Invoice]:
    with world.uow() as uow:
        return uow.invoices.list_for_family((family or world.family).id)


def invoice_of(world: World, enrolment: m.Enrolment) -> m.Invoice:
    with world.uow() as uow:
        [invoice] = uow.invoices.list_for_enrolment(enrolment.id)
        return invoice


def load_invoice(world: World, invoice_id: UUID) -> m.Invoice:
    with world.uow() as uow:
        return uow.invoices.get(invoice_id)


def balance(world: World, family: m.Family | None = None) -> Decimal:
    with world.uow() as uow:
        return uow.families.get((family or world.family).id).account_balance


def credit_notes_of(world: World, invoice_id: UUID) -> list[m.CreditNote]:
    with world.uow() as uow:
        return uow.credit_notes.list_for_invoice(invoice_id)


def amounts(invoice: m.Invoice) -> list[tuple[str, Decimal]]:
    return [(line.description, line.amount) for line in invoice.line_items]


def update_settings(world: World, **changes: Any) -> None:
    with world.uow() as uow:
        organisation = uow.organisations.current()
        organisation.update(settings=attrs.evolve(organisation.settings, **changes))
        uow.commit()


def on_day(world: World, day: date, hour: int = 9) -> None:
    """Move the clock to ``day`` (09:00 UTC: evening of the same day in Melbourne)."""
    world.clock.set(datetime.combine(day, time(hour), tzinfo=UTC))


def materials(*prices: str) -> list[m.LineItem]:
    return [
        m.LineItem(description=f"Item {n}", quantity=1, unit_price=D(price))
        for n, price in enumerate(prices, start=1)
    ]


def nguyens_at_werribee(world: World) -> m.Enrolment:
    """An enquiry for Kim at Werribee (once): the Nguyens become a Werribee family."""
    with world.uow() as uow:
        live = uow.enrolments.find_live(world.child.id, world.cohort.id)
    return live or enquiry(world, world.child)


def draft(world: World, billing: InvoicingService, *prices: str) -> m.Invoice:
    nguyens_at_werribee(world)
    return billing.create_manual_invoice(admin(world), world.family.id, materials(*prices))


def sent(world: World, billing: InvoicingService, *prices: str) -> m.Invoice:
    return billing.send_invoice(admin(world), draft(world, billing, *prices).id)


def pay(world: World, invoice_id: UUID, amount: str) -> None:
    """Money received on an invoice (what the payments use case does), arranged directly."""
    with world.uow() as uow:
        invoice = uow.invoices.get(invoice_id)
        invoice.apply_payment(D(amount))
        family = uow.families.get(invoice.family_id)
        family.update(account_balance=family.account_balance - D(amount))
        uow.commit()


# -- the automatic invoice ------------------------------------------------------------------


def test_a_seat_awaiting_payment_gets_a_sent_invoice_with_tuition_and_gst(
    world: World, billing: InvoicingService
) -> None:
    enrolment = seated(world, world.child)

    invoice = invoice_of(world, enrolment)
    assert invoice.invoice_number == "INV-2026-000001"
    assert invoice.status is I.SENT
    assert (invoice.issue_date, invoice.due_date) == (TODAY, TODAY + timedelta(days=14))
    assert amounts(invoice) == [(TUITION_LINE, D("320.00"))]
    assert (invoice.gst_amount, invoice.total_amount) == (D("32.00"), D("352.00"))
    assert (invoice.discount_amount, invoice.amount_outstanding) == (D("0.00"), D("352.00"))
    assert invoice.family_id == world.family.id
    assert invoice.created_at == world.clock.now()
    assert balance(world) == D("352.00")
    assert load(world, enrolment.id).status is S.PENDING_PAYMENT
    [issued] = published(world, InvoiceIssued)
    assert issued == InvoiceIssued(
        organisation_id=world.org_id,
        invoice_id=invoice.id,
        invoice_number="INV-2026-000001",
        family_id=world.family.id,
        enrolment_id=enrolment.id,
        total_amount=D("352.00"),
        due_date=date(2026, 2, 2),
    )
    assert audit_actions(world, invoice.id) == ["invoice.create", "invoice.send"]
    created = audit_entries(world, invoice.id)[0]
    assert created.actor_staff_id is None
    assert created.changes["sibling_rank"] == 1
    assert created.changes["sessions"] == [4, 4]
    assert audit_actions(world, world.family.id)[-1] == "family.account_balance"
    assert audit_entries(world, world.family.id)[-1].changes["account_balance"] == [
        "0.00",
        "352.00",
    ]


def test_the_invoice_is_dated_by_the_campus_clock(world: World, billing: InvoicingService) -> None:
    # 14:00 UTC on 19 January is already 01:00 on 20 January in Melbourne.
    world.clock.set(datetime(2026, 1, 19, 14, 0, tzinfo=UTC))
    invoice = invoice_of(world, seated(world, world.child))
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 1, 20), date(2026, 2, 3))


def test_a_waitlist_offer_is_invoiced_too(world: World, billing: InvoicingService) -> None:
    full = add_cohort(world, capacity=1)
    first = seated(world, cohort=full)
    waiting = seated(world, world.child, cohort=full)
    assert load(world, waiting.id).is_waitlist
    service(world).drop(admin(world), first.id, on=TODAY, reason="moved away")

    assert load(world, waiting.id).status is S.PENDING_PAYMENT
    invoice = invoice_of(world, waiting)
    assert invoice.status is I.SENT
    assert invoice.line_items[0].description == f"Scratch Basics — {full.name}"


def test_invoicing_is_idempotent(world: World, billing: InvoicingService) -> None:
    enrolment = seated(world, world.child)
    before = invoice_of(world, enrolment)
    event = EnrolmentAwaitingPayment(
        organisation_id=world.org_id,
        enrolment_id=enrolment.id,
        student_id=world.child.id,
        family_id=world.family.id,
        cohort_id=world.cohort.id,
    )
    events = len(world.published)

    assert billing.invoice_enrolment(world.org_id, enrolment.id) is None
    billing.on_enrolment_awaiting_payment(event)
    assert world.bus.publish([event]) == []

    assert [i.id for i in invoices_of(world)] == [before.id]
    assert balance(world) == D("352.00")
    assert len(world.published) == events + 1  # only the re-published event itself


def test_a_voided_invoice_can_be_replaced_while_the_seat_still_awaits_payment(
    world: World, billing: InvoicingService
) -> None:
    enrolment = seated(world, world.child)
    first = invoice_of(world, enrolment)
    billing.void_invoice(admin(world), first.id, "wrong price")

    again = billing.invoice_enrolment(world.org_id, enrolment.id)

    assert again is not None
    assert again.invoice_number == "INV-2026-000002"
    assert balance(world) == D("352.00")


def test_only_an_enrolment_pending_payment_is_invoiced(
    world: World, billing: InvoicingService
) -> None:
    enquired = enquiry(world, world.child)
    assert billing.invoice_enrolment(world.org_id, enquired.id) is None
    plain = InvoicingService(world.make_uow, world.clock, world.bus)
    with world.uow() as uow:  # paid before its invoice was raised (no handler ran)
        uow.enrolments.add(
            m.Enrolment(
                organisation_id=world.org_id,
                student_id=world.sibling.id,
                cohort_id=world.cohort.id,
                status=S.ENROLLED,
            )
        )
        uow.commit()
    [paid] = [e for e in _enrolments(world, world.sibling) if e.status is S.ENROLLED]
    assert plain.invoice_enrolment(world.org_id, paid.id) is None
    assert invoices_of(world) == []
    assert balance(world) == D("0.00")


def test_concurrent_deliveries_issue_one_invoice(world: World) -> None:
    quiet = InvoicingService(world.make_uow, world.clock, world.bus)  # not subscribed
    enrolment = seated(world, world.child)
    assert invoices_of(world) == []
    start = threading.Barrier(8)
    results: list[m.Invoice | None] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait(timeout=10)
            results.append(quiet.invoice_enrolment(world.org_id, enrolment.id))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert len(invoices_of(world)) == 1
    assert balance(world) == D("352.00")


def test_an_unknown_or_foreign_enrolment_is_not_found(
    world: World, billing: InvoicingService
) -> None:
    elsewhere = other_school(world)
    for enrolment_id in (uuid4(), elsewhere.enrolment.id):
        with pytest.raises(NotFound):
            billing.invoice_enrolment(world.org_id, enrolment_id)


def test_the_price_is_the_override_else_the_cohort_else_the_program(
    world: World, billing: InvoicingService
) -> None:
    unpriced = add_cohort(world)  # add_cohort sets no tuition price: the program's 320.00
    enrolment = enquiry(world, world.child, unpriced)
    with world.uow() as uow:
        uow.programs.get(world.program.id).update(default_price=D("250.00"))
        uow.commit()
    service(world).request_payment(admin(world), enrolment.id)
    assert invoice_of(world, enrolment).line_items[0].unit_price == D("250.00")

    special = enquiry(world, world.other_child)
    with world.uow() as uow:
        uow.enrolments.get(special.id).update(tuition_override=D("199.99"))
        uow.commit()
    service(world).request_payment(admin(world), special.id)
    assert invoice_of(world, special).total_amount == D("219.99")  # 199.99 + 20.00


def test_no_price_anywhere_issues_nothing(world: World, billing: InvoicingService) -> None:
    unpriced = add_cohort(world)
    with world.uow() as uow:
        uow.programs.get(world.program.id).update(default_price=None)
        uow.commit()
    enrolment = seated(world, world.child, unpriced)  # the handler's error is logged

    assert load(world, enrolment.id).status is S.PENDING_PAYMENT
    assert invoices_of(world) == []
    assert balance(world) == D("0.00")
    refused(
        world,
        Conflict,
        lambda: billing.invoice_enrolment(world.org_id, enrolment.id),
        "no tuition price",
    )


def test_prices_including_gst(world: World, billing: InvoicingService) -> None:
    update_settings(world, prices_include_gst=True)
    invoice = invoice_of(world, seated(world, world.child))
    assert (invoice.total_amount, invoice.gst_amount) == (D("320.00"), D("29.09"))
    assert balance(world) == D("320.00")


def test_organisation_settings_set_gst_and_terms(world: World, billing: InvoicingService) -> None:
    update_settings(world, gst_rate=D("0.15"), invoice_due_days=30)
    invoice = invoice_of(world, seated(world, world.child))
    assert (invoice.gst_amount, invoice.total_amount) == (D("48.00"), D("368.00"))
    assert invoice.due_date == TODAY + timedelta(days=30)


def test_a_free_seat_is_paid_at_once_and_confirms_the_enrolment(
    world: World, billing: InvoicingService
) -> None:
    enrolment = enquiry(world, world.child)
    with world.uow() as uow:
        uow.enrolments.get(enrolment.id).update(tuition_override=D("0.00"))
        uow.commit()
    service(world).request_payment(admin(world), enrolment.id)

    invoice = invoice_of(world, enrolment)
    assert (invoice.status, invoice.total_amount) == (I.PAID, D("0.00"))
    assert load(world, enrolment.id).status is S.ENROLLED
    assert balance(world) == D("0.00")
    assert [e.enrolment_id for e in published(world, EnrolmentConfirmed)] == [enrolment.id]


# -- sibling discount -----------------------------------------------------------------------


def test_the_second_and_third_children_get_sibling_discounts(
    world: World, billing: InvoicingService
) -> None:
    third = add_student(world)
    first = invoice_of(world, seated(world, world.child))
    ans = seated(world, world.sibling)
    second = invoice_of(world, ans)
    last = invoice_of(world, seated(world, third))

    assert amounts(first) == [(TUITION_LINE, D("320.00"))]
    assert amounts(second) == [
        (TUITION_LINE, D("320.00")),
        ("Sibling discount: 10% off for the 2nd child", D("-32.00")),
    ]
    assert (second.discount_amount, second.total_amount) == (D("32.00"), D("316.80"))
    assert amounts(last)[1] == ("Sibling discount: 15% off for the 3rd child", D("-48.00"))
    assert last.total_amount == D("299.20")
    assert balance(world) == D("352.00") + D("316.80") + D("299.20")
    assert load(world, ans.id).discount_applied == D("32.00")
    assert load(world, first.enrolment_id or uuid4()).discount_applied == D("0.00")
    assert "enrolment.discount" in audit_actions(world, ans.id)


def test_siblings_rank_by_when_they_were_charged_not_by_enquiry_date(
    world: World, billing: InvoicingService
) -> None:
    early = enquiry(world, world.sibling)  # An enquired first...
    world.clock.advance(timedelta(minutes=5))
    kim = seated(world, world.child)  # ...but Kim took a seat first
    world.clock.advance(timedelta(minutes=5))
    an = service(world).request_payment(admin(world), early.id)

    assert invoice_of(world, kim).discount_amount == D("0.00")
    assert invoice_of(world, an).discount_amount == D("32.00")


def test_other_terms_dropped_siblings_and_other_families_do_not_count(
    world: World, billing: InvoicingService
) -> None:
    next_term = add_cohort(world, start=date(2026, 4, 20))
    seated(world, world.child, next_term)  # Kim, next term
    seated(world, world.other_child)  # the Smiths
    dropped = seated(world, add_student(world))
    service(world).drop(admin(world), dropped.id, on=TODAY, reason="changed mind")

    an = seated(world, world.sibling)

    assert invoice_of(world, an).discount_amount == D("0.00")


def test_a_child_with_two_classes_in_a_term_keeps_their_rank(
    world: World, billing: InvoicingService
) -> None:
    wednesday = add_cohort(world)  # overlaps the Monday cohort
    seated(world, world.child)
    seated(world, world.sibling)
    kims_second = seated(world, world.child, wednesday)
    ans_second = seated(world, world.sibling, wednesday)

    assert invoice_of(world, kims_second).discount_amount == D("0.00")
    assert invoice_of(world, ans_second).discount_amount == D("32.00")


def test_a_completed_sibling_in_an_overlapping_cohort_counts(
    world: World, billing: InvoicingService
) -> None:
    holiday = add_cohort(world, start=date(2026, 1, 12), sessions=2)  # 12-19 January
    with world.uow() as uow:
        uow.enrolments.add(
            m.Enrolment(
                organisation_id=world.org_id,
                student_id=world.child.id,
                cohort_id=holiday.id,
                status=S.COMPLETED,
                enrolment_date=datetime(2026, 1, 2, tzinfo=UTC),
            )
        )
        uow.commit()
    late_cohort = add_cohort(world, start=date(2026, 1, 19), sessions=4)

    an = seated(world, world.sibling, late_cohort)

    assert invoice_of(world, an).discount_amount == D("32.00")


# -- proration ------------------------------------------------------------------------------


def test_joining_late_pays_for_the_sessions_not_cancelled_that_remain(
    world: World, billing: InvoicingService
) -> None:
    set_cohort_status(world, world.cohort, "begin")
    on_day(world, date(2026, 2, 10))  # two of the four Mondays are past
    enrolment = seated(world, world.child)
    invoice = invoice_of(world, enrolment)
    assert amounts(invoice) == [
        (TUITION_LINE, D("320.00")),
        ("Late start: 2 of 4 sessions remaining", D("-160.00")),
    ]
    assert (invoice.discount_amount, invoice.total_amount) == (D("0.00"), D("176.00"))

    with world.uow() as uow:
        uow.sessions.get(world.sessions[3].id).cancel("Flood")
        uow.commit()
    second = invoice_of(world, seated(world, world.sibling))
    # 1 of 3 sessions not cancelled: 320 / 3 = 106.67 (213.33 off), 10% sibling discount 10.67.
    assert amounts(second) == [
        (TUITION_LINE, D("320.00")),
        ("Late start: 1 of 3 sessions remaining", D("-213.33")),
        ("Sibling discount: 10% off for the 2nd child", D("-10.67")),
    ]
    assert (second.gst_amount, second.total_amount) == (D("9.60"), D("105.60"))


def test_a_session_on_the_day_of_joining_still_counts(
    world: World, billing: InvoicingService
) -> None:
    set_cohort_status(world, world.cohort, "begin")
    on_day(world, date(2026, 2, 9), hour=2)  # Monday 9 February, 13:00 in Melbourne
    invoice = invoice_of(world, seated(world, world.child))
    assert amounts(invoice)[1] == ("Late start: 3 of 4 sessions remaining", D("-80.00"))


# -- manual invoices ------------------------------------------------------------------------


def test_a_manual_invoice_is_a_draft_that_owes_nothing_yet(
    world: World, billing: InvoicingService
) -> None:
    nguyens_at_werribee(world)
    lines = [
        m.LineItem(description="Robotics kit", quantity=2, unit_price=D("45.50")),
        m.LineItem(description="Excursion", unit_price=D("9.00")),
    ]
    invoice = billing.create_manual_invoice(
        world.actor("front_desk"), world.family.id, lines, notes="Term 1 extras"
    )

    saved = load_invoice(world, invoice.id)
    assert saved.status is I.DRAFT
    assert saved.invoice_number == "INV-2026-000001"
    assert saved.enrolment_id is None
    assert saved.line_items == tuple(lines)
    assert (saved.gst_amount, saved.total_amount, saved.amount_outstanding) == (
        D("10.00"),
        D("110.00"),
        D("110.00"),
    )
    assert saved.notes == "Term 1 extras"
    assert balance(world) == D("0.00")
    assert published(world, InvoiceIssued) == []
    [entry] = audit_entries(world, invoice.id)
    assert (entry.action, entry.actor_staff_id) == (
        "invoice.create",
        world.staff["front_desk"].id,
    )


def test_sending_fixes_dates_and_charges_the_family(
    world: World, billing: InvoicingService
) -> None:
    invoice = draft(world, billing, "100.00")
    on_day(world, date(2026, 1, 23))

    sent_invoice = billing.send_invoice(world.actor("campus_manager"), invoice.id)

    saved = load_invoice(world, sent_invoice.id)
    assert saved.status is I.SENT
    assert (saved.issue_date, saved.due_date) == (date(2026, 1, 23), date(2026, 2, 6))
    assert balance(world) == D("110.00")
    [issued] = published(world, InvoiceIssued)
    assert (issued.invoice_id, issued.enrolment_id, issued.total_amount) == (
        invoice.id,
        None,
        D("110.00"),
    )
    assert audit_actions(world, invoice.id) == ["invoice.create", "invoice.send"]
    assert audit_entries(world, invoice.id)[1].actor_staff_id == world.staff["campus_manager"].id


def test_a_sent_invoice_cannot_be_sent_again(world: World, billing: InvoicingService) -> None:
    invoice = sent(world, billing, "10.00")
    refused(world, InvalidTransition, lambda: billing.send_invoice(admin(world), invoice.id))
    assert balance(world) == D("11.00")


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "Invoice.line_items"),
        (["Kit: 10.00"], "Invoice.line_items"),
        (materials("10.00", "-1.00"), "LineItem.unit_price"),
        (materials("0.00"), "Invoice.total_amount"),
        (
            [m.LineItem(description="Kit", quantity=10_000, unit_price=D("99999999.99"))],
            "Invoice.total_amount",
        ),
    ],
)
def test_bad_manual_lines_are_refused(
    world: World, billing: InvoicingService, lines: list[Any], field: str
) -> None:
    nguyens_at_werribee(world)
    error = refused(
        world,
        ValidationError,
        lambda: billing.create_manual_invoice(admin(world), world.family.id, lines),
    )
    assert isinstance(error, ValidationError)
    assert error.field == field


def test_sub_cent_and_negative_line_amounts_are_validation_errors() -> None:
    for price in ("1.001", "NaN"):
        with pytest.raises(ValidationError) as caught:
            m.LineItem(description="Kit", unit_price=D(price))
        assert caught.value.field == "LineItem.unit_price"


def test_manual_invoices_need_a_known_open_family(world: World, billing: InvoicingService) -> None:
    elsewhere = other_school(world)
    for family_id in (uuid4(), elsewhere.student.family_id):
        refused(
            world,
            NotFound,
            lambda f=family_id: billing.create_manual_invoice(admin(world), f, materials("5.00")),
        )
    with world.uow() as uow:
        uow.families.get(world.other_family.id).deactivate()
        uow.commit()
    refused(
        world,
        Conflict,
        lambda: billing.create_manual_invoice(
            admin(world), world.other_family.id, materials("5.00")
        ),
        "closed",
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_create_a_manual_invoice(world: World, billing: InvoicingService, who: str) -> None:
    nguyens_at_werribee(world)

    def create() -> m.Invoice:
        return billing.create_manual_invoice(world.actor(who), world.family.id, materials("5.00"))

    if who in CHARGES:
        assert create().status is I.DRAFT
    else:
        refused(world, Forbidden, create)


@pytest.mark.parametrize("who", ROLES)
def test_who_may_send_an_invoice(world: World, billing: InvoicingService, who: str) -> None:
    invoice = draft(world, billing, "5.00")

    def send() -> m.Invoice:
        return billing.send_invoice(world.actor(who), invoice.id)

    if who in CHARGES:
        assert send().status is I.SENT
    else:
        refused(world, Forbidden, send)


def test_a_family_without_enrolments_is_charged_by_a_super_admin_only(
    world: World, billing: InvoicingService
) -> None:
    lines = materials("5.00")
    refused(
        world,
        Forbidden,
        lambda: billing.create_manual_invoice(
            world.actor("campus_manager"), world.family.id, lines
        ),
    )
    assert billing.create_manual_invoice(admin(world), world.family.id, lines).status is I.DRAFT


def test_a_family_with_a_past_enrolment_at_a_campus_belongs_to_it(
    world: World, billing: InvoicingService
) -> None:
    geelong = add_cohort(world, campus=world.other_campus)
    enrolment = enquiry(world, world.child, geelong)
    service(world).drop(admin(world), enrolment.id, on=TODAY, reason="too far")
    invoice = billing.create_manual_invoice(
        world.actor("other_manager"), world.family.id, materials("5.00")
    )
    assert invoice.status is I.DRAFT


# -- voiding --------------------------------------------------------------------------------


def test_voiding_a_draft_changes_no_balance(world: World, billing: InvoicingService) -> None:
    invoice = draft(world, billing, "40.00")
    voided = billing.void_invoice(world.actor("front_desk"), invoice.id, "duplicate")

    saved = load_invoice(world, voided.id)
    assert (saved.status, saved.amount_outstanding) == (I.VOID, D("0.00"))
    assert saved.notes == "Void: duplicate"
    assert balance(world) == D("0.00")
    assert audit_actions(world, invoice.id)[-1] == "invoice.void"


def test_voiding_a_sent_invoice_takes_what_was_outstanding_off_the_balance(
    world: World, billing: InvoicingService
) -> None:
    invoice = sent(world, billing, "100.00")
    billing.issue_credit_note(admin(world), invoice.id, D("10.00"), "goodwill")
    assert balance(world) == D("100.00")

    billing.void_invoice(world.actor("campus_manager"), invoice.id, "  charged in error  ")

    saved = load_invoice(world, invoice.id)
    assert saved.status is I.VOID
    assert balance(world) == D("0.00")
    entry = audit_entries(world, invoice.id)[-1]
    assert entry.action == "invoice.void"
    assert entry.changes["reason"] == "charged in error"
    assert entry.changes["amount_outstanding"] == ["100.00", "0.00"]


def test_an_invoice_with_money_paid_cannot_be_voided(
    world: World, billing: InvoicingService
) -> None:
    invoice = sent(world, billing, "100.00")
    pay(world, invoice.id, "20.00")
    refused(world, Conflict, lambda: billing.void_invoice(admin(world), invoice.id, "x"), "refund")
    pay(world, invoice.id, "90.00")
    refused(world, Conflict, lambda: billing.void_invoice(admin(world), invoice.id, "x"))


def test_a_void_invoice_cannot_be_voided_again_and_a_reason_is_required(
    world: World, billing: InvoicingService
) -> None:
    invoice = sent(world, billing, "100.00")
    for reason in ("", "   "):
        error = refused(
            world,
            ValidationError,
            lambda r=reason: billing.void_invoice(admin(world), invoice.id, r),
        )
        assert isinstance(error, ValidationError)
        assert error.field == "Invoice.notes"
    billing.void_invoice(admin(world), invoice.id, "duplicate")
    refused(world, InvalidTransition, lambda: billing.void_invoice(admin(world), invoice.id, "x"))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_void_a_sent_invoice(world: World, billing: InvoicingService, who: str) -> None:
    invoice = sent(world, billing, "100.00")

    def void() -> m.Invoice:
        return billing.void_invoice(world.actor(who), invoice.id, "error")

    if who in FORGIVES:
        assert void().status is I.VOID
    else:
        refused(world, Forbidden, void)


def test_front_desk_voids_a_sent_invoice_with_a_managers_approval(
    world: World, billing: InvoicingService
) -> None:
    invoice = sent(world, billing, "100.00")
    desk = world.actor("front_desk")
    refused(
        world,
        Forbidden,
        lambda: billing.void_invoice(
            desk, invoice.id, "error", approver=world.actor("other_manager")
        ),
    )
    refused(
        world,
        Forbidden,
        lambda: billing.void_invoice(
            desk, invoice.id, "error", approver=world.actor("lead_instructor")
        ),
    )
    voided = billing.void_invoice(desk, invoice.id, "error", approver=world.actor("campus_manager"))
    assert voided.status is I.VOID
    entry = audit_entries(world, invoice.id)[-1]
    assert entry.changes["approved_by_staff_id"] == str(world.staff["campus_manager"].id)
    assert entry.actor_staff_id == world.staff["front_desk"].id


def test_a_campus_manager_forgives_at_most_the_refund_limit(
    world: World, billing: InvoicingService
) -> None:
    invoice = sent(world, billing, "500.00")  # 550.00 with GST
    manager = world.actor("campus_manager")
    refused(world, Forbidden, lambda: billing.void_invoice(manager, invoice.id, "x"), "500.00")
    refused(
        world,
        Forbidden,
        lambda: billing.issue_credit_note(manager, invoice.id, D("500.01"), "x"),
        "500.00",
    )
    refused(
        world,
        Forbidden,
        lambda: billing.issue_credit_note(
            world.actor("front_desk"), invoice.id, D("500.01"), "x", approver=manager
        ),
    )
    assert billing.issue_credit_note(manager, invoice.id, D("500.00"), "x").total_amount == D(
        "500.00"
    )
    update_settings(world, campus_manager_refund_limit=D("1000.00"))
    other = sent(world, billing, "800.00")
    assert billing.void_invoice(manager, other.id, "x").status is I.VOID
    big = sent(world, billing, "5000.00")
    assert billing.void_invoice(admin(world), big.id, "x").status is I.VOID


# -- credit notes ---------------------------------------------------------------------------


def test_a_credit_note_takes_an_amount_off_with_its_gst_share(
    world: World, billing: InvoicingService
) -> None:
    enrolment = seated(world, world.child)
    invoice = invoice_of(world, enrolment)  # 352.00, GST 32.00
    on_day(world, date(2026, 1, 21))

    note = billing.issue_credit_note(
        world.actor("campus_manager"), invoice.id, D("50.00"), "missed first week"
    )

    assert note.credit_note_number == "CN-2026-000001"
    assert (note.total_amount, note.gst_amount) == (D("50.00"), D("4.55"))  # 50 x 32/352
    assert note.issue_date == date(2026, 1, 21)
    assert (note.invoice_id, note.family_id) == (invoice.id, world.family.id)
    assert note.reason == "missed first week"
    assert note.created_by_staff_id == world.staff["campus_manager"].id
    assert [line.amount for line in note.line_items] == [D("50.00")]
    saved = load_invoice(world, invoice.id)
    assert (saved.status, saved.amount_credited, saved.amount_outstanding) == (
        I.SENT,
        D("50.00"),
        D("302.00"),
    )
    assert saved.line_items == invoice.line_items  # a sent invoice's lines never change
    assert balance(world) == D("302.00")
    assert [n.id for n in credit_notes_of(world, invoice.id)] == [note.id]
    assert audit_actions(world, note.id) == ["credit_note.issue"]
    assert audit_actions(world, invoice.id)[-1] == "invoice.credit"
    assert load(world, enrolment.id).status is S.PENDING_PAYMENT


def test_credit_notes_gst_adds_up_to_the_invoices(world: World, billing: InvoicingService) -> None:
    invoice = sent(world, billing, "0.07", "0.03")  # 0.10 + GST 0.01 = 0.11
    notes = [
        billing.issue_credit_note(admin(world), invoice.id, D("0.05"), "part") for _ in range(2)
    ]
    notes.append(billing.issue_credit_note(admin(world), invoice.id, D("0.01"), "rest"))
    assert [n.gst_amount for n in notes] == [D("0.00"), D("0.01"), D("0.00")]
    assert sum(n.gst_amount for n in notes) == D("0.01")
    assert [n.credit_note_number for n in notes] == [
        "CN-2026-000001",
        "CN-2026-000002",
        "CN-2026-000003",
    ]
    assert load_invoice(world, invoice.id).status is I.PAID
    assert balance(world) == D("0.00")


def test_crediting_all_that_is_outstanding_settles_the_invoice_and_confirms_the_seat(
    world: World, billing: InvoicingService
) -> None:
    enrolment = seated(world, world.child)
    invoice = invoice_of(world, enrolment)
    pay(world, invoice.id, "52.00")

    billing.issue_credit_note(admin(world), invoice.id, D("300.00"), "scholarship")

    saved = load_invoice(world, invoice.id)
    assert (saved.status, saved.amount_outstanding) == (I.PAID, D("0.00"))
    assert (saved.amount_paid, saved.amount_credited) == (D("52.00"), D("300.00"))
    assert load(world, enrolment.id).status is S.ENROLLED
    assert [e.enrolment_id for e in published(world, EnrolmentConfirmed)] == [enrolment.id]
    assert balance(world) == D("0.00")


def test_credit_on_a_part_paid_or_overdue_invoice(world: World, billing: InvoicingService) -> None:
    invoice = sent(world, billing, "100.00")
    pay(world, invoice.id, "10.00")
    billing.issue_credit_note(admin(world), invoice.id, D("20.00"), "discount")
    assert load_invoice(world, invoice.id).status is I.PARTIAL
    billing.mark_overdue(world.org_id, date(2026, 3, 1))
    billing.issue_credit_note(admin(world), invoice.id, D("20.00"), "discount")
    saved = load_invoice(world, invoice.id)
    assert (saved.status, saved.amount_outstanding) == (I.OVERDUE, D("60.00"))
    assert balance(world) == D("60.00")


@pytest.mark.parametrize(
    "amount",
    [D("-1.00"), D("0.00"), D("0.001"), D("12.345"), D("NaN"), D("Infinity"), 5, 5.0],
    ids=str,
)
def test_bad_credit_amounts_are_validation_errors(
    world: World, billing: InvoicingService, amount: Any
) -> None:
    invoice = sent(world, billing, "100.00")
    error = refused(
        world,
        ValidationError,
        lambda: billing.issue_credit_note(admin(world), invoice.id, amount, "x"),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "CreditNote.total_amount"


def test_a_credit_note_takes_at_most_what_is_outstanding(
    world: World, billing: InvoicingService
) -> None:
    invoice = sent(world, billing, "100.00")
    pay(world, invoice.id, "100.00")  # 10.00 left
    error = refused(
        world,
        ValidationError,
        lambda: billing.issue_credit_note(admin(world), invoice.id, D("10.01"), "x"),
        "10.00 outstanding",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "CreditNote.total_amount"
    error = refused(
        world,
        ValidationError,
        lambda: billing.issue_credit_note(admin(world), invoice.id, D("5.00"), " "),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "CreditNote.reason"


def test_no_credit_note_on_a_draft_void_or_paid_invoice(
    world: World, billing: InvoicingService
) -> None:
    drafted = draft(world, billing, "10.00")
    refused(
        world,
        InvalidTransition,
        lambda: billing.issue_credit_note(admin(world), drafted.id, D("1.00"), "x"),
        "draft",
    )
    voided = billing.void_invoice(admin(world), drafted.id, "x")
    refused(
        world,
        InvalidTransition,
        lambda: billing.issue_credit_note(admin(world), voided.id, D("1.00"), "x"),
        "void",
    )
    paid = sent(world, billing, "10.00")
    pay(world, paid.id, "11.00")
    refused(
        world,
        InvalidTransition,
        lambda: billing.issue_credit_note(admin(world), paid.id, D("1.00"), "x"),
        "paid",
    )
    refused(
        world,
        NotFound,
        lambda: billing.issue_credit_note(admin(world), uuid4(), D("1.00"), "x"),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_issue_a_credit_note(world: World, billing: InvoicingService, who: str) -> None:
    invoice = sent(world, billing, "100.00")

    def credit() -> m.CreditNote:
        return billing.issue_credit_note(world.actor(who), invoice.id, D("10.00"), "goodwill")

    if who in FORGIVES:
        assert credit().total_amount == D("10.00")
        assert balance(world) == D("100.00")
    else:
        refused(world, Forbidden, credit)


def test_front_desk_credits_with_approval_only(world: World, billing: InvoicingService) -> None:
    invoice = sent(world, billing, "100.00")
    desk = world.actor("front_desk")
    refused(
        world,
        Forbidden,
        lambda: billing.issue_credit_note(desk, invoice.id, D("10.00"), "goodwill"),
        "approval",
    )
    note = billing.issue_credit_note(
        desk, invoice.id, D("10.00"), "goodwill", approver=world.actor("super_admin")
    )
    assert note.created_by_staff_id == world.staff["front_desk"].id
    entry = audit_entries(world, note.id)[0]
    assert entry.changes["approved_by_staff_id"] == str(world.staff["super_admin"].id)


# -- overdue --------------------------------------------------------------------------------


def test_unpaid_invoices_become_overdue_after_the_grace_period_once(
    world: World, billing: InvoicingService
) -> None:
    auto = invoice_of(world, seated(world, world.child))  # due 2 February
    part = sent(world, billing, "100.00")
    pay(world, part.id, "1.00")
    settled = sent(world, billing, "10.00")
    pay(world, settled.id, "11.00")
    drafted = draft(world, billing, "10.00")
    later = sent(world, billing, "10.00")
    with world.uow() as uow:  # due a day later than the others
        uow.invoices.get(later.id).update(due_date=date(2026, 2, 3))
        uow.commit()

    assert billing.mark_overdue(world.org_id, date(2026, 2, 9)) == []  # 7 days past due
    overdue = billing.mark_overdue(world.org_id, date(2026, 2, 10))

    assert sorted(i.id for i in overdue) == sorted([auto.id, part.id])
    assert load_invoice(world, auto.id).status is I.OVERDUE
    assert load_invoice(world, part.id).status is I.OVERDUE
    assert load_invoice(world, settled.id).status is I.PAID
    assert load_invoice(world, drafted.id).status is I.DRAFT
    assert load_invoice(world, later.id).status is I.SENT
    reminders = published(world, InvoiceOverdue)
    assert {(r.invoice_id, r.amount_outstanding) for r in reminders} == {
        (auto.id, D("352.00")),
        (part.id, D("109.00")),
    }
    assert reminders[0].due_date == date(2026, 2, 2)
    entry = audit_entries(world, auto.id)[-1]
    assert (entry.action, entry.actor_staff_id) == ("invoice.overdue", None)

    assert billing.mark_overdue(world.org_id, date(2026, 2, 10)) == []
    assert [i.id for i in billing.mark_overdue(world.org_id, date(2026, 2, 11))] == [later.id]
    assert len(published(world, InvoiceOverdue)) == 3


def test_the_grace_period_is_a_setting(world: World, billing: InvoicingService) -> None:
    update_settings(world, overdue_after_days=0)
    auto = invoice_of(world, seated(world, world.child))
    assert billing.mark_overdue(world.org_id, date(2026, 2, 2)) == []
    assert [i.id for i in billing.mark_overdue(world.org_id, date(2026, 2, 3))] == [auto.id]


# -- viewing --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_who_may_view_an_invoice(world: World, billing: InvoicingService, who: str) -> None:
    invoice = sent(world, billing, "10.00")
    if who in VIEWS:
        assert billing.get_invoice(world.actor(who), invoice.id).id == invoice.id
        assert [i.id for i in billing.list_invoices(world.actor(who), world.family.id).items] == [
            invoice.id
        ]
    else:
        refused(world, Forbidden, lambda: billing.get_invoice(world.actor(who), invoice.id))
        refused(
            world,
            Forbidden,
            lambda: billing.list_invoices(world.actor(who), world.family.id),
        )


def test_listing_without_a_family(world: World, billing: InvoicingService) -> None:
    nguyens = invoice_of(world, seated(world, world.child))
    smiths = invoice_of(world, seated(world, world.other_child))
    geelong = add_cohort(world, campus=world.other_campus)
    stranger = add_student(world, family=world.other_family)
    far = invoice_of(world, seated(world, stranger, geelong))

    everything = billing.list_invoices(admin(world)).items
    assert [i.id for i in everything] == [nguyens.id, smiths.id, far.id]
    # A family with an enrolment at a campus is that campus's family: its manager sees all of
    # the family's invoices (the Smiths have a child at each campus).
    assert {i.id for i in billing.list_invoices(world.actor("campus_manager")).items} == {
        nguyens.id,
        smiths.id,
        far.id,
    }
    assert {i.id for i in billing.list_invoices(world.actor("other_manager")).items} == {
        smiths.id,
        far.id,
    }
    for who in ("front_desk", "lead_instructor", "teaching_assistant"):
        refused(world, Forbidden, lambda w=who: billing.list_invoices(world.actor(w)))


def test_the_list_is_paged_in_order_with_its_total(world: World, billing: InvoicingService) -> None:
    nguyens = invoice_of(world, seated(world, world.child))
    smiths = invoice_of(world, seated(world, world.other_child))
    geelong = add_cohort(world, campus=world.other_campus)
    stranger = add_student(world, family=world.other_family)
    far = invoice_of(world, seated(world, stranger, geelong))
    everything = [nguyens.id, smiths.id, far.id]

    def page(actor: Actor, **filters: Any) -> tuple[list[UUID], int, int, int]:
        found = billing.list_invoices(actor, **filters)
        return [i.id for i in found.items], found.total, found.limit, found.offset

    assert page(admin(world)) == (everything, 3, 50, 0)
    assert page(admin(world), limit=2) == (everything[:2], 3, 2, 0)
    assert page(admin(world), limit=2, offset=2) == (everything[2:], 3, 2, 2)
    assert page(admin(world), offset=3) == ([], 3, 50, 3)
    assert page(admin(world), limit=1, offset=1, campus_id=world.other_campus.id) == (
        [far.id],
        2,
        1,
        1,
    )
    # a campus manager pages through their campuses' families only
    assert page(world.actor("other_manager"), limit=1) == ([smiths.id], 2, 1, 0)
    assert page(world.actor("other_manager"), limit=1, offset=1) == ([far.id], 2, 1, 1)
    # front desk: one family at a time, paged as well
    assert page(world.actor("front_desk"), family_id=world.family.id, limit=1) == (
        [nguyens.id],
        1,
        1,
        0,
    )
    refused(world, Forbidden, lambda: billing.list_invoices(world.actor("front_desk"), limit=1))


@pytest.mark.parametrize(
    ("field", "paging"),
    [
        ("limit", {"limit": 0}),
        ("limit", {"limit": 201}),
        ("limit", {"limit": True}),
        ("offset", {"offset": -1}),
    ],
)
def test_a_page_is_1_to_200_invoices_from_offset_0_or_more(
    world: World, billing: InvoicingService, field: str, paging: dict[str, Any]
) -> None:
    error = refused(world, ValidationError, lambda: billing.list_invoices(admin(world), **paging))
    assert isinstance(error, ValidationError)
    assert error.field == field


def test_listing_by_status_in_issue_order(world: World, billing: InvoicingService) -> None:
    first = sent(world, billing, "10.00")
    on_day(world, date(2026, 1, 20))
    drafted = billing.create_manual_invoice(admin(world), world.family.id, materials("5.00"))
    second = billing.send_invoice(
        admin(world),
        billing.create_manual_invoice(admin(world), world.family.id, materials("7.00")).id,
    )
    assert [i.id for i in billing.list_invoices(admin(world), world.family.id).items] == [
        first.id,
        drafted.id,
        second.id,
    ]
    assert [
        i.id for i in billing.list_invoices(admin(world), world.family.id, status=I.SENT).items
    ] == [
        first.id,
        second.id,
    ]
    assert billing.list_invoices(admin(world), world.family.id, status=I.OVERDUE).items == ()


def test_another_organisations_invoice_is_not_found(
    world: World, billing: InvoicingService
) -> None:
    elsewhere = other_school(world)
    theirs = InvoicingService(world.make_uow, world.clock, world.bus)
    invoice = m.Invoice(
        organisation_id=elsewhere.organisation.id,
        invoice_number="INV-2026-000001",
        family_id=elsewhere.student.family_id,
        issue_date=TODAY,
        due_date=TODAY,
        total_amount=D("1.00"),
        amount_outstanding=D("1.00"),
        status=I.SENT,
    )
    with world.store.unit_of_work(elsewhere.organisation.id) as uow:
        uow.invoices.add(invoice)
        uow.commit()
    for call in (
        lambda: theirs.get_invoice(admin(world), invoice.id),
        lambda: billing.send_invoice(admin(world), invoice.id),
        lambda: billing.void_invoice(admin(world), invoice.id, "x"),
        lambda: billing.issue_credit_note(admin(world), invoice.id, D("1.00"), "x"),
        lambda: billing.list_invoices(admin(world), elsewhere.student.family_id),
    ):
        refused(world, NotFound, call)


# -- filtering the list, documents and credit notes -----------------------------------------


def test_listing_by_campus_and_issue_date(world: World, billing: InvoicingService) -> None:
    nguyens = invoice_of(world, seated(world, world.child))
    geelong = add_cohort(world, campus=world.other_campus)
    on_day(world, date(2026, 1, 21))
    smiths = invoice_of(world, seated(world, world.other_child, geelong))
    manager = world.actor("campus_manager")

    assert [i.id for i in billing.list_invoices(admin(world), campus_id=world.campus.id).items] == [
        nguyens.id
    ]
    assert [
        i.id for i in billing.list_invoices(admin(world), campus_id=world.other_campus.id).items
    ] == [smiths.id]
    assert [i.id for i in billing.list_invoices(manager, campus_id=world.campus.id).items] == [
        nguyens.id
    ]
    assert [
        i.id for i in billing.list_invoices(admin(world), date_from=date(2026, 1, 20)).items
    ] == [smiths.id]
    assert [i.id for i in billing.list_invoices(admin(world), date_to=TODAY).items] == [nguyens.id]
    assert [
        i.id
        for i in billing.list_invoices(
            admin(world), date_from=TODAY, date_to=date(2026, 1, 21), status=I.SENT
        ).items
    ] == [nguyens.id, smiths.id]
    # a family's list with the campus of another family's invoices: nothing
    assert (
        billing.list_invoices(admin(world), world.family.id, campus_id=world.other_campus.id).items
        == ()
    )
    # front desk: one family at a time, also with a campus
    desk = world.actor("front_desk")
    assert [
        i.id for i in billing.list_invoices(desk, world.family.id, campus_id=world.campus.id).items
    ] == [nguyens.id]
    refused(world, Forbidden, lambda: billing.list_invoices(desk, campus_id=world.campus.id))


def test_a_campus_manager_lists_only_their_campuses(
    world: World, billing: InvoicingService
) -> None:
    seated(world, world.child)
    refused(
        world,
        Forbidden,
        lambda: billing.list_invoices(
            world.actor("campus_manager"), campus_id=world.other_campus.id
        ),
        "campuses they are assigned to",
    )
    assert (
        billing.list_invoices(world.actor("other_manager"), campus_id=world.other_campus.id).items
        == ()
    )


def test_an_unknown_campus_is_not_found_and_dates_must_not_run_backwards(
    world: World, billing: InvoicingService
) -> None:
    refused(world, NotFound, lambda: billing.list_invoices(admin(world), campus_id=uuid4()))
    error = refused(
        world,
        ValidationError,
        lambda: billing.list_invoices(
            admin(world), date_from=date(2026, 1, 20), date_to=date(2026, 1, 19)
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "date_to"


def test_an_invoice_document_has_the_organisation_family_and_invoice(
    world: World, billing: InvoicingService
) -> None:
    invoice = sent(world, billing, "10.00")
    document = billing.invoice_document(world.actor("front_desk"), invoice.id)
    assert document.organisation.id == world.org_id
    assert document.organisation.abn == world.organisation.abn
    assert document.family.id == world.family.id
    assert (document.invoice.id, document.invoice.status) == (invoice.id, I.SENT)


def test_credit_notes_are_read_with_their_invoice(world: World, billing: InvoicingService) -> None:
    invoice = sent(world, billing, "100.00")
    first = billing.issue_credit_note(admin(world), invoice.id, D("10.00"), "a late start")
    second = billing.issue_credit_note(admin(world), invoice.id, D("5.00"), "a missed session")
    desk = world.actor("front_desk")

    assert billing.get_credit_note(desk, first.id).total_amount == D("10.00")
    assert [n.id for n in billing.list_credit_notes(desk, invoice.id)] == [first.id, second.id]
    document = billing.credit_note_document(desk, second.id)
    assert document.credit_note.id == second.id
    assert document.invoice.id == invoice.id
    assert document.invoice.amount_credited == D("15.00")
    assert (document.organisation.id, document.family.id) == (world.org_id, world.family.id)


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_documents_and_credit_notes(
    world: World, billing: InvoicingService, who: str
) -> None:
    invoice = sent(world, billing, "100.00")
    note = billing.issue_credit_note(admin(world), invoice.id, D("10.00"), "a late start")
    for call in (
        lambda: billing.invoice_document(world.actor(who), invoice.id),
        lambda: billing.get_credit_note(world.actor(who), note.id),
        lambda: billing.list_credit_notes(world.actor(who), invoice.id),
        lambda: billing.credit_note_document(world.actor(who), note.id),
    ):
        if who in VIEWS:
            call()
        else:
            refused(world, Forbidden, call)


def test_unknown_documents_and_credit_notes_are_not_found(
    world: World, billing: InvoicingService
) -> None:
    for call in (
        lambda: billing.invoice_document(admin(world), uuid4()),
        lambda: billing.get_credit_note(admin(world), uuid4()),
        lambda: billing.list_credit_notes(admin(world), uuid4()),
        lambda: billing.credit_note_document(admin(world), uuid4()),
    ):
        refused(world, NotFound, call)
