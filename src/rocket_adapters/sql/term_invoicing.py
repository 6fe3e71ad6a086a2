"""Term invoicing on SQL: a page of families read in a few Core SELECTs, and a batch of
invoices issued in a few statements whatever its size.

Reading a page (families by id, ``after`` exclusive, ``upto`` inclusive):

1. the locks: on Postgres ``SELECT ... FOR SHARE`` (in id order) of the term's cohorts
   where the page's children have an enrolment pending payment (the run's next page may
   take the same, the automatic invoice's ``FOR UPDATE`` waits); on SQLite a write that
   changes nothing takes the database's write lock before anything is read. The run itself
   holds a transaction-level advisory lock (``lock_run``) in a transaction of its own;
2. the page's children, then their enrolments in a counted status in cohorts that end on or
   after the term's first day, with cohort and program, and the families' invoices that are
   not void (for each enrolment's first charge). On Postgres the children's ids are gathered
   first into an array (an InitPlan), so that their enrolments are read through
   ``idx_enrolment_student`` rather than by hashing every enrolment of the organisation in
   each batch; SQLite nests loops through the indexes anyway and gets a subquery on the
   families' range;
3. the sessions not cancelled of the cohorts to invoice in, counted by cohort (and dated,
   for the few late joiners with a start date of their own).

Issuing a batch on Postgres: the invoices, with what their audit entries record, are COPied
(psycopg, text format) into a temporary staging table, then one statement
``WITH issued AS (INSERT INTO invoices ... SELECT FROM staging), discounts AS (UPDATE
enrolments ... FROM staging), balances AS (UPDATE families ... FROM (sums by family)
RETURNING ...), audited AS (INSERT INTO audit_log ... SELECT ... FROM staging JOIN
balances) SELECT count(*) FROM issued`` writes everything: the audit entries are built in
SQL (``jsonb_build_object``, the family's balance moving invoice by invoice with a window
sum) exactly as ``TermInvoicingRepository.issue_summary`` / ``issue_changes`` build them in
Python. The enrolments and families it updates are found through arrays of their ids
(InitPlans again), and the statement runs with ``enable_nestloop`` off: Postgres expects
a single row from a data-modifying WITH and would otherwise loop over the balances once per
invoice. COPY cannot write the invoices table itself: Postgres refuses ``COPY FROM`` into a
table under row-level security, which the application role is; the INSERT applies the
policy's check to every row. On SQLite the same writes are executemany statements, with the
audit entries built in Python. Nothing is loaded as an entity.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from rocket_adapters.sql import tables as t
from rocket_adapters.sql.errors import domain_errors
from rocket_adapters.sql.types import Instant
from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import Conflict
from rocket_core.ports import TermInvoicingRepository

if TYPE_CHECKING:
    from rocket_adapters.sql.unit_of_work import SqlUnitOfWork

_Row = TermInvoicingRepository.TermEnrolment
_Invoice = TermInvoicingRepository.TermInvoice
_LINES = tuple[m.LineItem, ...]
_PENDING = EnrolmentStatus.PENDING_PAYMENT
_MONEY = sa.Numeric(10, 2)

#: The temporary staging table of a batch's invoices (Postgres): TermInvoice's fields.
_STAGING = sa.Table(
    "rocket_term_issue",
    sa.MetaData(),
    sa.Column("id", sa.Uuid),
    sa.Column("invoice_number", sa.Text),
    sa.Column("family_id", sa.Uuid),
    sa.Column("enrolment_id", sa.Uuid),
    sa.Column("issue_date", sa.Date),
    sa.Column("due_date", sa.Date),
    sa.Column("status", sa.Text),
    sa.Column("line_items", postgresql.JSONB),
    sa.Column("total_amount", _MONEY),
    sa.Column("gst_amount", _MONEY),
    sa.Column("discount_amount", _MONEY),
    sa.Column("subtotal", _MONEY),
    sa.Column("proration", _MONEY),
    sa.Column("tuition", _MONEY),
    sa.Column("sibling_rank", sa.Integer),
    sa.Column("sessions_total", sa.Integer),
    sa.Column("sessions_remaining", sa.Integer),
    sa.Column("discount_before", _MONEY),
    sa.Column("student_name", sa.Text),
    sa.Column("cohort_name", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    prefixes=["TEMPORARY"],
)
_STAGING_COLUMNS = ", ".join(column.name for column in _STAGING.columns)


def _text(value: str) -> str:
    """A value for COPY's text format (backslash, tab and line breaks escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


