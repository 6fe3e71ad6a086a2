"""Invoices: the automatic invoice of an enrolment awaiting payment, manual invoices, sending,
voiding, credit notes and the nightly overdue run.

The arithmetic (proration, sibling discount, GST, rounding) is ``rocket_core.pricing``.
Every change of what a family owes moves ``Family.account_balance`` (positive = owed) in the
same transaction: + the total when an invoice is sent, - what was outstanding when a sent
invoice is voided, - the amount of a credit note.

Decisions where the rules are silent:

- **The automatic invoice** (``invoice_enrolment``, run by the handler of
  EnrolmentAwaitingPayment) is issued at once as *sent*: tuition = the enrolment's
  ``tuition_override``, else the cohort's ``tuition_price``, else the program's
  ``default_price`` (none of them: Conflict, no invoice). It is idempotent: nothing is issued
  when the enrolment already has an invoice that is not void, or is no longer pending payment.
  It locks the enrolment's cohort first, so two deliveries of the event cannot both issue.
  ``Enrolment.discount_applied`` records the sibling discount.
- **Proration**: sessions remaining = the cohort's sessions not cancelled dated on or after
  the issue day (or the enrolment's own later ``start_date``), over all its sessions not
  cancelled; the reduction is a line of its own (see ``rocket_core.pricing``).
- **Sibling rank** (1 = full price, 2 = ``sibling_discount_second``, 3+ =
  ``sibling_discount_third_plus``): the children of the family with an enrolment in a cohort
  whose dates overlap this cohort's (the same term), counted when pending payment, enrolled,
  active, completed or transferred (a dropped enrolment does not count), are ranked in the
  order they were first charged for that term: the creation of the earliest invoice of such an
  enrolment (or its enrolment date when it was never invoiced, e.g. a transfer), the
  enrolment being invoiced counting as charged now. Ranking by charge rather than by enquiry
  date means a family never pays two full prices because the younger child's enquiry was older
  but got its seat later; a child with two classes in a term keeps their rank.
- **An invoice with nothing outstanding** (a 0.00 total, or one settled by a credit note) is
  paid; if its enrolment is still pending payment, the enrolment is confirmed (payment
  received) in the same transaction.
- **Manual invoices** are drafts with free lines (materials, fees): at least one line, no
  negative line (corrections are credit notes), a total above 0.00. A draft has its number from
  the start; sending it fixes its lines and dates it: issue date = the day it is sent (the
  campus's day), due ``invoice_due_days`` later.
- **Voiding** a draft discards it; voiding a sent, part-credited or overdue invoice takes what
  was outstanding off the family's balance. An invoice with money paid on it cannot be voided
  (refund first); a paid or void one neither. The enrolment of a voided invoice is not touched.
- **Credit notes** (CN-<year>-<6 digits>) correct a sent, part-paid or overdue invoice: more
  than 0.00 and at most what is outstanding (money already paid goes back by a refund). Their
  GST is the invoice's GST share of the amount, computed on the running credited total so that
  the credit notes' GST never adds up to more than the invoice's.
- **Overdue**: the nightly ``mark_overdue(organisation_id, day)`` marks sent and part-paid
  invoices more than ``overdue_after_days`` past their due date (due 1 Feb with 7 days' grace:
  overdue from 9 Feb), with an InvoiceOverdue event for the reminder; running it again changes
  nothing.
- **Today** is the campus's day: the cohort's campus for an enrolment's invoice; for a manual
  invoice the first (by name) campus where the family has an enrolment, else the organisation's
  first campus.

Permissions, where a family's campuses are the campuses of the cohorts any of its children has
(or had) an enrolment in:

- viewing (``get_invoice``, ``list_invoices``, ``invoice_document``, ``get_credit_note``,
  ``list_credit_notes``, ``credit_note_document``): ``Action.VIEW_INVOICES``: super admin all;
  campus manager for families with an enrolment at their campuses (the list without a family:
  those families' invoices); front desk one family at a time (a list needs ``family_id``).
  The list's ``campus_id`` filter keeps the invoices of that campus's families (an enrolment
  there, now or before: the same "family of a campus" as the permissions); asking for a campus
  needs the grant at that campus (a campus manager's own campuses; front desk still one family).
- charging (``create_manual_invoice``, ``send_invoice``, voiding a draft):
  ``Action.RECORD_PAYMENTS``: super admin; campus manager or front desk at one of the
  family's campuses (the front desk charges materials and fees at the counter).
- forgiving money owed (``issue_credit_note``, voiding a sent invoice): ``Action.REFUND``, as it
  weighs the same as giving money back: super admin; campus manager at one of the family's
  campuses up to ``campus_manager_refund_limit`` (the credit note's amount, or what the void
  takes off); front desk only with an ``approver`` who may do it themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

import attrs

from rocket_core.enrolment_machine import SEAT_HOLDING_STATES
from rocket_core.errors import Conflict, Forbidden, InvalidTransition, ValidationError
from rocket_core.events import (
    DomainEvent,
    EnrolmentAwaitingPayment,
    InvoiceIssued,
    InvoiceOverdue,
)
from rocket_core.model import (
    Cohort,
    CreditNote,
    Enrolment,
    EnrolmentStatus,
    Family,
    Invoice,
    InvoiceStatus,
    LineItem,
    Organisation,
    OrganisationSettings,
    Program,
    Student,
)
from rocket_core.model.checks import CENT, MONEY_LIMIT
from rocket_core.permissions import Action, Actor, Grant, Scope, authorise, refund_limit_for
from rocket_core.ports import UnitOfWork
from rocket_core.pricing import PricedLines, price_lines, price_tuition, to_cents
from rocket_core.services.base import Service
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.paging import Page, check_paging

ZERO = Decimal("0.00")
VOID = InvoiceStatus.VOID

#: Enrolment statuses that make a child count for the sibling discount in a term.
SIBLING_STATUSES = SEAT_HOLDING_STATES | {EnrolmentStatus.COMPLETED, EnrolmentStatus.TRANSFERRED}

#: The time zone of "today" for an organisation without campuses.
DEFAULT_TIMEZONE = "Australia/Melbourne"


@attrs.frozen(kw_only=True)
class InvoiceDocument:
    """What a tax invoice shows: the supplier (the organisation), the family billed and the
    invoice (rendered by the documents adapter)."""

    organisation: Organisation
    family: Family
    invoice: Invoice


@attrs.frozen(kw_only=True)
class CreditNoteDocument:
    """What an adjustment note shows: the organisation, the family credited, the credit note
    and the invoice it corrects."""

    organisation: Organisation
    family: Family
    credit_note: CreditNote
    invoice: Invoice


class InvoicingService(Service):
    """Invoices and credit notes (see the module docstring for the rules and decisions)."""

    # -- the automatic invoice ------------------------------------------------------------

    def subscribe(self) -> None:
        """Issue the automatic invoice when an enrolment awaits payment (call once, when
        wiring the application)."""
        self.bus.subscribe(EnrolmentAwaitingPayment, self.on_enrolment_awaiting_payment)

    def on_enrolment_awaiting_payment(self, event: DomainEvent) -> None:
        """The handler of EnrolmentAwaitingPayment: ``invoice_enrolment`` (idempotent)."""
        if isinstance(event, EnrolmentAwaitingPayment):
            self.invoice_enrolment(event.organisation_id, event.enrolment_id)

    def invoice_enrolment(self, organisation_id: UUID, enrolment_id: UUID) -> Invoice | None:
        """System (no actor): issue and send the invoice of an enrolment pending payment —
        tuition, late-start and sibling discount lines, GST — and charge it to the family.
        Returns None, changing nothing, when the enrolment already has an invoice that is not
        void or is no longer pending payment."""
        with self.make_uow(organisation_id) as peek:
            cohort_id = peek.enrolments.get(enrolment_id).cohort_id
        issued: Invoice | None = None
        with self.system_transaction(organisation_id) as uow:
            cohort = uow.cohorts.get_for_update(cohort_id)
            enrolment = uow.enrolments.get(enrolment_id)
            already = [
                i for i in uow.invoices.list_for_enrolment(enrolment.id) if i.status is not VOID
            ]
            if enrolment.status is EnrolmentStatus.PENDING_PAYMENT and not already:
                issued = self._invoice_enrolment(uow, cohort, enrolment)
        return issued

    # -- manual invoices ------------------------------------------------------------------

    def create_manual_invoice(
        self,
        actor: Actor,
        family_id: UUID,
        lines: Sequence[LineItem],
        *,
        notes: str | None = None,
    ) -> Invoice:
        """A draft invoice of free lines (materials, fees) for a family; ``send_invoice``
        issues it."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            campuses = _family_campuses(uow, family.id)
            _authorise_family(actor, Action.RECORD_PAYMENTS, campuses, family.id)
            if not family.is_active:
                raise Conflict(f"the family account of {family.display_name} is closed")
            items = tuple(lines)
            if not items:
                raise ValidationError("Invoice.line_items", "needs at least one line")
            for line in items:
                if not isinstance(line, LineItem):
                    raise ValidationError("Invoice.line_items", "must hold LineItem values")
                if line.unit_price < ZERO:
                    raise ValidationError(
                        "LineItem.unit_price",
                        "cannot be negative on a manual invoice: corrections are credit notes",
                    )
            settings = uow.organisations.current().settings
            priced = price_lines(items, settings)
            if priced.total <= ZERO:
                raise ValidationError("Invoice.total_amount", "must be more than 0.00")
            today = self._today(uow, campuses)
            invoice = self._new_invoice(
                uow, family, priced, today, settings, enrolment_id=None, notes=notes
            )
            self.audit(
                uow,
                actor,
                "invoice.create",
                invoice,
                f"draft invoice {invoice.invoice_number} for {family.display_name}:"
                f" {invoice.total_amount}",
                {
                    "status": invoice.status,
                    "family_id": family.id,
                    "lines": [_line(line) for line in invoice.line_items],
                    "subtotal": priced.subtotal,
                    "gst_amount": invoice.gst_amount,
                    "total_amount": invoice.total_amount,
                },
            )
        return invoice

    def send_invoice(self, actor: Actor, invoice_id: UUID) -> Invoice:
        """draft -> sent: the lines are fixed, the invoice is dated today and due
        ``invoice_due_days`` later, its total is charged to the family (InvoiceIssued)."""
        with self.transaction(actor) as uow:
            invoice = uow.invoices.get(invoice_id)
            family = uow.families.get(invoice.family_id)
            campuses = _family_campuses(uow, family.id)
            _authorise_family(actor, Action.RECORD_PAYMENTS, campuses, family.id)
            if invoice.status is not InvoiceStatus.DRAFT:
                raise InvalidTransition("Invoice", invoice.id, invoice.status.value, "send")
            settings = uow.organisations.current().settings
            self._send(uow, actor, invoice, family, self._today(uow, campuses), settings)
            self._settle_enrolment(uow, actor, invoice)
        return invoice

    # -- corrections ----------------------------------------------------------------------

    def void_invoice(
        self, actor: Actor, invoice_id: UUID, reason: str, *, approver: Actor | None = None
    ) -> Invoice:
        """Cancel an invoice instead of deleting it: a draft is discarded; an unpaid sent or
        overdue one stops being owed (its outstanding amount comes off the family's balance).
        Refused (Conflict) when money has been paid on it, or when it is paid or void."""
        reason = _reason("Invoice.notes", reason)
        with self.transaction(actor) as uow:
            invoice = uow.invoices.get(invoice_id)
            family = uow.families.get(invoice.family_id)
            campuses = _family_campuses(uow, family.id)
            status = invoice.status
            outstanding = invoice.amount_outstanding
            if status is InvoiceStatus.DRAFT:
                _authorise_family(actor, Action.RECORD_PAYMENTS, campuses, family.id)
            else:
                settings = uow.organisations.current().settings
                self._authorise_forgiving(
                    actor, approver, campuses, family.id, outstanding, settings
                )
            invoice.void()
            note = f"Void: {reason}"
            invoice.update(notes=note if not invoice.notes else f"{invoice.notes}\n{note}")
            changes: dict[str, Any] = {
                "status": [status, invoice.status],
                "amount_outstanding": [outstanding, invoice.amount_outstanding],
                "reason": reason,
            }
            if approver is not None and actor.grant(Action.REFUND).scope is Scope.APPROVAL:
                changes["approved_by_staff_id"] = approver.staff_id
            self.audit(
                uow,
                actor,
                "invoice.void",
                invoice,
                f"invoice {invoice.invoice_number} voided: {reason}",
                changes,
            )
            if status is not InvoiceStatus.DRAFT and outstanding > ZERO:
                self._move_balance(
                    uow, actor, family, -outstanding, f"invoice {invoice.invoice_number} voided"
                )
        return invoice

    def issue_credit_note(
        self,
        actor: Actor,
        invoice_id: UUID,
        amount: Decimal,
        reason: str,
        *,
        approver: Actor | None = None,
    ) -> CreditNote:
        """Take ``amount`` (GST included) off a sent, part-paid or overdue invoice with a
        credit note: at most what is outstanding; the family owes that much less; the invoice
        is paid when nothing is left (and its enrolment confirmed if it was pending)."""
        _require_amount("CreditNote.total_amount", amount)
        reason = _reason("CreditNote.reason", reason)
        with self.transaction(actor) as uow:
            invoice = uow.invoices.get(invoice_id)
            family = uow.families.get(invoice.family_id)
            campuses = _family_campuses(uow, family.id)
            settings = uow.organisations.current().settings
            self._authorise_forgiving(actor, approver, campuses, family.id, amount, settings)
            status = invoice.status
            credited_before = invoice.amount_credited
            outstanding = invoice.amount_outstanding
            invoice.apply_credit_note(amount)
            gst = _gst_share(invoice, invoice.amount_credited) - _gst_share(
                invoice, credited_before
            )
            today = self._today(uow, campuses, invoice=invoice)
            note = CreditNote(
                organisation_id=uow.organisation_id,
                credit_note_number=uow.credit_notes.next_number(today.year),
                family_id=family.id,
                invoice_id=invoice.id,
                issue_date=today,
                total_amount=amount,
                gst_amount=gst,
                line_items=(
                    LineItem(
                        description=f"Credit on {invoice.invoice_number}: {reason}"[:200],
                        quantity=1,
                        unit_price=amount,
                    ),
                ),
                reason=reason,
                created_by_staff_id=actor.staff_id,
                created_at=self.clock.now(),
            )
            uow.credit_notes.add(note)
            changes: dict[str, Any] = {
                "invoice_id": invoice.id,
                "total_amount": amount,
                "gst_amount": gst,
                "reason": reason,
            }
            if approver is not None and actor.grant(Action.REFUND).scope is Scope.APPROVAL:
                changes["approved_by_staff_id"] = approver.staff_id
            self.audit(
                uow,
                actor,
                "credit_note.issue",
                note,
                f"credit note {note.credit_note_number} of {amount} on {invoice.invoice_number}:"
                f" {reason}",
                changes,
            )
            self.audit(
                uow,
                actor,
                "invoice.credit",
                invoice,
                f"{amount} credited on {invoice.invoice_number} by {note.credit_note_number}",
                {
                    "credit_note_id": note.id,
                    "status": [status, invoice.status],
                    "amount_credited": [credited_before, invoice.amount_credited],
                    "amount_outstanding": [outstanding, invoice.amount_outstanding],
                },
            )
            self._move_balance(
                uow, actor, family, -amount, f"credit note {note.credit_note_number}"
            )
            self._settle_enrolment(uow, actor, invoice)
        return note

    # -- the nightly job ------------------------------------------------------------------

    def mark_overdue(self, organisation_id: UUID, day: date) -> list[Invoice]:
        """Nightly (no actor): sent and part-paid invoices more than ``overdue_after_days``
        past their due date on ``day`` become overdue (InvoiceOverdue: the family gets a
        reminder). Idempotent: overdue invoices are not listed again."""
        with self.system_transaction(organisation_id) as uow:
            grace = uow.organisations.current().settings.overdue_after_days
            due = uow.invoices.list_open_due_before(day - timedelta(days=grace))
            for invoice in due:
                status = invoice.status
                invoice.mark_overdue()
                invoice.record(
                    InvoiceOverdue(
                        organisation_id=invoice.organisation_id,
                        invoice_id=invoice.id,
                        invoice_number=invoice.invoice_number,
                        family_id=invoice.family_id,
                        amount_outstanding=invoice.amount_outstanding,
                        due_date=invoice.due_date,
                    )
                )
                self.audit(
                    uow,
                    None,
                    "invoice.overdue",
                    invoice,
                    f"invoice {invoice.invoice_number} overdue: {invoice.amount_outstanding}"
                    f" unpaid since {invoice.due_date.isoformat()}",
                    {"status": [status, invoice.status], "day": day},
                )
        return due

    # -- reading --------------------------------------------------------------------------

    def get_invoice(self, actor: Actor, invoice_id: UUID) -> Invoice:
        """One invoice, for staff who may view the family's invoices."""
        with self.transaction(actor) as uow:
            invoice = uow.invoices.get(invoice_id)
            campuses = _family_campuses(uow, invoice.family_id)
            _authorise_family(actor, Action.VIEW_INVOICES, campuses, invoice.family_id)
        return invoice

    def list_invoices(
        self,
        actor: Actor,
        family_id: UUID | None = None,
        status: InvoiceStatus | None = None,
        *,
        campus_id: UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Invoice]:
        """One page (``limit`` 1 to ``MAX_LIMIT`` invoices from ``offset``) of a family's
        invoices (or, without ``family_id``, of every invoice the actor may view), optionally
        of one status, of the families of one campus (``campus_id``) and issued from
        ``date_from`` to ``date_to`` (inclusive), by issue date then number, with how many
        match in all. The repository pages and counts in the database: two queries for the
        invoices, whatever the number of families."""
        if date_from is not None and date_to is not None and date_from > date_to:
            raise ValidationError("date_to", "must not be before date_from")
        check_paging(limit, offset)
        with self.transaction(actor) as uow:
            campus_ids: frozenset[UUID] | None = None
            if family_id is not None:
                family = uow.families.get(family_id)
                campuses = _family_campuses(uow, family.id)
                _authorise_family(actor, Action.VIEW_INVOICES, campuses, family.id)
            else:
                campus_ids = _campuses_in_view(actor)
            if campus_id is not None:
                uow.campuses.get(campus_id)
                authorise(actor, Action.VIEW_INVOICES, campus_id=campus_id, family_id=family_id)
                campus_ids = frozenset(
                    {campus_id} if campus_ids is None else {campus_id} & campus_ids
                )
            found, total = uow.invoices.search(
                family_id=family_id,
                campus_ids=campus_ids,
                status=status,
                issued_from=date_from,
                issued_to=date_to,
                limit=limit,
                offset=offset,
            )
        return Page(items=tuple(found), total=total, limit=limit, offset=offset)

    def invoice_document(self, actor: Actor, invoice_id: UUID) -> InvoiceDocument:
        """What the tax invoice of ``invoice_id`` shows (the organisation, the family, the
        invoice), for staff who may view the family's invoices."""
        with self.transaction(actor) as uow:
            invoice = uow.invoices.get(invoice_id)
            family = uow.families.get(invoice.family_id)
            _authorise_family(
                actor, Action.VIEW_INVOICES, _family_campuses(uow, family.id), family.id
            )
            organisation = uow.organisations.current()
        return InvoiceDocument(organisation=organisation, family=family, invoice=invoice)

    def get_credit_note(self, actor: Actor, credit_note_id: UUID) -> CreditNote:
        """One credit note, for staff who may view the family's invoices."""
        with self.transaction(actor) as uow:
            note = uow.credit_notes.get(credit_note_id)
            _authorise_family(
                actor, Action.VIEW_INVOICES, _family_campuses(uow, note.family_id), note.family_id
            )
        return note

    def list_credit_notes(self, actor: Actor, invoice_id: UUID) -> list[CreditNote]:
        """An invoice's credit notes by issue date then number, for staff who may view the
        family's invoices."""
        with self.transaction(actor) as uow:
            invoice = uow.invoices.get(invoice_id)
            _authorise_family(
                actor,
                Action.VIEW_INVOICES,
                _family_campuses(uow, invoice.family_id),
                invoice.family_id,
            )
            notes = uow.credit_notes.list_for_invoice(invoice.id)
        return sorted(notes, key=lambda n: (n.issue_date, n.credit_note_number))

    def credit_note_document(self, actor: Actor, credit_note_id: UUID) -> CreditNoteDocument:
        """What the adjustment note of ``credit_note_id`` shows (the organisation, the family,
        the credit note and the invoice it corrects), for staff who may view the family's
        invoices."""
        with self.transaction(actor) as uow:
            note = uow.credit_notes.get(credit_note_id)
            family = uow.families.get(note.family_id)
            _authorise_family(
                actor, Action.VIEW_INVOICES, _family_campuses(uow, family.id), family.id
            )
            invoice = uow.invoices.get(note.invoice_id)
            organisation = uow.organisations.current()
        return CreditNoteDocument(
            organisation=organisation, family=family, credit_note=note, invoice=invoice
        )

    # -- helpers --------------------------------------------------------------------------

    def _invoice_enrolment(self, uow: UnitOfWork, cohort: Cohort, enrolment: Enrolment) -> Invoice:
        settings = uow.organisations.current().settings
        program = uow.programs.get(cohort.program_id)
        campus = uow.campuses.get(cohort.campus_id)
        student = uow.students.get(enrolment.student_id)
        family = uow.families.get(student.family_id)
        today = self.clock.today(campus.timezone)
        tuition = tuition_of(enrolment, cohort, program)
        held = [s for s in uow.sessions.list_for_cohort(cohort.id) if not s.is_cancelled]
        first_day = today
        if enrolment.start_date is not None and enrolment.start_date > today:
            first_day = enrolment.start_date
        remaining = sum(1 for s in held if s.scheduled_date >= first_day)
        rank = sibling_rank(uow, enrolment, cohort, student, now=self.clock.now())
        priced = price_tuition(
            description=f"{program.name} — {cohort.name}"[:200],
            tuition=tuition,
            sibling_rank=rank,
            sessions_total=len(held),
            sessions_remaining=remaining,
            settings=settings,
        )
        invoice = self._new_invoice(
            uow, family, priced, today, settings, enrolment_id=enrolment.id, notes=None
        )
        self.audit(
            uow,
            None,
            "invoice.create",
            invoice,
            f"invoice {invoice.invoice_number} for the enrolment of {student.display_name}"
            f" in {cohort.name}: {invoice.total_amount}",
            {
                "enrolment_id": enrolment.id,
                "family_id": family.id,
                "tuition": tuition,
                "sibling_rank": rank,
                "sessions": [remaining, len(held)],
                "lines": [_line(line) for line in invoice.line_items],
                "subtotal": priced.subtotal,
                "discount_amount": priced.discount,
                "proration": priced.proration,
                "gst_amount": priced.gst,
                "total_amount": priced.total,
            },
        )
        if enrolment.discount_applied != priced.discount:
            before = enrolment.discount_applied
            enrolment.update(discount_applied=priced.discount)
            self.audit(
                uow,
                None,
                "enrolment.discount",
                enrolment,
                f"sibling discount of {priced.discount} on {invoice.invoice_number}",
                {"discount_applied": [before, priced.discount], "sibling_rank": rank},
            )
        self._send(uow, None, invoice, family, today, settings)
        self._settle_enrolment(uow, None, invoice)
        return invoice

    def _new_invoice(
        self,
        uow: UnitOfWork,
        family: Family,
        priced: PricedLines,
        today: date,
        settings: OrganisationSettings,
        *,
        enrolment_id: UUID | None,
        notes: str | None,
    ) -> Invoice:
        invoice = Invoice(
            organisation_id=uow.organisation_id,
            invoice_number=uow.invoices.next_number(today.year),
            family_id=family.id,
            enrolment_id=enrolment_id,
            issue_date=today,
            due_date=today + timedelta(days=settings.invoice_due_days),
            total_amount=priced.total,
            gst_amount=priced.gst,
            discount_amount=priced.discount,
            amount_outstanding=priced.total,
            status=InvoiceStatus.DRAFT,
            line_items=priced.lines,
            notes=notes,
            created_at=self.clock.now(),
        )
        uow.invoices.add(invoice)
        return invoice

    def _send(
        self,
        uow: UnitOfWork,
        actor: Actor | None,
        invoice: Invoice,
        family: Family,
        today: date,
        settings: OrganisationSettings,
    ) -> None:
        """Date, send and charge a draft (InvoiceIssued)."""
        dates = (invoice.issue_date, invoice.due_date)
        invoice.update(issue_date=today, due_date=today + timedelta(days=settings.invoice_due_days))
        invoice.send()
        invoice.record(
            InvoiceIssued(
                organisation_id=invoice.organisation_id,
                invoice_id=invoice.id,
                invoice_number=invoice.invoice_number,
                family_id=invoice.family_id,
                enrolment_id=invoice.enrolment_id,
                total_amount=invoice.total_amount,
                due_date=invoice.due_date,
            )
        )
        self.audit(
            uow,
            actor,
            "invoice.send",
            invoice,
            f"invoice {invoice.invoice_number} sent to {family.display_name}:"
            f" {invoice.total_amount} due {invoice.due_date.isoformat()}",
            {
                "status": [InvoiceStatus.DRAFT, invoice.status],
                "issue_date": [dates[0], invoice.issue_date],
                "due_date": [dates[1], invoice.due_date],
                "total_amount": invoice.total_amount,
            },
        )
        if invoice.total_amount > ZERO:
            self._move_balance(
                uow, actor, family, invoice.total_amount, f"invoice {invoice.invoice_number} sent"
            )

    def _move_balance(
        self, uow: UnitOfWork, actor: Actor | None, family: Family, delta: Decimal, why: str
    ) -> None:
        before = family.account_balance
        family.update(account_balance=before + delta)
        self.audit(
            uow,
            actor,
            "family.account_balance",
            family,
            f"balance of {family.display_name} {before} -> {family.account_balance}: {why}",
            {"account_balance": [before, family.account_balance], "change": delta},
        )

    def _settle_enrolment(self, uow: UnitOfWork, actor: Actor | None, invoice: Invoice) -> None:
        """A paid invoice confirms its enrolment if that still waits for payment."""
        if invoice.status is not InvoiceStatus.PAID or invoice.enrolment_id is None:
            return
        enrolment = uow.enrolments.find(invoice.enrolment_id)
        if enrolment is not None and enrolment.status is EnrolmentStatus.PENDING_PAYMENT:
            EnrolmentService(self.make_uow, self.clock, self.bus).confirm_payment(
                uow, actor, enrolment
            )

    def _authorise_forgiving(
        self,
        actor: Actor,
        approver: Actor | None,
        campuses: frozenset[UUID],
        family_id: UUID,
        amount: Decimal,
        settings: OrganisationSettings,
    ) -> Grant:
        """``Action.REFUND`` over the family, with the campus manager's limit (the approver's,
        for a front desk)."""
        grant = _authorise_family(actor, Action.REFUND, campuses, family_id, approver=approver)
        decider = approver if grant.scope is Scope.APPROVAL and approver is not None else actor
        limit = refund_limit_for(decider, settings.campus_manager_refund_limit)
        if limit is not None and amount > limit:
            raise Forbidden(
                f"{decider.role.value} may forgive at most {limit} at once ({amount} asked):"
                " a super admin must do it"
            )
        return grant

    def _today(
        self, uow: UnitOfWork, campuses: frozenset[UUID], *, invoice: Invoice | None = None
    ) -> date:
        """Today at the invoice's cohort's campus, else the family's first campus by name,
        else the organisation's first campus."""
        if invoice is not None and invoice.enrolment_id is not None:
            enrolment = uow.enrolments.find(invoice.enrolment_id)
            cohort = None if enrolment is None else uow.cohorts.find(enrolment.cohort_id)
            if cohort is not None:
                return self.clock.today(uow.campuses.get(cohort.campus_id).timezone)
        places = sorted(uow.campuses.find_many(campuses), key=lambda c: (c.name, str(c.id)))
        if not places:
            places = uow.campuses.list()
        return self.clock.today(places[0].timezone if places else DEFAULT_TIMEZONE)


