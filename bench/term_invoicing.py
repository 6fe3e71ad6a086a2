"""Term invoicing on Postgres: ``TermInvoicingService.run_term`` against a COPY of the same
invoice rows and of the notifications they queue.

A school whose term has N enrolments to invoice (families of one to four children, a tenth of
the children in two classes, a tenth of the enrolments pending payment, a fiftieth joining
late) is seeded once with COPY into a template database, with last term's completed
enrolments and paid invoices (half as many) so that the tables are not empty. Each
repetition runs on a fresh copy of the template (CREATE DATABASE ... TEMPLATE), ours and the
baseline alternately:

- **ours**: ``run_term`` over the SQL adapter in a child process (``python -m
  bench.term_ours``), as the application role under row-level security, exactly as
  ``rocket billing run-term`` runs it: batches of families, each one transaction that locks
  its cohorts, reads its families' enrolments, ranks and prices them, takes a block of
  invoice numbers and writes the invoices, discounts, balances and audit entries, and (the
  notification outbox subscribed, as the container wires it) queues each invoice's
  "invoice issued" notification, rendered from its templates, in the same transaction; the
  next batch is read and priced while the previous one is written;
- **the baseline**: the invoice and notification rows our first run wrote (``COPY (SELECT
  ...) TO STDOUT``, kept in memory), written with one ``COPY ... FROM STDIN`` each and their
  commit into ``invoices_baseline`` and ``notifications_baseline``, copies of the tables made
  in the template (``LIKE ... INCLUDING ALL``: columns, defaults, checks, indexes, with last
  term's rows) to which the tables' deferred foreign keys are added (they are checked at the
  commit), as the database's superuser. It does only the inserts: no reading, pricing,
  numbering, rendering, balances, discounts or audit. The same COPYs into the ``_bare``
  copies without the foreign keys are measured too, for reference.

Every run of ours must leave the same invoices behind (a digest of every invoice but its id,
and of the balances, discounts and audit entries), and their count, total and number of
sibling discounts must equal what the bench computes on its own from the seed
(``expected``: ranks from the family structure, prices from ``price_tuition``).

Memory: one more run of ours per scale under tracemalloc (not timed) gives the peak of Python
allocations; every run reports its process's peak resident set (VmHWM) before and after.
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import psycopg

from bench import postgres
from bench.runner import Benchmark, Log, Result, Row, memory_rows, timed_row
from rocket_adapters.sql import migrate
from rocket_core.model import OrganisationSettings
from rocket_core.pricing import price_tuition

TODAY = date(2026, 1, 19)
NOW = datetime(2026, 1, 18, 22, 0, tzinfo=UTC)  # 09:00 on TODAY in Melbourne
FIRST, LAST = date(2026, 1, 26), date(2026, 4, 5)
ENROLMENTS_PER_COHORT = 25
SESSIONS = 10
#: Children of the families, in turn (2.2 on average).
FAMILY_SIZES = (1, 2, 3, 2, 1, 4, 2, 3, 2, 2)
W = timedelta(weeks=1)
CREATED = "2025-06-01 00:00:00+00"
COPY_COLUMNS = (
    "id, organisation_id, invoice_number, family_id, enrolment_id, issue_date, due_date,"
    " total_amount, gst_amount, discount_amount, amount_paid, amount_credited,"
    " amount_outstanding, status, line_items, notes, created_at, version"
)
#: The notification columns the run writes (its "invoice issued" outbox rows).
NOTIFICATION_COLUMNS = (
    "id, organisation_id, recipient_family_id, recipient_staff_id, type, template_name,"
    " subject, body, html_body, status, due_at, dedupe_key, attempts, last_error,"
    " claimed_until, sent_to, sent_at, created_at, version"
)


def _line(*values: Any) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


def _copy(cursor: psycopg.Cursor[Any], table: str, columns: str, lines: Any) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 20_000:
                copy.write("".join(chunk))
                chunk = []
        if chunk:
            copy.write("".join(chunk))


# -- the school --------------------------------------------------------------------------------


@attrs.frozen
class Cohort:
    id: uuid.UUID
    number: int
    program: int
    start: date
    price: Decimal | None  # None: the program's price
    cancelled: int | None  # a cancelled session's number


@attrs.frozen
class Plan:
    """The seeded school, as the bench knows it (to compute the expected invoices)."""

    org: uuid.UUID
    campuses: list[uuid.UUID]
    programs: list[tuple[uuid.UUID, Decimal]]
    cohorts: list[Cohort]
    last_term: list[uuid.UUID]
    families: list[uuid.UUID]
    #: (student id, family index)
    students: list[tuple[uuid.UUID, int]]
    #: (enrolment id, student index, cohort index, status, enrolment date, own start date)
    enrolments: list[tuple[uuid.UUID, int, int, str, datetime, date | None]]
    #: (enrolment id, student index, last term's cohort index)
    completed: list[tuple[uuid.UUID, int, int]]


def plan(enrolments: int, seed: int = 7) -> Plan:
    """A term of ``enrolments`` enrolments to invoice (see the module docstring)."""
    rng = random.Random(seed)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    org = new_id()
    campuses = [new_id() for _ in range(10)]
    programs = [(new_id(), Decimal(280 + 10 * n).quantize(Decimal("0.01"))) for n in range(10)]
    count = enrolments // ENROLMENTS_PER_COHORT
    cohorts = [
        Cohort(
            id=new_id(),
            number=n,
            program=n % 10,
            start=FIRST + timedelta(days=7 + n % 19),
            price=None if n % 3 else Decimal(300 + 5 * (n % 7)).quantize(Decimal("0.01")),
            cancelled=4 if n % 20 == 0 else None,
        )
        for n in range(count)
    ]
    last_term = [new_id() for _ in range(max(1, count // 2))]
    # Children: a tenth of them in two classes.
    children = enrolments * 10 // 11
    families: list[uuid.UUID] = []
    students: list[tuple[uuid.UUID, int]] = []
    while len(students) < children:
        families.append(new_id())
        for _ in range(FAMILY_SIZES[len(families) % len(FAMILY_SIZES)]):
            if len(students) < children:
                students.append((new_id(), len(families) - 1))
    seats = [*range(children), *range(0, children, 10)]
    seats = seats[:enrolments] + [rng.randrange(children) for _ in range(enrolments - len(seats))]
    rng.shuffle(seats)
    rows = []
    taken: set[tuple[int, int]] = set()
    for k, student in enumerate(seats):
        cohort = k // ENROLMENTS_PER_COHORT
        while (student, cohort) in taken:  # never two live enrolments in one cohort
            student = (student + 1) % children
        taken.add((student, cohort))
        status = "pending_payment" if k % 10 == 0 else "enrolled"
        enrolled_on = datetime(2025, 9, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(200_000))
        late = cohorts[cohort].start + 3 * W if k % 50 == 7 else None
        rows.append((new_id(), student, cohort, status, enrolled_on, late))
    completed = [
        (new_id(), rng.randrange(children), n % len(last_term)) for n in range(enrolments // 2)
    ]
    return Plan(
        org=org,
        campuses=campuses,
        programs=programs,
        cohorts=cohorts,
        last_term=last_term,
        families=families,
        students=students,
        enrolments=rows,
        completed=completed,
    )


@attrs.frozen
class Expected:
    invoices: int
    total: Decimal
    discounts: int


def expected(school: Plan) -> Expected:
    """What the run must issue, computed here from the plan: within a family the children
    are ranked by their first enrolment of the term (all of the term's cohorts overlap)."""
    settings = OrganisationSettings()
    first_of_child: dict[int, tuple[datetime, uuid.UUID]] = {}
    for enrolment_id, student, _, _, on, _ in school.enrolments:
        key = (on, enrolment_id)
        if student not in first_of_child or key < first_of_child[student]:
            first_of_child[student] = key
    children_of: dict[int, list[int]] = {}
    for student in first_of_child:
        children_of.setdefault(school.students[student][1], []).append(student)
    rank: dict[int, int] = {}
    for children in children_of.values():
        ordered = sorted(children, key=lambda s: first_of_child[s])
        rank.update({student: n + 1 for n, student in enumerate(ordered)})
    total, discounts = Decimal("0.00"), 0
    for _, student, index, _, _, late in school.enrolments:
        cohort = school.cohorts[index]
        held = [cohort.start + n * W for n in range(SESSIONS) if cohort.cancelled != n + 1]
        first = max(TODAY, late or TODAY)
        priced = price_tuition(
            description=f"Program {cohort.program} — Cohort {cohort.number}",
            tuition=cohort.price or school.programs[cohort.program][1],
            sibling_rank=rank[student],
            sessions_total=len(held),
            sessions_remaining=sum(1 for day in held if day >= first),
            settings=settings,
        )
        total += priced.total
        discounts += priced.discount > 0
    return Expected(invoices=len(school.enrolments), total=total, discounts=discounts)


def seed(url: str, school: Plan) -> None:
    """Migrate and fill a fresh database with the plan (as the superuser: COPY, no RLS),
    with ``invoices_baseline``, a copy of the invoices table, for the baseline."""
    migrate.upgrade(url)
    org = school.org
    with psycopg.connect(postgres.libpq(url)) as connection, connection.cursor() as cursor:
        # Foreign keys are checked by triggers: the seed is consistent by construction.
        cursor.execute("SET session_replication_role = replica")
        _copy(
            cursor,
            "organisations",
            "id, name, settings, created_at, version",
            [_line(org, "Bench Academy", "{}", CREATED, 1)],
        )
        _copy(
            cursor,
            "campuses",
            "id, organisation_id, name, timezone, closure_dates, created_at",
            (
                _line(c, org, f"Campus {n}", "Australia/Melbourne", "[]", CREATED)
                for n, c in enumerate(school.campuses)
            ),
        )
        _copy(
            cursor,
            "programs",
            "id, organisation_id, name, default_price, created_at",
            (
                _line(p, org, f"Program {n}", price, CREATED)
                for n, (p, price) in enumerate(school.programs)
            ),
        )
        last_start = date(2025, 10, 6)

        def cohorts() -> Iterator[str]:
            for c in school.cohorts:
                yield _line(
                    c.id,
                    org,
                    school.programs[c.program][0],
                    school.campuses[c.number % 10],
                    f"Cohort {c.number}",
                    c.start,
                    c.start + (SESSIONS - 1) * W,
                    ENROLMENTS_PER_COHORT + 5,
                    ENROLMENTS_PER_COHORT,
                    "open",
                    c.price,
                    CREATED,
                )
            for n, c_id in enumerate(school.last_term):
                yield _line(
                    c_id,
                    org,
                    school.programs[n % 10][0],
                    school.campuses[n % 10],
                    f"Last term {n}",
                    last_start,
                    last_start + (SESSIONS - 1) * W,
                    ENROLMENTS_PER_COHORT + 5,
                    0,
                    "completed",
                    None,
                    CREATED,
                )

        _copy(
            cursor,
            "cohorts",
            "id, organisation_id, program_id, campus_id, name, start_date, end_date,"
            " max_capacity, current_enrolments, status, tuition_price, created_at",
            cohorts(),
        )
        _copy(
            cursor,
            "sessions",
            "id, organisation_id, cohort_id, session_number, scheduled_date,"
            " scheduled_start_time, scheduled_end_time, status, cancellation_reason, created_at",
            (
                _line(
                    uuid.uuid4(),
                    org,
                    c.id,
                    n + 1,
                    c.start + n * W,
                    "16:00",
                    "17:30",
                    "cancelled" if c.cancelled == n + 1 else "scheduled",
                    "Heatwave" if c.cancelled == n + 1 else None,
                    CREATED,
                )
                for c in school.cohorts
                for n in range(SESSIONS)
            ),
        )
        _copy(
            cursor,
            "families",
            "id, organisation_id, family_name, primary_contact_name, primary_contact_email,"
            " created_at",
            (
                _line(f, org, f"Family {n}", f"Parent {n}", f"parent{n}@bench.example", CREATED)
                for n, f in enumerate(school.families)
            ),
        )
        _copy(
            cursor,
            "students",
            "id, organisation_id, family_id, first_name, last_name, date_of_birth, created_at",
            (
                _line(s, org, school.families[f], f"Kid{n}", f"Family {f}", "2016-05-01", CREATED)
                for n, (s, f) in enumerate(school.students)
            ),
        )

        def enrolments() -> Iterator[str]:
            for e_id, student, cohort, status, on, late in school.enrolments:
                yield _line(
                    e_id,
                    org,
                    school.students[student][0],
                    school.cohorts[cohort].id,
                    status,
                    on.isoformat(),
                    late,
                    None,
                    CREATED,
                )
            for e_id, student, cohort in school.completed:
                yield _line(
                    e_id,
                    org,
                    school.students[student][0],
                    school.last_term[cohort],
                    "completed",
                    "2025-08-01 00:00:00+00",
                    last_start,
                    last_start + (SESSIONS - 1) * W,
                    CREATED,
                )

        _copy(
            cursor,
            "enrolments",
            "id, organisation_id, student_id, cohort_id, status, enrolment_date, start_date,"
            " end_date, created_at",
            enrolments(),
        )
        lines = json.dumps(
            [{"description": "Last term", "quantity": 1, "unit_price": "300.00"}]
        ).replace("\\", "\\\\")
        _copy(
            cursor,
            "invoices",
            COPY_COLUMNS,
            (
                _line(
                    uuid.uuid4(),
                    org,
                    f"INV-2025-{n + 1:06d}",
                    school.families[school.students[student][1]],
                    e_id,
                    "2025-09-20",
                    "2025-10-04",
                    "330.00",
                    "30.00",
                    "0.00",
                    "330.00",
                    "0.00",
                    "0.00",
                    "paid",
                    lines,
                    None,
                    "2025-09-20 09:00:00+00",
                    2,
                )
                for n, (e_id, student, _) in enumerate(school.completed)
            ),
        )
        cursor.execute(
            "INSERT INTO invoice_number_counters (organisation_id, year, last_number)"
            " VALUES (%s, 2025, %s)",
            (org, len(school.completed)),
        )
        # The baselines' tables: copies of the invoices and notifications tables with their
        # rows, columns, defaults, checks and indexes; the first pair also with their
        # (deferred) foreign keys.
        for source in ("invoices", "notifications"):
            for table in (f"{source}_baseline", f"{source}_bare"):
                cursor.execute(f"CREATE TABLE {table} (LIKE {source} INCLUDING ALL)")
                cursor.execute(f"INSERT INTO {table} SELECT * FROM {source}")
            keys = cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                f" WHERE conrelid = '{source}'::regclass AND contype = 'f' ORDER BY conname"
            ).fetchall()
            for name, definition in keys:
                cursor.execute(
                    f"ALTER TABLE {source}_baseline ADD CONSTRAINT {name}_baseline {definition}"
                )
        connection.commit()
    with psycopg.connect(postgres.libpq(url), autocommit=True) as connection:
        connection.execute("VACUUM (FREEZE, ANALYZE)")
        connection.execute("CHECKPOINT")


