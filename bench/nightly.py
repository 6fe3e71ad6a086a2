"""The nightly lifecycle on Postgres: our SQL adapter path against hand-written SQL.

A school of N enrolments (50 a cohort, N/50 cohorts) is seeded once with COPY into a template
database. Each repetition runs on a fresh copy of it (CREATE DATABASE ... TEMPLATE), so every
run, ours or the baseline, starts from the same rows, the same statistics and the same cache
conditions; the order alternates between repetitions. Both run as the application role
under row-level security (the production set-up). After every run a digest of the
enrolments, cohorts and audit entries is taken: ours and the baseline must agree exactly.

The calendar of the seeded school, by cohort number modulo 10, on the run's DAY:

    0     open or full, starting today: 45 enrolled, 3 pending payment, 2 enquiries
    1     in progress, ended yesterday: 46 active, 4 dropped
    2-4   in progress, running: 48 active, 2 dropped
    5-6   open, starting in a month: 40 enrolled, 5 pending payment, 5 enquiries
    7-9   completed last year: 48 completed, 2 dropped

so a run begins and completes a tenth of the cohorts each and moves about 18 % of the
enrolments (9 % start, 9 % complete), each with its audit entry.

Our run happens in a child process (``python -m bench.ours``), which reports its time and
its peak resident set (VmHWM) before and after the run; one more run per scale, under tracemalloc
(which slows Python down, so it is not timed), gives the peak of Python allocations.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import psycopg

from bench import postgres
from bench.runner import Benchmark, Log, Result, memory_rows, timed_row
from rocket_adapters.sql import migrate

DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 1, 13, 30, tzinfo=UTC)  # 00:30 in Melbourne on DAY
ENROLMENTS_PER_COHORT = 50
D = timedelta(days=1)

# -- seeding ---------------------------------------------------------------------------------


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


@attrs.frozen
class CohortPlan:
    status: str
    start: date
    end: date
    capacity: int
    members: tuple[tuple[str, int], ...]  # (status, how many), in order


def plan(number: int) -> CohortPlan:
    """What cohort ``number`` looks like on DAY (see the module docstring)."""
    group = number % 10
    if group == 0:
        full = number % 20 == 0
        return CohortPlan(
            "full" if full else "open",
            DAY,
            DAY + 70 * D,
            48 if full else 60,
            (("enrolled", 45), ("pending_payment", 3), ("enquiry", 2)),
        )
    if group == 1:
        return CohortPlan(
            "in_progress", DAY - 70 * D, DAY - D, 60, (("active", 46), ("dropped", 4))
        )
    if group <= 4:
        return CohortPlan(
            "in_progress", DAY - 30 * D, DAY + 40 * D, 60, (("active", 48), ("dropped", 2))
        )
    if group <= 6:
        return CohortPlan(
            "open",
            DAY + 30 * D,
            DAY + 100 * D,
            60,
            (("enrolled", 40), ("pending_payment", 5), ("enquiry", 5)),
        )
    return CohortPlan(
        "completed", DAY - 200 * D, DAY - 130 * D, 60, (("completed", 48), ("dropped", 2))
    )


SEAT_HOLDING = {"pending_payment", "enrolled", "active"}


def seed(url: str, enrolments: int) -> uuid.UUID:
    """Migrate and fill a fresh database with a school of ``enrolments`` enrolments; the
    organisation's id. Runs as the server's superuser (COPY, no row-level security)."""
    migrate.upgrade(url)
    cohorts = enrolments // ENROLMENTS_PER_COHORT
    students = max(ENROLMENTS_PER_COHORT, enrolments // 4)
    families = (students + 1) // 2
    org = uuid.uuid4()
    created = "2025-01-01 00:00:00+00"
    campus_ids = [uuid.uuid4() for _ in range(10)]
    program_ids = [uuid.uuid4() for _ in range(10)]
    family_ids = [uuid.uuid4() for _ in range(families)]
    student_ids = [uuid.uuid4() for _ in range(students)]
    cohort_ids = [uuid.uuid4() for _ in range(cohorts)]
    with psycopg.connect(postgres.libpq(url)) as connection, connection.cursor() as cursor:
        # Foreign keys are checked by triggers: the seed is consistent by construction.
        cursor.execute("SET session_replication_role = replica")
        _copy(
            cursor,
            "organisations",
            "id, name, settings, created_at, version",
            [_line(org, "Bench Academy", "{}", created, 1)],
        )
        _copy(
            cursor,
            "campuses",
            "id, organisation_id, name, closure_dates, created_at",
            (_line(c, org, f"Campus {n}", "[]", created) for n, c in enumerate(campus_ids)),
        )
        _copy(
            cursor,
            "programs",
            "id, organisation_id, name, created_at",
            (_line(p, org, f"Program {n}", created) for n, p in enumerate(program_ids)),
        )
        _copy(
            cursor,
            "families",
            "id, organisation_id, primary_contact_name, primary_contact_email, created_at",
            (
                _line(f, org, f"Parent {n}", f"parent{n}@bench.example", created)
                for n, f in enumerate(family_ids)
            ),
        )
        _copy(
            cursor,
            "students",
            "id, organisation_id, family_id, first_name, last_name, date_of_birth, created_at",
            (
                _line(s, org, family_ids[n // 2], f"Kid{n}", "Bench", "2016-05-01", created)
                for n, s in enumerate(student_ids)
            ),
        )

        def cohort_rows() -> Any:
            for n, cohort_id in enumerate(cohort_ids):
                p = plan(n)
                holders = sum(k for status, k in p.members if status in SEAT_HOLDING)
                yield _line(
                    cohort_id,
                    org,
                    program_ids[n % 10],
                    campus_ids[n % 10],
                    f"Cohort {n}",
                    p.start,
                    p.end,
                    p.capacity,
                    holders,
                    p.status,
                    created,
                )

        _copy(
            cursor,
            "cohorts",
            "id, organisation_id, program_id, campus_id, name, start_date, end_date,"
            " max_capacity, current_enrolments, status, created_at",
            cohort_rows(),
        )

        def enrolment_rows() -> Any:
            for n, cohort_id in enumerate(cohort_ids):
                p = plan(n)
                j = 0
                for status, count in p.members:
                    for _ in range(count):
                        student = student_ids[(n * ENROLMENTS_PER_COHORT + j) % students]
                        j += 1
                        start = end = withdrawn = reason = None
                        if status in ("active", "completed"):
                            start = p.start
                        if status == "completed":
                            end = p.end
                        if status == "dropped":
                            withdrawn, reason = p.start - 7 * D, "moved away"
                        yield _line(
                            uuid.uuid4(),
                            org,
                            student,
                            cohort_id,
                            status,
                            "2025-01-01 00:00:00+00",
                            start,
                            end,
                            withdrawn,
                            reason,
                            created,
                        )

        _copy(
            cursor,
            "enrolments",
            "id, organisation_id, student_id, cohort_id, status, enrolment_date, start_date,"
            " end_date, withdrawal_date, withdrawal_reason, created_at",
            enrolment_rows(),
        )
        connection.commit()
    with psycopg.connect(postgres.libpq(url), autocommit=True) as connection:
        connection.execute("VACUUM (FREEZE, ANALYZE)")
        connection.execute("CHECKPOINT")
    return org


# -- the hand-written baseline -----------------------------------------------------------------

_AUDIT = (
    "INSERT INTO audit_log (id, organisation_id, actor_staff_id, action, entity_type,"
    " entity_id, summary, changes, occurred_at)"
)

BASELINE: tuple[str, ...] = (
    # 1. cohorts begin on their start date (flagged when nobody holds a seat)
    f"""
    WITH changed AS (
        UPDATE cohorts c
        SET status = 'in_progress',
            attention = CASE WHEN c.current_enrolments = 0
                             THEN 'started with no enrolments' ELSE c.attention END,
            version = c.version + 1
        FROM cohorts o
        WHERE o.id = c.id AND o.organisation_id = %(org)s AND c.organisation_id = %(org)s
          AND o.status IN ('open', 'full') AND o.start_date <= %(day)s
        RETURNING c.id, o.status AS before, c.attention
    ), audited AS (
        {_AUDIT}
        SELECT gen_random_uuid(), %(org)s, NULL, 'cohort.begin', 'Cohort', id,
               'Nightly ' || %(day)s || ': the cohort reached its start date',
               jsonb_build_object('status', jsonb_build_array(before, 'in_progress'),
                                  'attention', attention),
               %(now)s
        FROM changed
    )
    SELECT count(*) FROM changed
    """,
    # 2. enrolled -> active with the cohort
    f"""
    WITH changed AS (
        UPDATE enrolments e
        SET status = 'active', start_date = COALESCE(e.start_date, c.start_date),
            version = e.version + 1
        FROM cohorts c
        WHERE e.organisation_id = %(org)s AND c.organisation_id = %(org)s
          AND c.id = e.cohort_id AND e.status = 'enrolled'
          AND c.status IN ('in_progress', 'completed') AND c.start_date <= %(day)s
          AND COALESCE(e.start_date, c.start_date) <= %(day)s
        RETURNING e.id, e.start_date
    ), audited AS (
        {_AUDIT}
        SELECT gen_random_uuid(), %(org)s, NULL, 'enrolment.start', 'Enrolment', id,
               'Nightly ' || %(day)s || ': started with its cohort',
               jsonb_build_object('status', jsonb_build_array('enrolled', 'active'),
                                  'start_date', start_date),
               %(now)s
        FROM changed
    )
    SELECT count(*) FROM changed
    """,
    # 3. active -> completed the day after the cohort's end; seats released
    f"""
    WITH changed AS (
        UPDATE enrolments e
        SET status = 'completed',
            end_date = CASE WHEN e.start_date > c.end_date THEN e.start_date
                            ELSE c.end_date END,
            version = e.version + 1
        FROM cohorts c
        WHERE e.organisation_id = %(org)s AND c.organisation_id = %(org)s
          AND c.id = e.cohort_id AND e.status = 'active'
          AND c.status IN ('in_progress', 'completed') AND c.end_date < %(day)s
        RETURNING e.id, e.cohort_id, e.end_date
    ), audited AS (
        {_AUDIT}
        SELECT gen_random_uuid(), %(org)s, NULL, 'enrolment.complete', 'Enrolment', id,
               'Nightly ' || %(day)s || ': completed after its cohort ended',
               jsonb_build_object('status', jsonb_build_array('active', 'completed'),
                                  'end_date', end_date),
               %(now)s
        FROM changed
    ), seats AS (
        UPDATE cohorts c
        SET current_enrolments = c.current_enrolments - n.count, version = c.version + 1
        FROM (SELECT cohort_id, count(*) FROM changed GROUP BY cohort_id) n
        WHERE c.organisation_id = %(org)s AND c.id = n.cohort_id
    )
    SELECT count(*) FROM changed
    """,
    # 4. cohorts complete the day after their end date
    f"""
    WITH changed AS (
        UPDATE cohorts c
        SET status = 'completed', version = c.version + 1
        WHERE c.organisation_id = %(org)s AND c.status = 'in_progress'
          AND c.end_date < %(day)s
        RETURNING c.id
    ), audited AS (
        {_AUDIT}
        SELECT gen_random_uuid(), %(org)s, NULL, 'cohort.complete', 'Cohort', id,
               'Nightly ' || %(day)s || ': the cohort is past its end date',
               jsonb_build_object('status', jsonb_build_array('in_progress', 'completed')),
               %(now)s
        FROM changed
    )
    SELECT count(*) FROM changed
    """,
)


def run_baseline(url: str, org: uuid.UUID) -> tuple[float, list[int]]:
    """The hand-written statements in one transaction as the application role; seconds."""
    params = {"org": org, "day": DAY.isoformat(), "now": NOW}
    with psycopg.connect(postgres.libpq(url)) as connection:
        connection.execute("SET ROLE rocket_app")
        connection.commit()
        started = time.perf_counter()
        connection.execute("SELECT set_config('rocket.organisation_id', %s, true)", (str(org),))
        counts = []
        for statement in BASELINE:
            row = connection.execute(statement, params).fetchone()
            assert row is not None
            counts.append(int(row[0]))
        connection.commit()
        return time.perf_counter() - started, counts


# -- ours, in a child process ----------------------------------------------------------------


@attrs.frozen
class OurRun:
    seconds: float
    counts: list[int]
    traced_peak: int  # bytes of Python allocations at the run's peak (tracemalloc; 0: off)
    rss_before: int  # kilobytes: the process's peak resident set (VmHWM) before the run
    rss_after: int  # kilobytes: the same after it
    batches: int


def run_ours(url: str, org: uuid.UUID, *, trace: bool = False) -> OurRun:
    """LifecycleService.run_nightly over the SQL adapter, in a fresh Python process (with
    tracemalloc when ``trace``)."""
    flags = ["trace"] if trace else []
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.ours",
            url,
            str(org),
            DAY.isoformat(),
            NOW.isoformat(),
            *flags,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return OurRun(**json.loads(out.stdout.strip().splitlines()[-1]))


# -- checking that both did the same ----------------------------------------------------------

DIGEST = """
SELECT 'enrolments', status::text,
       md5(string_agg(concat_ws('|', id, status, start_date, end_date, version), ','
                      ORDER BY id))