# -- pure helpers ---------------------------------------------------------------------------


def tuition_of(enrolment: Enrolment, cohort: Cohort, program: Program) -> Decimal:
    """The enrolment's price: its ``tuition_override``, else the cohort's ``tuition_price``,
    else the program's ``default_price``; Conflict when none is set."""
    for price in (enrolment.tuition_override, cohort.tuition_price, program.default_price):
        if price is not None:
            return price
    raise Conflict(f"no tuition price for {cohort.name!r}: set the cohort's or the program's price")


def sibling_rank(
    uow: UnitOfWork, enrolment: Enrolment, cohort: Cohort, student: Student, *, now: datetime
) -> int:
    """The student's place among the family's children charged for the same term (1 = first):
    see the module docstring."""
    cohorts = {cohort.id: cohort}
    keys: dict[UUID, tuple[datetime, int, str, datetime]] = {}
    for child in uow.students.list_for_family(student.family_id):
        enrolments = uow.enrolments.list_for_student(child.id)
        wanted = {e.cohort_id for e in enrolments} - set(cohorts)
        cohorts.update({c.id: c for c in uow.cohorts.find_many(wanted)} if wanted else {})
        for other in enrolments:
            if other.id == enrolment.id:
                key = (now, 1, "", other.enrolment_date)
            elif other.status in SIBLING_STATUSES and _overlap(
                cohorts.get(other.cohort_id), cohort
            ):
                charged = sorted(
                    (i.created_at, i.invoice_number)
                    for i in uow.invoices.list_for_enrolment(other.id)
                    if i.status is not VOID
                )
                at, number = charged[0] if charged else (other.enrolment_date, "")
                key = (at, 0, number, other.enrolment_date)
            else:
                continue
            if child.id not in keys or key < keys[child.id]:
                keys[child.id] = key
    mine = (keys[student.id], str(student.id))
    return 1 + sum(1 for child, key in keys.items() if (key, str(child)) < mine)