# -- ours and the baseline --------------------------------------------------------------------


@attrs.frozen
class OurRun:
    seconds: float
    issued: int
    amount: str
    discounts: int
    batches: int
    traced_peak: int  # bytes of Python allocations at the run's peak (tracemalloc; 0: off)
    rss_before: int  # kilobytes: the process's peak resident set (VmHWM) before the run
    rss_after: int  # kilobytes: the same after it


def run_ours(url: str, org: uuid.UUID, *, trace: bool = False) -> OurRun:
    """``run_term`` over the SQL adapter, in a fresh Python process."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.term_ours",
            url,
            str(org),
            FIRST.isoformat(),
            LAST.isoformat(),
            TODAY.isoformat(),
            NOW.isoformat(),
            "outbox",  # as the container wires it: each invoice queues a notification
            *(["trace"] if trace else []),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return OurRun(**json.loads(out.stdout.strip().splitlines()[-1]))


@attrs.frozen
class Rows:
    """What our run wrote, in COPY's text format: this term's invoices and the
    notifications they queued."""

    invoices: bytes
    notifications: bytes


def _dump(cursor: psycopg.Cursor[Any], query: str, params: tuple[Any, ...]) -> bytes:
    buffer = io.BytesIO()
    with cursor.copy(query, params) as copy:
        for data in copy:
            buffer.write(data)
    return buffer.getvalue()


def our_rows(url: str) -> Rows:
    """The invoice and notification rows our run wrote."""
    with psycopg.connect(postgres.libpq(url)) as connection, connection.cursor() as cursor:
        invoices = _dump(
            cursor,
            f"COPY (SELECT {COPY_COLUMNS} FROM invoices WHERE issue_date = %s"
            " ORDER BY invoice_number) TO STDOUT",
            (TODAY,),
        )
        notifications = _dump(
            cursor,
            f"COPY (SELECT {NOTIFICATION_COLUMNS} FROM notifications"
            " WHERE template_name = 'invoice_issued' ORDER BY dedupe_key) TO STDOUT",
            (),
        )
    return Rows(invoices=invoices, notifications=notifications)


def run_baseline(url: str, rows: Rows, suffix: str) -> float:
    """One COPY of the invoice rows into ``invoices_<suffix>`` and one of the notification
    rows into ``notifications_<suffix>``, and their commit (foreign keys are checked then);
    seconds."""
    with psycopg.connect(postgres.libpq(url)) as connection, connection.cursor() as cursor:
        connection.commit()
        started = time.perf_counter()
        for table, columns, data in (
            (f"invoices_{suffix}", COPY_COLUMNS, rows.invoices),
            (f"notifications_{suffix}", NOTIFICATION_COLUMNS, rows.notifications),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for offset in range(0, len(data), 1 << 20):
                    copy.write(data[offset : offset + (1 << 20)])
        connection.commit()
        seconds = time.perf_counter() - started
        found = cursor.execute(
            f"SELECT count(*) FROM invoices_{suffix} WHERE issue_date = %s", (TODAY,)
        ).fetchone()
        if not found or not found[0]:
            raise AssertionError(f"the baseline wrote nothing into invoices_{suffix}")
        return seconds


DIGEST = """
SELECT 'invoices', md5(string_agg(concat_ws('|', invoice_number, family_id, enrolment_id,
       issue_date, due_date, total_amount, gst_amount, discount_amount, amount_outstanding,
       status, line_items::text, created_at), ',' ORDER BY invoice_number))