FROM enrolments GROUP BY status
UNION ALL
SELECT 'cohorts', status::text,
       md5(string_agg(concat_ws('|', id, status, attention, current_enrolments, version), ','
                      ORDER BY id))
FROM cohorts GROUP BY status
UNION ALL
SELECT 'audit', action || ' x' || count(*),
       md5(string_agg(concat_ws('|', entity_id, actor_staff_id, entity_type, summary,
                                changes::text, occurred_at), ',' ORDER BY entity_id))
FROM audit_log GROUP BY action
ORDER BY 1, 2
"""


def digest(url: str) -> list[tuple[str, str, str]]:
    """What the run left behind, row for row (as the superuser: every organisation)."""
    with psycopg.connect(postgres.libpq(url)) as connection:
        return [tuple(row) for row in connection.execute(DIGEST)]


# -- the benchmark ------------------------------------------------------------------------------


@attrs.frozen
class Scale:
    enrolments: int
    ours: list[OurRun]
    baseline: list[float]
    counts: list[int]
    traced: OurRun  # one more run of ours, under tracemalloc

    @property
    def ours_median(self) -> float:
        return statistics.median(r.seconds for r in self.ours)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)

    @property
    def traced_peak(self) -> int:
        return self.traced.traced_peak

    @property
    def rss_growth(self) -> int:
        """Kilobytes the process's peak resident set grew by during the run (worst run)."""
        return max(r.rss_after - r.rss_before for r in [*self.ours, self.traced])

    @property
    def rss_peak(self) -> int:
        """Kilobytes: the largest peak resident set of our runs' processes."""
        return max(r.rss_after for r in [*self.ours, self.traced])