def _overlap(other: Cohort | None, cohort: Cohort) -> bool:
    return (
        other is not None
        and other.start_date <= cohort.end_date
        and cohort.start_date <= other.end_date
    )


def _family_campuses(uow: UnitOfWork, family_id: UUID) -> frozenset[UUID]:
    """The campuses of the cohorts the family's children have (or had) an enrolment in."""
    cohort_ids = {
        enrolment.cohort_id
        for child in uow.students.list_for_family(family_id)
        for enrolment in uow.enrolments.list_for_student(child.id)
    }
    cohorts = uow.cohorts.find_many(cohort_ids) if cohort_ids else []
    return frozenset(cohort.campus_id for cohort in cohorts)


def _campuses_in_view(actor: Actor) -> frozenset[UUID] | None:
    """The campuses whose families' invoices ``actor`` may list all at once (None: every
    invoice); Forbidden for staff who see one family at a time, or none."""
    grant = actor.grant(Action.VIEW_INVOICES)
    if grant.scope is Scope.ALL:
        return None
    if grant.scope is not Scope.CAMPUS or not actor.campus_ids:
        authorise(actor, Action.VIEW_INVOICES)  # one family at a time, or none: refused
        return frozenset()
    return frozenset(actor.campus_ids)


def _authorise_family(
    actor: Actor,
    action: Action,
    campuses: frozenset[UUID],
    family_id: UUID,
    *,
    approver: Actor | None = None,
) -> Grant:
    """``authorise`` over a family: at one of its campuses the actor (or, for an approval,
    the approver) works at."""
    deciding = approver if actor.grant(action).scope is Scope.APPROVAL and approver else actor
    covered = sorted(campuses & deciding.campus_ids)
    campus = covered[0] if covered else min(campuses, default=None)
    return authorise(actor, action, campus_id=campus, family_id=family_id, approver=approver)


def _gst_share(invoice: Invoice, credited: Decimal) -> Decimal:
    """The invoice's GST share of ``credited`` (rounded half up to the cent)."""
    if invoice.total_amount == ZERO:
        return ZERO
    return to_cents(
        Fraction(credited) * Fraction(invoice.gst_amount) / Fraction(invoice.total_amount)
    )


def _require_amount(field: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(field, "must be a finite Decimal amount")
    if value <= ZERO:
        raise ValidationError(field, "must be more than 0.00")
    if value >= MONEY_LIMIT:
        raise ValidationError(field, "must be less than 100,000,000.00")
    if value != value.quantize(CENT):
        raise ValidationError(field, "must be a whole number of cents")


def _reason(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "a reason is required")
    if len(value.strip()) > 500:
        raise ValidationError(field, "must be at most 500 characters")
    return value.strip()


def _line(line: LineItem) -> dict[str, Any]:
    return attrs.asdict(line)


__all__ = [
    "CreditNoteDocument",
    "InvoiceDocument",
    "InvoicingService",
    "sibling_rank",
    "tuition_of",
]