_DUMPS = json.JSONEncoder(ensure_ascii=False).encode


def _lines_json(items: _LINES) -> str:
    """The lines as JSON for COPY: what the ``Structured(tuple[LineItem, ...])`` column type
    stores (description, quantity, unit_price as a string), written directly."""
    return _text(
        "["
        + ", ".join(
            f'{{"description": {_DUMPS(line.description)}, "quantity": {line.quantity},'
            f' "unit_price": "{line.unit_price}"}}'
            for line in items
        )
        + "]"
    )


class SqlTermInvoicingRepository(TermInvoicingRepository):
    """TermInvoicingRepository over a SqlUnitOfWork's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    @property
    def _org(self) -> UUID:
        return self._uow.organisation_id

    @property
    def _postgres(self) -> bool:
        return self._uow.database.dialect == "postgresql"

    # -- reading ------------------------------------------------------------------------------

    def page(
        self, after: UUID | None, size: int, *, first_day: date, last_day: date, today: date
    ) -> TermInvoicingRepository.TermPage:
        if size < 1:
            raise ValueError("a page holds at least one family")
        if not self._postgres:
            self._take_sqlite_write_lock()
        f = t.families.c
        page = (
            sa.select(f.id)
            .where(f.organisation_id == self._org, *([f.id > after] if after else []))
            .order_by(f.id)
            .limit(size)
            .subquery()
        )
        upto: UUID | None = self._uow.execute(
            sa.select(page.c.id).order_by(page.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        if upto is None:
            return self.TermPage(upto=None, enrolments=())
        of_page = self._of_page(after, upto)
        locked = self._lock_cohorts(of_page, first_day, last_day)
        charges = self._first_charges(after, upto)
        found: Sequence[Any] = self._uow.execute(
            self._enrolments(after, upto, of_page, first_day)
        ).all()
        pending, invoiced = _PENDING.value, {status.value for status in self.INVOICED}
        # (row, due); pending payment meanwhile in a cohort not locked: left out (its
        # automatic invoice follows).
        marked = []
        for r in found:
            status, cohort_start = r[3], r[10]
            in_term = first_day <= cohort_start <= last_day
            due = in_term and status in invoiced
            if due and status == pending and r[8] not in locked:
                continue
            marked.append((r, due))
        held = self._held_sessions({r[8] for r, due in marked if due}, of_page, today)
        late = {r[8] for r, due in marked if due and r[5] is not None and r[5] > today}
        late_dates = self._session_dates(late) if late else {}
        status_of = {status.value: status for status in EnrolmentStatus}
        rows = []
        for r, due in marked:
            (id_, family, student, status, enrolled, start, override, discount, cohort) = r[:9]
            total = remaining = 0
            if due:
                total, remaining = held.get(cohort, (0, 0))
                if start is not None and start > today:
                    remaining = sum(1 for day in late_dates[cohort] if day >= start)
            rows.append(
                _Row(
                    id_,
                    family,
                    student,
                    status_of[status],
                    enrolled,
                    start,
                    override,
                    discount,
                    cohort,
                    r[9],
                    r[10],
                    r[11],
                    r[12],
                    r[13],
                    r[14],
                    total,
                    remaining,
                    charges.get(id_) if charges else None,
                    r[15],
                )
            )
        return self.TermPage(upto=upto, enrolments=tuple(rows))

    def _family_range(self, column: Any, after: UUID | None, upto: UUID) -> list[Any]:
        return [*([column > after] if after else []), column <= upto]

    def lock_run(self) -> None:
        # Postgres: a transaction-level advisory lock. SQLite: nothing to do, each page
        # takes the database's write lock first.
        if self._postgres:
            key = sa.func.hashtextextended(f"rocket.term_invoicing:{self._org}", 0)
            self._uow.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    def _take_sqlite_write_lock(self) -> None:
        # SQLite locks the whole database for writing: a write that changes nothing takes
        # that lock now (before the first read), so the page reads everything committed.
        counters = t.invoice_number_counters
        self._uow.execute(
            sa.update(counters)
            .where(counters.c.organisation_id == self._org)
            .values(last_number=counters.c.last_number)
        )

    def _of_page(self, after: UUID | None, upto: UUID) -> Any:
        """A condition on a ``student_id`` column: one of the page's children. On Postgres
        their ids are gathered first into an array (an InitPlan), so that Postgres reads
        their enrolments through ``idx_enrolment_student`` instead of hashing every
        enrolment of the organisation in each batch; SQLite nests loops through the indexes
        anyway and gets the subquery."""
        s = t.students.c
        children = sa.select(s.id).where(
            s.organisation_id == self._org, *self._family_range(s.family_id, after, upto)
        )
        if self._postgres:
            ids = sa.select(sa.func.array_agg(s.id)).where(
                s.organisation_id == self._org, *self._family_range(s.family_id, after, upto)
            )
            array = sa.cast(ids.scalar_subquery(), postgresql.ARRAY(sa.Uuid))
            return lambda column: column == sa.any_(array)
        return lambda column: column.in_(children)

    def _lock_cohorts(self, of_page: Any, first_day: date, last_day: date) -> set[UUID]:
        """Lock the term's cohorts where the page's children have an enrolment pending
        payment (on SQLite the write lock taken first serialises writers); their ids."""
        e, c = t.enrolments.c, t.cohorts.c
        wanted = sa.select(e.cohort_id).where(
            e.organisation_id == self._org, of_page(e.student_id), e.status == _PENDING
        )
        statement = (
            sa.select(c.id)
            .where(
                c.organisation_id == self._org,
                c.id.in_(wanted),
                c.start_date >= first_day,
                c.start_date <= last_day,
            )
            .order_by(c.id)
        )
        if self._postgres:  # shared: the run's next page may lock the same cohorts
            statement = statement.with_for_update(read=True)
        return set(self._uow.execute(statement).scalars().all())

    def _first_charges(self, after: UUID | None, upto: UUID) -> dict[UUID, tuple[datetime, str]]:
        """The earliest invoice that is not void of each enrolment of the page's families:
        (created_at, invoice number) by enrolment id (through ``idx_invoice_family``)."""
        i = t.invoices.c
        found: dict[UUID, tuple[datetime, str]] = {}
        statement = sa.select(i.enrolment_id, i.created_at, i.invoice_number).where(
            i.organisation_id == self._org,
            *self._family_range(i.family_id, after, upto),
            i.status != m.InvoiceStatus.VOID,
            i.enrolment_id.is_not(None),
        )
        rows: Sequence[Any] = self._uow.execute(statement).all()
        for enrolment_id, created_at, number in rows:
            charge = (created_at, number)
            if enrolment_id not in found or charge < found[enrolment_id]:
                found[enrolment_id] = charge
        return found

    def _enrolments(
        self, after: UUID | None, upto: UUID, of_page: Any, first_day: date
    ) -> sa.Select[Any]:
        """The page's enrolments in a counted status in cohorts ending on or after
        ``first_day``, with the child, cohort and program, by family, enrolment date, id
        (``page`` reads the columns by position: keep their order).
        Amounts, instants and statuses are read as the database's own types (no conversion
        per value: they already are Decimals to the cent, aware datetimes and strings)."""
        e, s, c, p = t.enrolments.c, t.students.c, t.cohorts.c, t.programs.c
        tables = (
            t.enrolments.join(
                t.students, sa.and_(s.id == e.student_id, s.organisation_id == self._org)
            )
            .join(t.cohorts, sa.and_(c.id == e.cohort_id, c.organisation_id == self._org))
            .join(t.programs, sa.and_(p.id == c.program_id, p.organisation_id == self._org))
        )

        def raw(column: Any, kind: Any, name: str | None = None) -> Any:
            # On SQLite the column types convert (cents, UTC text); Postgres gives the values.
            found = sa.type_coerce(column, kind) if self._postgres else column
            return found.label(name or column.name)

        money, instant = _MONEY, sa.DateTime(timezone=True)
        return (
            sa.select(
                e.id,
                s.family_id,
                e.student_id,
                raw(e.status, sa.String),
                raw(e.enrolment_date, instant),
                e.start_date,
                raw(e.tuition_override, money),
                raw(e.discount_applied, money),
                e.cohort_id,
                c.name.label("cohort_name"),
                c.start_date.label("cohort_start"),
                c.end_date.label("cohort_end"),
                raw(c.tuition_price, money, "cohort_price"),
                p.name.label("program_name"),
                raw(p.default_price, money, "program_price"),
                (
                    sa.func.coalesce(sa.func.nullif(s.preferred_name, ""), s.first_name)
                    + " "
                    + s.last_name
                ).label("student_name"),
            )
            .select_from(tables)
            .where(
                e.organisation_id == self._org,
                of_page(e.student_id),
                *self._family_range(s.family_id, after, upto),
                e.status.in_(sorted(self.COUNTED)),
                c.end_date >= first_day,
            )
            .order_by(s.family_id, e.enrolment_date, e.id)
        )

    def _held_sessions(
        self, cohort_ids: set[UUID], of_page: Any, today: date
    ) -> dict[UUID, tuple[int, int]]:
        """(sessions not cancelled, those dated on or after ``today``) of each cohort."""
        if not cohort_ids:
            return {}
        s = t.sessions.c
        if self._postgres:
            ids = sa.bindparam("page_cohorts", list(cohort_ids), type_=postgresql.ARRAY(sa.Uuid))
            cohorts = s.cohort_id == sa.any_(ids)
        else:  # the cohorts of the page's enrolments, without a parameter per id
            e = t.enrolments.c
            cohorts = s.cohort_id.in_(
                sa.select(e.cohort_id).where(e.organisation_id == self._org, of_page(e.student_id))
            )
        from_today = sa.func.sum(sa.case((s.scheduled_date >= today, 1), else_=0))
        statement = (
            sa.select(s.cohort_id, sa.func.count(), from_today)
            .where(
                s.organisation_id == self._org,
                s.status != m.SessionStatus.CANCELLED,
                cohorts,
            )
            .group_by(s.cohort_id)
        )
        found: Sequence[Any] = self._uow.execute(statement).all()
        return {row[0]: (int(row[1]), int(row[2])) for row in found}

    def _session_dates(self, cohort_ids: set[UUID]) -> dict[UUID, list[date]]:
        """The dates of the sessions not cancelled of a few cohorts (late joiners')."""
        s = t.sessions.c
        found: dict[UUID, list[date]] = {cohort_id: [] for cohort_id in cohort_ids}
        wanted = sorted(cohort_ids)
        for start in range(0, len(wanted), 500):
            statement = sa.select(s.cohort_id, s.scheduled_date).where(
                s.organisation_id == self._org,
                s.status != m.SessionStatus.CANCELLED,
                s.cohort_id.in_(wanted[start : start + 500]),
            )
            rows: Sequence[Any] = self._uow.execute(statement).all()
            for cohort_id, day in rows:
                found[cohort_id].append(day)
        return found

    # -- writing ------------------------------------------------------------------------------

    def allocate_invoice_numbers(self, year: int, count: int) -> int:
        if count < 1:
            raise ValueError("allocate at least one number")
        counters = t.invoice_number_counters
        insert = postgresql.insert if self._postgres else sqlite.insert
        statement = (
            insert(counters)
            .values(organisation_id=self._org, year=year, last_number=count)
            .on_conflict_do_update(
                index_elements=[counters.c.organisation_id, counters.c.year],
                set_={"last_number": counters.c.last_number + count},
            )
            .returning(counters.c.last_number)
        )
        try:
            last: int = self._uow.execute(statement).scalar_one()
        except Conflict as error:  # the CHECK: at most 999,999 a year
            raise Conflict(f"not enough invoice numbers left in {year} for {count} more") from error
        return last - count + 1

    def issue(
        self,
        invoices: Sequence[TermInvoicingRepository.TermInvoice],
        *,
        first_day: date,
        last_day: date,
        at: datetime,
    ) -> None:
        if not invoices:
            return
        if self._postgres:
            self._issue_on_postgres(invoices, first_day, last_day, at)
        else:
            self._issue_on_sqlite(invoices, first_day, last_day, at)

    # -- Postgres -------------------------------------------------------------------------------

    def _issue_on_postgres(
        self, invoices: Sequence[_Invoice], first_day: date, last_day: date, at: datetime
    ) -> None:
        self._uow.execute(sa.schema.CreateTable(_STAGING, if_not_exists=True))
        self._copy(
            f"{i.id.hex}\t{_text(i.invoice_number)}\t{i.family_id.hex}\t{i.enrolment_id.hex}\t"
            f"{i.issue_date}\t{i.due_date}\t{i.status.value}\t{_lines_json(i.line_items)}\t"
            f"{i.total_amount}\t{i.gst_amount}\t{i.discount_amount}\t{i.subtotal}\t"
            f"{i.proration}\t{i.tuition}\t{i.sibling_rank}\t{i.sessions_total}\t"
            f"{i.sessions_remaining}\t{i.discount_before}\t{_text(i.student_name)}\t"
            f"{_text(i.cohort_name)}\t{i.created_at.isoformat()}\n"
            for i in invoices
        )
        # The statement finds the batch's enrolments and families through their keys (arrays
        # of ids, see _issue_statement) and joins everything else by hashing: with the few
        # rows Postgres expects from a data-modifying WITH, it would otherwise loop over the
        # balances once for every invoice.
        self._uow.execute(sa.text("SET LOCAL enable_nestloop = off"))
        issued = self._uow.execute(self._issue_statement(first_day, last_day, at)).scalar_one()
        self._uow.execute(sa.text("RESET enable_nestloop"))
        self._uow.execute(sa.text(f"TRUNCATE {_STAGING.name}"))
        if issued != len(invoices):
            raise Conflict(f"{len(invoices)} invoices to issue, {issued} issued")

    def _copy(self, lines: Iterable[str]) -> None:
        """COPY ``lines`` into the staging table (through the session's own connection)."""
        session = self._uow.session
        with domain_errors():
            session.flush()
            driver = session.connection().connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        try:
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {_STAGING.name} ({_STAGING_COLUMNS}) FROM STDIN") as copy,
            ):
                chunk: list[str] = []
                for line in lines:
                    chunk.append(line)
                    if len(chunk) >= 5000:
                        copy.write("".join(chunk))
                        chunk = []
                if chunk:
                    copy.write("".join(chunk))
        except psycopg.Error as error:  # a driver exception never leaves the adapter
            raise Conflict(f"the database refused the term's invoices: {error}") from None

    def _issue_statement(self, first_day: date, last_day: date, at: datetime) -> sa.Select[Any]:
        """One statement: invoices, discounts, balances and audit entries from the staging
        table (see the module docstring)."""
        org = sa.literal(self._org, sa.Uuid)
        s = _STAGING.c
        i, e, f = t.invoices.c, t.enrolments.c, t.families.c
        sent = sa.literal(m.InvoiceStatus.SENT.value, sa.Text)
        issued = (
            sa.insert(t.invoices)
            .from_select(
                [
                    "id",
                    "organisation_id",
                    "invoice_number",
                    "family_id",
                    "enrolment_id",
                    "issue_date",
                    "due_date",
                    "total_amount",
                    "gst_amount",
                    "discount_amount",
                    "amount_paid",
                    "amount_credited",
                    "amount_outstanding",
                    "status",
                    "line_items",
                    "created_at",
                    "version",
                ],
                sa.select(
                    s.id,
                    org,
                    s.invoice_number,
                    s.family_id,
                    s.enrolment_id,
                    s.issue_date,
                    s.due_date,
                    s.total_amount,
                    s.gst_amount,
                    s.discount_amount,
                    sa.literal(0, _MONEY),
                    sa.literal(0, _MONEY),
                    s.total_amount,
                    s.status,
                    s.line_items,
                    s.created_at,
                    sa.literal(1),
                ),
            )
            .returning(i.id)
            .cte("issued")
        )
        # The batch's ids first (InitPlans): Postgres then finds the rows through their
        # primary keys instead of hashing every enrolment or family of the organisation.
        changed_ids = (
            sa.select(sa.func.array_agg(s.enrolment_id))
            .where(s.discount_amount != s.discount_before)
            .scalar_subquery()
        )
        family_ids = sa.select(sa.func.array_agg(s.family_id)).scalar_subquery()
        discounts = (
            sa.update(t.enrolments)
            .where(
                e.organisation_id == self._org,
                e.id == sa.any_(sa.cast(changed_ids, postgresql.ARRAY(sa.Uuid))),
                e.id == s.enrolment_id,
                e.discount_applied != s.discount_amount,
            )
            .values(discount_applied=s.discount_amount, version=e.version + 1)
            .cte("discounts")
        )
        charged = (
            sa.select(s.family_id, sa.func.sum(s.total_amount).label("total"))
            .where(s.status == sent)
            .group_by(s.family_id)
            .subquery("charged")
        )
        balances = (
            sa.update(t.families)
            .where(
                f.organisation_id == self._org,
                f.id == sa.any_(sa.cast(family_ids, postgresql.ARRAY(sa.Uuid))),
                f.id == charged.c.family_id,
            )
            .values(account_balance=f.account_balance + charged.c.total, version=f.version + 1)
            .returning(
                f.id.label("family_id"),
                sa.type_coerce(f.account_balance - charged.c.total, _MONEY).label("before"),
            )
            .cte("balances")
        )
        family = t.families.alias("family")
        charge = sa.case((s.status == sent, s.total_amount), else_=sa.literal(0, _MONEY))
        earlier = sa.func.sum(charge).over(
            partition_by=s.family_id, order_by=s.invoice_number, rows=(None, -1)
        )
        before = sa.func.coalesce(balances.c.before, family.c.account_balance) + sa.func.coalesce(
            earlier, 0
        )
        after = before + charge

        def text(value: Any) -> Any:
            return sa.cast(value, sa.Text)

        summary = (
            sa.literal("term invoice ", sa.Text)
            + s.invoice_number
            + " for the enrolment of "
            + s.student_name
            + " in "
            + s.cohort_name
            + ": "
            + text(s.total_amount)
            + " due "
            + text(s.due_date)
        )
        changes = sa.func.jsonb_build_object(
            "enrolment_id",
            text(s.enrolment_id),
            "family_id",
            text(s.family_id),
            "term",
            sa.func.jsonb_build_array(first_day.isoformat(), last_day.isoformat()),
            "tuition",
            text(s.tuition),
            "sibling_rank",
            s.sibling_rank,
            "sessions",
            sa.func.jsonb_build_array(s.sessions_remaining, s.sessions_total),
            "subtotal",
            text(s.subtotal),
            "discount_amount",
            text(s.discount_amount),
            "proration",
            text(s.proration),
            "gst_amount",
            text(s.gst_amount),
            "total_amount",
            text(s.total_amount),
            "status",
            s.status,
            "issue_date",
            text(s.issue_date),
            "due_date",
            text(s.due_date),
            "discount_applied",
            sa.func.jsonb_build_array(text(s.discount_before), text(s.discount_amount)),
            "account_balance",
            sa.func.jsonb_build_array(text(before), text(after)),
        )
        audited = (
            sa.insert(t.audit_log)
            .from_select(
                [
                    "id",
                    "organisation_id",
                    "actor_staff_id",
                    "action",
                    "entity_type",
                    "entity_id",
                    "summary",
                    "changes",
                    "occurred_at",
                ],
                sa.select(
                    sa.func.gen_random_uuid(),
                    org,
                    sa.cast(sa.null(), sa.Uuid),
                    sa.literal(self.ISSUE, sa.Text),
                    sa.literal("Invoice", sa.Text),
                    s.id,
                    sa.func.left(summary, 500),
                    changes,
                    sa.literal(at, Instant()),
                ).select_from(
                    _STAGING.join(
                        family,
                        sa.and_(
                            family.c.id == s.family_id,
                            family.c.id == sa.any_(sa.cast(family_ids, postgresql.ARRAY(sa.Uuid))),
                            family.c.organisation_id == self._org,
                        ),
                    ).outerjoin(balances, balances.c.family_id == s.family_id)
                ),
            )
            .cte("audited")
        )
        return sa.select(sa.func.count()).select_from(issued).add_cte(discounts, audited)

    # -- SQLite ---------------------------------------------------------------------------------

    def _issue_on_sqlite(
        self, invoices: Sequence[_Invoice], first_day: date, last_day: date, at: datetime
    ) -> None:
        ordered = sorted(invoices, key=lambda i: i.invoice_number)
        self._executemany(
            sa.insert(t.invoices),
            [
                {
                    "id": i.id,
                    "organisation_id": self._org,
                    "invoice_number": i.invoice_number,
                    "family_id": i.family_id,
                    "enrolment_id": i.enrolment_id,
                    "issue_date": i.issue_date,
                    "due_date": i.due_date,
                    "total_amount": i.total_amount,
                    "gst_amount": i.gst_amount,
                    "discount_amount": i.discount_amount,
                    "amount_paid": Decimal("0.00"),
                    "amount_credited": Decimal("0.00"),
                    "amount_outstanding": i.total_amount,
                    "status": i.status,
                    "line_items": i.line_items,
                    "created_at": i.created_at,
                    "version": 1,
                }
                for i in ordered
            ],
        )
        e, f = t.enrolments.c, t.families.c
        changed = [i for i in ordered if i.discount_amount != i.discount_before]
        if changed:
            self._executemany(
                sa.update(t.enrolments)
                .where(e.organisation_id == self._org, e.id == sa.bindparam("row_id"))
                .values(
                    discount_applied=sa.bindparam("value", type_=e.discount_applied.type),
                    version=e.version + 1,
                ),
                [{"row_id": i.enrolment_id, "value": i.discount_amount} for i in changed],
            )
        # The write lock is held: the balances read here are the ones updated below.
        family_ids = sorted({i.family_id for i in ordered})
        balance: dict[UUID, Decimal] = {}
        for start in range(0, len(family_ids), 500):
            statement = sa.select(f.id, f.account_balance).where(
                f.organisation_id == self._org, f.id.in_(family_ids[start : start + 500])
            )
            rows: Sequence[Any] = self._uow.execute(statement).all()
            balance.update({row[0]: row[1] for row in rows})
        charged: dict[UUID, Decimal] = {}
        audit = []
        for i in ordered:
            before = balance[i.family_id]
            if i.status is m.InvoiceStatus.SENT:
                balance[i.family_id] = before + i.total_amount
                charged[i.family_id] = charged.get(i.family_id, Decimal("0.00")) + i.total_amount
            audit.append(
                {
                    "id": uuid.uuid4(),
                    "organisation_id": self._org,
                    "actor_staff_id": None,
                    "action": self.ISSUE,
                    "entity_type": "Invoice",
                    "entity_id": i.id,
                    "summary": self.issue_summary(i),
                    "changes": self.issue_changes(
                        i,
                        first_day=first_day,
                        last_day=last_day,
                        balance=(before, balance[i.family_id]),
                    ),
                    "occurred_at": at,
                }
            )
        if charged:
            self._executemany(
                sa.update(t.families)
                .where(f.organisation_id == self._org, f.id == sa.bindparam("row_id"))
                .values(
                    account_balance=f.account_balance
                    + sa.bindparam("value", type_=f.account_balance.type),
                    version=f.version + 1,
                ),
                [{"row_id": family_id, "value": total} for family_id, total in charged.items()],
            )
        self._executemany(sa.insert(t.audit_log), audit)

    def _executemany(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        with domain_errors():
            self._uow.session.execute(statement, rows)
