"""Term invoicing on SQLite and Postgres gives what it gives in memory, set-based.

One school (and a second organisation) is built with the same ids on each backend; after the
term run the invoices (numbers, lines, figures), the enrolments' discounts, the families'
balances, the versions and the audit entries read back through the ports must be identical.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from rocket_adapters.clock import FixedClock
from rocket_adapters.memory import MemoryStore
from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus as S
from rocket_core.errors import Conflict
from rocket_core.events import EventBus
from rocket_core.model import InvoiceStatus as I
from rocket_core.ports import UnitOfWork, UnitOfWorkFactory
from rocket_core.services.invoicing import InvoicingService
from rocket_core.services.term_invoicing import TermInvoicingReport, TermInvoicingService

TODAY = date(2026, 1, 19)
NOW = datetime(2026, 1, 19, 9, 0, tzinfo=UTC)  # 20:00 in Melbourne
FIRST, LAST = date(2026, 1, 5), date(2026, 3, 31)
W = timedelta(weeks=1)

#: name: (start, sessions, cancelled session numbers, cohort price, program)
COHORTS: dict[str, tuple[date, int, tuple[int, ...], str | None, str]] = {
    "mon": (date(2026, 2, 2), 4, (), "320.00", "scratch"),
    "wed": (date(2026, 2, 4), 6, (2,), "300.00", "scratch"),
    "fri": (date(2026, 1, 9), 5, (), None, "scratch"),  # started: late joiners prorated
    "lego": (date(2026, 3, 7), 8, (), None, "robotics"),
    "free": (date(2026, 2, 3), 4, (), None, "unpriced"),
    "term2": (date(2026, 4, 20), 8, (), "320.00", "scratch"),
    "term4": (date(2025, 10, 6), 8, (), "320.00", "scratch"),
}
PROGRAMS = {"scratch": "330.00", "robotics": "410.50", "unpriced": None}
#: family: children
FAMILIES = {
    "nguyen": ["kim", "an", "bo"],
    "smith": ["alex"],
    "lee": ["jo", "sam"],
    "zero": ["zed"],
}
#: (child, cohort, status, enrolment day, own start date, tuition override)
ENROLMENTS: list[tuple[str, str, S, date, date | None, str | None]] = [
    ("kim", "mon", S.PENDING_PAYMENT, date(2025, 10, 1), None, None),
    ("an", "wed", S.ENROLLED, date(2025, 10, 3), None, None),
    ("bo", "fri", S.PENDING_PAYMENT, date(2025, 10, 5), None, None),
    ("kim", "lego", S.ENROLLED, date(2025, 10, 7), None, None),
    ("an", "lego", S.PENDING_PAYMENT, date(2025, 10, 9), None, "199.99"),
    ("bo", "wed", S.PENDING_PAYMENT, date(2025, 10, 11), date(2026, 2, 25), None),
    ("alex", "mon", S.ENROLLED, date(2025, 10, 2), None, None),
    ("alex", "free", S.PENDING_PAYMENT, date(2025, 10, 2), None, None),  # no price
    ("alex", "term2", S.ENROLLED, date(2025, 10, 2), None, None),  # next term
    ("jo", "term4", S.COMPLETED, date(2025, 9, 1), None, None),  # last term
    ("jo", "mon", S.ACTIVE, date(2025, 9, 2), date(2026, 2, 2), None),  # not invoiced
    ("sam", "mon", S.PENDING_PAYMENT, date(2025, 11, 2), None, None),
    ("sam", "wed", S.ENQUIRY, date(2025, 11, 3), None, None),
    ("zed", "mon", S.PENDING_PAYMENT, date(2025, 11, 4), None, "0.00"),  # paid at once
]


def _name(child: str, cohort: str) -> str:
    return f"{child}/{cohort}"


class School:
    """The same school, buildable on any backend (with a second organisation)."""

    def __init__(self) -> None:
        self.org_id, self.other_org_id = uuid4(), uuid4()
        names = ["campus", *PROGRAMS, *COHORTS, *FAMILIES]
        names += [child for children in FAMILIES.values() for child in children]
        names += [_name(c, k) for c, k, *_ in ENROLMENTS]
        names += [f"{k}#{n}" for k, spec in COHORTS.items() for n in range(1, spec[1] + 1)]
        self.ids = {name: uuid4() for name in names}
        self.other_ids = {name: uuid4() for name in names}

    def entities(self, org_id: UUID, ids: dict[str, UUID], tag: str) -> list[m.Entity]:
        made: list[m.Entity] = [
            m.Campus(
                id=ids["campus"],
                organisation_id=org_id,
                name="Werribee",
                timezone="Australia/Melbourne",
            )
        ]
        made += [
            m.Program(
                id=ids[name],
                organisation_id=org_id,
                name=name.title(),
                default_price=None if price is None else Decimal(price),
            )
            for name, price in PROGRAMS.items()
        ]
        for name, (start, count, cancelled, price, program) in COHORTS.items():
            made.append(
                m.Cohort(
                    id=ids[name],
                    organisation_id=org_id,
                    program_id=ids[program],
                    campus_id=ids["campus"],
                    name=f"{name.title()} cohort",
                    start_date=start,
                    end_date=start + (count - 1) * W,
                    max_capacity=20,
                    status=m.CohortStatus.IN_PROGRESS if start < TODAY else m.CohortStatus.OPEN,
                    tuition_price=None if price is None else Decimal(price),
                )
            )
            made += [
                m.Session(
                    id=ids[f"{name}#{n}"],
                    organisation_id=org_id,
                    cohort_id=ids[name],
                    session_number=n,
                    scheduled_date=start + (n - 1) * W,
                    scheduled_start_time=time(16, 0),
                    scheduled_end_time=time(17, 30),
                    status=m.SessionStatus.CANCELLED
                    if n in cancelled
                    else m.SessionStatus.SCHEDULED,
                    cancellation_reason="Heatwave" if n in cancelled else None,
                )
                for n in range(1, count + 1)
            ]
        for family, children in FAMILIES.items():
            made.append(
                m.Family(
                    id=ids[family],
                    organisation_id=org_id,
                    family_name=family.title(),
                    primary_contact_name=f"Parent {family}",
                    primary_contact_email=f"{family}-{tag}@family.example",
                )
            )
            made += [
                m.Student(
                    id=ids[child],
                    organisation_id=org_id,
                    family_id=ids[family],
                    first_name=child.title(),
                    last_name=family.title(),
                    date_of_birth=date(2017, 1, 1),
                )
                for child in children
            ]
        made += [
            m.Enrolment(
                id=ids[_name(child, cohort)],
                organisation_id=org_id,
                student_id=ids[child],
                cohort_id=ids[cohort],
                status=status,
                enrolment_date=datetime.combine(on, time(10), tzinfo=UTC),
                start_date=start,
                tuition_override=None if override is None else Decimal(override),
            )
            for child, cohort, status, on, start, override in ENROLMENTS
        ]
        return made

    def build(self, make_uow: UnitOfWorkFactory) -> None:
        for org_id, ids, tag in (
            (self.org_id, self.ids, f"{self.org_id.hex[:8]}-a"),
            (self.other_org_id, self.other_ids, f"{self.org_id.hex[:8]}-b"),
        ):
            with make_uow(org_id) as uow:
                uow.organisations.add(m.Organisation(id=org_id, name=f"Term {tag}"))
                for entity in self.entities(org_id, ids, tag):
                    getattr(uow, _REPOSITORY[type(entity)]).add(entity)
                uow.commit()

    def snapshot(self, make_uow: UnitOfWorkFactory, *, other: bool = False) -> dict[str, Any]:
        """What a term run may change, by name (ids are the same on every backend)."""
        org_id, ids = (self.other_org_id, self.other_ids) if other else (self.org_id, self.ids)
        names = {v: k for k, v in ids.items()}
        found: dict[str, Any] = {}
        with make_uow(org_id) as uow:
            invoice_names: dict[UUID, str] = {}
            for child, cohort, *_ in ENROLMENTS:
                name = _name(child, cohort)
                enrolment = uow.enrolments.get(ids[name])
                charged = uow.invoices.list_for_enrolment(enrolment.id)
                for n, invoice in enumerate(charged):
                    invoice_names[invoice.id] = f"invoice {n} of {name}"
                found[name] = (
                    enrolment.status,
                    enrolment.discount_applied,
                    enrolment.version,
                    [_invoice(i, names) for i in charged],
                    _audit(uow, enrolment.id),
                )
            for name in invoice_names.values():
                found[name] = None
            for invoice_id, name in invoice_names.items():
                found[name] = _audit(uow, invoice_id)
            for family in FAMILIES:
                loaded = uow.families.get(ids[family])
                found[family] = (loaded.account_balance, loaded.version, _audit(uow, loaded.id))
        return found


_REPOSITORY = {
    m.Campus: "campuses",
    m.Program: "programs",
    m.Cohort: "cohorts",
    m.Session: "sessions",
    m.Family: "families",
    m.Student: "students",
    m.Enrolment: "enrolments",
}


def _invoice(invoice: m.Invoice, names: dict[UUID, str]) -> tuple[Any, ...]:
    return (
        invoice.invoice_number,
        names[invoice.family_id],
        invoice.issue_date,
        invoice.due_date,
        invoice.total_amount,
        invoice.gst_amount,
        invoice.discount_amount,
        invoice.amount_paid,
        invoice.amount_credited,
        invoice.amount_outstanding,
        invoice.status,
        invoice.line_items,
        invoice.notes,
        invoice.created_at,
        invoice.version,
    )


def _audit(uow: UnitOfWork, entity_id: UUID) -> list[tuple[Any, ...]]:
    entries = sorted(uow.audit.list_for_entity(entity_id), key=lambda a: (a.action, a.summary))
    return [
        (a.action, a.actor_staff_id, a.entity_type, a.summary, a.changes, a.occurred_at)
        for a in entries
    ]


def _service(make_uow: UnitOfWorkFactory, batch_size: int = 2) -> TermInvoicingService:
    return TermInvoicingService(make_uow, FixedClock(NOW), EventBus(), batch_size=batch_size)


def _run(make_uow: UnitOfWorkFactory, school: School, batch_size: int = 2) -> TermInvoicingReport:
    return _service(make_uow, batch_size).run_term(
        school.org_id, first_day=FIRST, last_day=LAST, today=TODAY
    )


def _charge_early(make_uow: UnitOfWorkFactory, school: School) -> None:
    """Sam's automatic invoice before the run, and Kim's voided one."""
    billing = InvoicingService(make_uow, FixedClock(NOW - timedelta(days=3)), EventBus())
    assert billing.invoice_enrolment(school.org_id, school.ids["sam/mon"]) is not None
    voided = billing.invoice_enrolment(school.org_id, school.ids["kim/mon"])
    assert voided is not None
    with make_uow(school.org_id) as uow:
        invoice = uow.invoices.get(voided.id)
        invoice.void()
        family = uow.families.get(invoice.family_id)
        family.update(account_balance=family.account_balance - invoice.total_amount)
        uow.commit()


@pytest.fixture
def memory() -> UnitOfWorkFactory:
    return MemoryStore().unit_of_work


@pytest.fixture(params=["sqlite_database", "postgres_database"])
def database(request: pytest.FixtureRequest) -> Database:
    found: Database = request.getfixturevalue(request.param)
    return found


def test_sql_gives_what_memory_gives(database: Database, memory: UnitOfWorkFactory) -> None:
    school = School()
    for make_uow in (memory, database.unit_of_work):
        school.build(make_uow)
        _charge_early(make_uow, school)
    assert school.snapshot(database.unit_of_work) == school.snapshot(memory)

    expected = _run(memory, school)
    report = _run(database.unit_of_work, school)

    assert report == expected
    assert (report.invoices_issued, report.already_invoiced, report.unpriced) == (8, 1, 1)
    assert report.batches == 2  # four families, two a transaction
    on_sql = school.snapshot(database.unit_of_work)
    assert on_sql == school.snapshot(memory)
    assert school.snapshot(database.unit_of_work, other=True) == school.snapshot(memory, other=True)


def test_what_the_run_writes_on_sql(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)
    _charge_early(database.unit_of_work, school)
    before = school.snapshot(database.unit_of_work)
    other_before = school.snapshot(database.unit_of_work, other=True)

    _run(database.unit_of_work, school, batch_size=1)

    after = school.snapshot(database.unit_of_work)
    status, discount, version, charged, audit = after["an/wed"]
    assert (status, discount, version) == (S.ENROLLED, Decimal("30.00"), 2)
    [(number, family, issued, due, total, gst, off, paid, credited, owed, state, lines, *_)] = (
        charged
    )
    assert (family, issued, due, state) == ("nguyen", TODAY, TODAY + timedelta(days=14), I.SENT)
    assert (total, gst, off, paid, credited, owed) == (
        Decimal("297.00"),
        Decimal("27.00"),
        Decimal("30.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("297.00"),
    )
    assert [(line.description, line.amount) for line in lines] == [
        ("Scratch — Wed cohort", Decimal("300.00")),
        ("Sibling discount: 10% off for the 2nd child", Decimal("-30.00")),
    ]
    assert audit == before["an/wed"][4] == []  # the invoice's entry records the discount
    [entry] = after["invoice 0 of an/wed"]
    assert entry[:4] == (
        "invoice.issue",
        None,
        "Invoice",
        f"term invoice {number} for the enrolment of An Nguyen in Wed cohort: 297.00"
        " due 2026-02-02",
    )
    assert entry[4]["discount_applied"] == ["0.00", "30.00"]
    assert entry[4]["sibling_rank"] == 2
    assert entry[5] == NOW
    # the zero-price invoice is paid and confirms its enrolment; no balance moves
    zed = after["zed/mon"]
    assert zed[0] is S.ENROLLED
    assert zed[3][0][10] is I.PAID
    assert after["zero"][:2] == (Decimal("0.00"), 1)
    # balances: what was charged, one audit entry per family and batch
    nguyen_total = sum(
        invoice[4]
        for name in ("kim/mon", "an/wed", "bo/fri", "kim/lego", "an/lego", "bo/wed")
        for invoice in after[name][3]
        if invoice[10] is not I.VOID
    )
    assert after["nguyen"][0] == nguyen_total
    assert after["nguyen"][1] == before["nguyen"][1] + 1
    assert after["nguyen"][2] == before["nguyen"][2]  # the invoices' entries record it
    moves = sorted(
        ([Decimal(amount) for amount in after[f"invoice {n} of {name}"][0][4]["account_balance"]])
        for name in ("kim/mon", "an/wed", "bo/fri", "kim/lego", "an/lego", "bo/wed")
        for n in range(len(after[name][3]))
        if after[name][3][n][10] is not I.VOID
    )
    # each invoice moves the balance on from where the one before left it
    assert [start for start, _ in moves[1:]] == [end for _, end in moves[:-1]]
    assert moves[-1][1] == after["nguyen"][0]
    # left alone: no price, next and last terms, active, enquiry; the other organisation
    for name in ("alex/free", "alex/term2", "jo/term4", "jo/mon", "sam/wed"):
        assert after[name] == before[name], name
    assert school.snapshot(database.unit_of_work, other=True) == other_before


def test_running_again_issues_nothing_twice_on_sql(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)
    first = _run(database.unit_of_work, school)
    once = school.snapshot(database.unit_of_work)

    again = _run(database.unit_of_work, school, batch_size=1000)

    assert first.invoices_issued == 9
    assert (again.invoices_issued, again.already_invoiced, again.batches) == (0, 9, 1)
    assert school.snapshot(database.unit_of_work) == once


def test_a_failed_batch_leaves_nothing_and_a_rerun_finishes_on_sql(
    database: Database, memory: UnitOfWorkFactory
) -> None:
    school = School()
    school.build(database.unit_of_work)
    school.build(memory)
    _run(memory, school, batch_size=1)
    batches: list[int] = []

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = database.unit_of_work(organisation_id)
        repository = uow.term_invoicing
        real = repository.issue

        def issue(invoices: Any, **kwargs: Any) -> None:
            real(invoices, **kwargs)
            batches.append(len(invoices))
            if len(batches) == 2:
                raise RuntimeError("killed")

        repository.issue = issue  # type: ignore[method-assign]
        return uow

    with pytest.raises(RuntimeError, match="killed"):
        _run(make_uow, school, batch_size=1)
    with database.unit_of_work(school.org_id) as uow:
        issued = [
            i for family in FAMILIES for i in uow.invoices.list_for_family(school.ids[family])
        ]
    # the first family's batch (the one that failed wrote nothing): numbers from 1, no gap
    assert len({i.family_id for i in issued}) == 1
    assert sorted(i.invoice_number for i in issued) == [
        f"INV-2026-{n:06d}" for n in range(1, len(issued) + 1)
    ]

    report = _run(database.unit_of_work, school, batch_size=1)

    assert (report.invoices_issued, report.already_invoiced) == (9 - len(issued), len(issued))
    assert school.snapshot(database.unit_of_work) == school.snapshot(memory)


def test_a_batch_runs_the_same_statements_whatever_its_size(database: Database) -> None:
    """Set-based: the statements a batch runs do not depend on how many families and
    invoices it holds (a zero-price invoice, which confirms its enrolment as an entity,
    aside)."""
    small, large = School(), School()
    for school in (small, large):
        school.build(database.unit_of_work)
    with database.unit_of_work(large.org_id) as uow:  # more families, same kinds of rows
        for n in range(30):
            family = m.Family(
                organisation_id=large.org_id,
                family_name=f"More {n}",
                primary_contact_name="Parent",
                primary_contact_email=f"more{n}-{large.org_id.hex[:8]}@family.example",
            )
            uow.families.add(family)
            for k in range(2):
                child = m.Student(
                    organisation_id=large.org_id,
                    family_id=family.id,
                    first_name=f"Kid{k}",
                    last_name=f"More {n}",
                    date_of_birth=date(2017, 1, 1),
                )
                uow.students.add(child)
                uow.enrolments.add(
                    m.Enrolment(
                        organisation_id=large.org_id,
                        student_id=child.id,
                        cohort_id=large.ids[["mon", "wed"][k]],
                        status=S.ENROLLED,
                        enrolment_date=datetime(2025, 11, 1 + k, tzinfo=UTC),
                    )
                )
        uow.commit()
    counts = []
    for school in (small, large):
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])  # noqa: B023

        sa.event.listen(database.engine, "before_cursor_execute", count)
        try:
            report = _run(database.unit_of_work, school, batch_size=1000)
        finally:
            sa.event.remove(database.engine, "before_cursor_execute", count)
        counts.append((report.invoices_issued, len(statements)))
    (few, small_statements), (many, large_statements) = counts
    assert many == few + 60
    assert small_statements == large_statements


def test_the_automatic_invoice_waits_for_the_run_on_postgres(postgres_database: Database) -> None:
    """The run locks the cohorts it invoices in: an automatic invoice for the same enrolment
    waits, then issues nothing."""
    import threading

    school = School()
    school.build(postgres_database.unit_of_work)
    paged, release = threading.Event(), threading.Event()

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = postgres_database.unit_of_work(organisation_id)
        repository = uow.term_invoicing
        real = repository.page

        def page(*args: Any, **kwargs: Any) -> Any:
            found = real(*args, **kwargs)
            if any(row.id == school.ids["kim/mon"] for row in found.enrolments):
                paged.set()
                assert release.wait(10)
            return found

        repository.page = page  # type: ignore[method-assign]
        return uow

    errors: list[BaseException] = []

    def term() -> None:
        try:
            _run(make_uow, school, batch_size=1000)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    worker = threading.Thread(target=term)
    worker.start()
    assert paged.wait(10)
    automatic: list[Any] = []
    racer = threading.Thread(
        target=lambda: automatic.append(
            InvoicingService(
                postgres_database.unit_of_work, FixedClock(NOW), EventBus()
            ).invoice_enrolment(school.org_id, school.ids["kim/mon"])
        )
    )
    racer.start()
    racer.join(0.5)
    assert racer.is_alive()
    release.set()
    worker.join(10)
    racer.join(10)

    assert errors == []
    assert automatic == [None]
    with postgres_database.unit_of_work(school.org_id) as uow:
        assert len(uow.invoices.list_for_enrolment(school.ids["kim/mon"])) == 1


def test_the_invoice_numbers_run_out_cleanly(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)
    with database.unit_of_work(school.org_id) as uow:
        uow.term_invoicing.allocate_invoice_numbers(2026, 999_995)
        uow.commit()

    with pytest.raises(Conflict, match="not enough invoice numbers left in 2026"):
        _run(database.unit_of_work, school, batch_size=1000)

    with database.unit_of_work(school.org_id) as uow:
        assert uow.invoices.list_for_family(school.ids["nguyen"]) == []
        assert uow.term_invoicing.allocate_invoice_numbers(2026, 4) == 999_996


def test_one_run_at_a_time_on_postgres(postgres_database: Database) -> None:
    """A second run waits for the first one's advisory lock, then issues nothing twice."""
    import threading

    school = School()
    school.build(postgres_database.unit_of_work)
    paged, release = threading.Event(), threading.Event()

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = postgres_database.unit_of_work(organisation_id)
        repository = uow.term_invoicing
        real = repository.page

        def page(*args: Any, **kwargs: Any) -> Any:
            found = real(*args, **kwargs)
            if found.enrolments:
                paged.set()
                assert release.wait(10)
            return found

        repository.page = page  # type: ignore[method-assign]
        return uow

    reports: dict[str, TermInvoicingReport] = {}

    def first() -> None:
        reports["first"] = _run(make_uow, school, batch_size=1000)

    def second() -> None:
        reports["second"] = _run(postgres_database.unit_of_work, school, batch_size=1000)

    worker = threading.Thread(target=first)
    worker.start()
    assert paged.wait(10)
    racer = threading.Thread(target=second)
    racer.start()
    racer.join(0.5)
    assert racer.is_alive()
    release.set()
    worker.join(10)
    racer.join(10)

    assert reports["first"].invoices_issued == 9
    assert (reports["second"].invoices_issued, reports["second"].already_invoiced) == (0, 9)