FROM invoices WHERE issue_date = %(today)s
UNION ALL
SELECT 'families', md5(string_agg(concat_ws('|', id, account_balance, version), ','
       ORDER BY id)) FROM families
UNION ALL
SELECT 'discounts', md5(string_agg(concat_ws('|', id, discount_applied, version), ','
       ORDER BY id)) FROM enrolments
UNION ALL
SELECT 'audit ' || action || ' x' || count(*), md5(string_agg(summary, ',' ORDER BY summary))
FROM audit_log GROUP BY action
"""


def digest(url: str) -> list[tuple[str, str]]:
    """What our run left behind (as the superuser)."""
    with psycopg.connect(postgres.libpq(url)) as connection:
        return [tuple(row) for row in connection.execute(DIGEST, {"today": TODAY})]


# -- the benchmark ------------------------------------------------------------------------------


@attrs.frozen
class Scale:
    enrolments: int
    families: int
    ours: list[OurRun]
    #: COPY into the copy of the table with its foreign keys, and into the bare copy.
    baseline: list[float]
    bare: list[float]
    #: A run under tracemalloc, when one was asked for (``TRACE``).
    traced: OurRun | None

    @property
    def ours_median(self) -> float:
        return statistics.median(r.seconds for r in self.ours)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)

    @property
    def bare_median(self) -> float:
        return statistics.median(self.bare)

    @property
    def runs(self) -> list[OurRun]:
        return [*self.ours, *([] if self.traced is None else [self.traced])]

    @property
    def traced_peak(self) -> int:
        return 0 if self.traced is None else self.traced.traced_peak

    @property
    def rss_growth(self) -> int:
        """Kilobytes the process's peak resident set grew by during the run (worst run)."""
        return max(r.rss_after - r.rss_before for r in self.runs)

    @property
    def rss_peak(self) -> int:
        return max(r.rss_after for r in self.runs)

    @property
    def batches(self) -> int:
        return self.ours[0].batches