def measure(enrolments: int, repetitions: int, log: Any) -> Scale:
    """Seed a template of ``enrolments`` enrolments and time both, ``repetitions`` times."""
    template = postgres.fresh_name("rocket_bench_tpl")
    url = postgres.create(template)
    try:
        started = time.perf_counter()
        org = seed(url, enrolments)
        log(f"  seeded {enrolments:,} enrolments in {time.perf_counter() - started:.1f}s")
        ours: list[OurRun] = []
        baseline: list[float] = []
        counts: list[int] = []
        expected: list[tuple[str, str, str]] | None = None
        traced: OurRun | None = None
        kinds = [
            *(
                ("ours", "baseline") if repetition % 2 == 0 else ("baseline", "ours")
                for repetition in range(repetitions)
            ),
            ("traced",),
        ]
        for kind in (kind for pair in kinds for kind in pair):
            with postgres.copy_of(template, "rocket_bench_run") as copy:
                if kind in ("ours", "traced"):
                    run = run_ours(copy, org, trace=kind == "traced")
                    got = run.counts
                    if kind == "ours":
                        ours.append(run)
                        log(f"  ours      {run.seconds:7.2f}s  {got}  {run.batches} batches")
                    else:
                        traced = run
                        log(
                            f"  traced    {run.seconds:7.2f}s  peak of Python allocations"
                            f" {run.traced_peak / 1e6:.2f} MB, max RSS"
                            f" {run.rss_before / 1024:.0f} -> {run.rss_after / 1024:.0f} MB"
                        )
                else:
                    seconds, got = run_baseline(copy, org)
                    baseline.append(seconds)
                    log(f"  baseline  {seconds:7.2f}s  {got}")
                found = digest(copy)
            if expected is None:
                expected, counts = found, got
            elif found != expected or got != counts:
                raise AssertionError(f"{kind} left a different school behind: {got}")
        assert traced is not None
        return Scale(
            enrolments=enrolments, ours=ours, baseline=baseline, counts=counts, traced=traced
        )
    finally:
        postgres.drop(template)