#: One more run of ours per size under tracemalloc (``ROCKET_BENCH_TRACE=1``): it runs three
#: times slower than a timed run (4-5 minutes at 100,000 with the outbox), more than
#: ``make bench``'s budget holds; without it, memory is judged by the resident set.
TRACE = os.environ.get("ROCKET_BENCH_TRACE") == "1"


def measure(enrolments: int, repetitions: int, log: Any) -> Scale:
    """Seed a template of ``enrolments`` enrolments to invoice and time both."""
    school = plan(enrolments)
    want = expected(school)
    template = postgres.fresh_name("rocket_bench_term_tpl")
    url = postgres.create(template)
    try:
        started = time.perf_counter()
        seed(url, school)
        log(
            f"  seeded {enrolments:,} enrolments to invoice ({len(school.families):,} families,"
            f" {len(school.completed):,} last term) in {time.perf_counter() - started:.1f}s"
        )
        ours: list[OurRun] = []
        baseline: list[float] = []
        bare: list[float] = []
        rows: Rows | None = None
        expected_digest: list[tuple[str, str]] | None = None
        traced: OurRun | None = None
        # Ours first (the baseline copies the rows it wrote), then alternately.
        order = [
            ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours") for r in range(repetitions)
        ]
        for kind in [kind for pair in order for kind in pair] + (["traced"] if TRACE else []):
            with postgres.copy_of(template, "rocket_bench_run") as copy:
                if kind == "baseline":
                    assert rows is not None
                    suffixes = ["baseline", "bare"]
                    if len(baseline) % 2:
                        suffixes.reverse()
                    took = {suffix: run_baseline(copy, rows, suffix) for suffix in suffixes}
                    baseline.append(took["baseline"])
                    bare.append(took["bare"])
                    log(
                        f"  baseline  {took['baseline']:7.2f}s  COPY of {want.invoices:,}"
                        f" invoices and their notifications ({took['bare']:.2f}s without the"
                        " foreign keys)"
                    )
                    continue
                run = run_ours(copy, school.org, trace=kind == "traced")
                got = (run.issued, Decimal(run.amount), run.discounts)
                if got != (want.invoices, want.total, want.discounts):
                    raise AssertionError(f"ours issued {got}, expected {want}")
                found = digest(copy)
                if expected_digest is None:
                    expected_digest, rows = found, our_rows(copy)
                elif found != expected_digest:
                    raise AssertionError("a run of ours left different invoices behind")
                if kind == "ours":
                    ours.append(run)
                    log(
                        f"  ours      {run.seconds:7.2f}s  {run.issued:,} invoices,"
                        f" {run.discounts:,} sibling discounts, {run.batches} batches"
                    )
                else:
                    traced = run
                    log(
                        f"  traced    {run.seconds:7.2f}s  peak of Python allocations"
                        f" {run.traced_peak / 1e6:.2f} MB, max RSS"
                        f" {run.rss_before / 1024:.0f} -> {run.rss_after / 1024:.0f} MB"
                    )
        return Scale(
            enrolments=enrolments,
            families=len(school.families),
            ours=ours,
            baseline=baseline,
            bare=bare,
            traced=traced,
        )
    finally:
        postgres.drop(template)


# -- for the runner (python -m bench) ------------------------------------------------------------


def run_benchmark(sizes: Sequence[int], repetitions: int, log: Log) -> Result:
    """Measure at each size (enrolments to invoice); the table's rows."""
    terms = []
    for enrolments in sorted(sizes):
        log(f"term invoicing, {enrolments:,} enrolments to invoice:")
        terms.append(measure(enrolments, repetitions, log))
    rows: list[Row] = []
    for term in terms:
        what = (
            f"term invoicing, {term.enrolments:,} enrolments / {term.families:,} families"
            f" ({term.batches} batches, median of {len(term.ours)}), vs one COPY"
        )
        rows.append(
            timed_row(
                f"{what} of its invoices and notifications into copies with foreign keys",
                term.ours_median,
                term.baseline_median,
                5.0,
            )
        )
        # For reference (no target): the same rows into a copy without the foreign keys,
        # which inserting into invoices cannot skip (see docs/benchmarks.md).
        rows.append(
            Row(
                f"{what} into copies without foreign keys (for reference)",
                f"{term.ours_median:.2f} s",
                f"{term.bare_median:.2f} s",
                f"{term.ours_median / term.bare_median:.2f}x",
            )
        )
    if terms:
        rows += memory_rows("our term run", terms[0], terms[-1])
    return Result(
        rows,
        notes=[
            "term invoicing baseline = one COPY of the invoice rows our run wrote (no reading,"
            " pricing, numbering, balances, discounts or audit)"
        ],
    )


#: 25,000 and 100,000 enrolments to invoice (issue 5's size), one run a side: about 2.5
#: minutes on a slow day of the project's machines (docs/benchmarks.md).
BENCHMARK = Benchmark(
    name="term",
    title="term invoicing (TermInvoicingService.run_term) against one COPY of its invoices",
    sizes=(25_000, 100_000),
    unit="enrolments to invoice",
    run=run_benchmark,
    order=20,
    repetitions=1,
)