# -- for the runner (python -m bench) ------------------------------------------------------------


def run_benchmark(sizes: Sequence[int], repetitions: int, log: Log) -> Result:
    """Measure at each size (enrolments); the table's rows."""
    scales = []
    for enrolments in sorted(sizes):
        log(f"nightly lifecycle, {enrolments:,} enrolments:")
        scales.append(measure(enrolments, repetitions, log))
    rows = [
        timed_row(
            f"nightly lifecycle, {scale.enrolments:,} enrolments /"
            f" {scale.enrolments // ENROLMENTS_PER_COHORT:,} cohorts"
            f" ({sum(scale.counts):,} changes, median of {len(scale.ours)})",
            scale.ours_median,
            scale.baseline_median,
            1.5,
        )
        for scale in scales
    ]
    if scales:
        rows += memory_rows("our run", scales[0], scales[-1])
    return Result(
        rows,
        notes=[
            "nightly baseline = hand-written SQL doing the same updates and audit rows in one"
            " transaction"
        ],
    )


#: 250,000 and 1,000,000 enrolments (issue 4's size), one run a side and one traced run per
#: size: about 2.5 minutes on a slow day of the project's machines (docs/benchmarks.md).
BENCHMARK = Benchmark(
    name="nightly",
    title="the nightly lifecycle (LifecycleService.run_nightly) against hand-written SQL",
    sizes=(250_000, 1_000_000),
    unit="enrolments",
    run=run_benchmark,
    order=10,
    repetitions=1,
)
