"""`rocket jobs nightly` and `rocket billing run-term` on Postgres, killed part way and run
again, leave the same database as one uninterrupted run.

A school big enough for many batches (one cohort or one family a batch: ROCKET_BATCH_SIZE=1)
is seeded once into a database of its own; two copies are made of it (CREATE DATABASE ...
TEMPLATE). On the first, the command runs as a subprocess (``python -m
rocket_entrypoints.cli --json ...``) and is killed with SIGKILL as soon as it prints its first
committed batch; the database then holds part of the work; the same command is run again to
the end. On the second, the command runs once, uninterrupted. Every row the jobs touch
(cohorts, enrolments, families, invoices, notifications, audit entries) must then be the
same in both, but for what a clock or a random id decides (times of day, fresh ids: an
invoice is compared by its number, a notification by its idempotency key).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from tests.unit.test_cli_jobs import DAY, FIRST, LAST, TODAY, School, seed

from rocket_adapters.sql import migrate

#: Columns a clock or a fresh random id decides: not compared.
CLOCKED = {"created_at", "occurred_at", "due_at", "sent_at", "claimed_until", "updated_at"}
#: Tables whose rows get a fresh id in each run (compared without it).
FRESH_IDS = {"invoices", "notifications", "audit_log"}
TABLES = ("cohorts", "enrolments", "families", "invoices", "notifications", "audit_log")


@pytest.fixture
def copies(postgres_server_url: str) -> Iterator[Callable[[Callable[[str], School]], tuple]]:
    """``make(seeding)``: seed a fresh database with ``seeding(url)``, then two copies of it;
    (school, first copy's URL, second copy's URL). Every database is dropped at the end."""
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    names: list[str] = []

    def url_of(name: str) -> str:
        parsed = sa.make_url(postgres_server_url).set(database=name)
        return parsed.render_as_string(hide_password=False)

    def create(template: str | None = None) -> str:
        name = f"rocket_kill_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            suffix = "" if template is None else f" TEMPLATE {template}"
            connection.exec_driver_sql(f"CREATE DATABASE {name}{suffix}")
        names.append(name)
        return name

    def make(seeding: Callable[[str], School]) -> tuple[School, str, str]:
        original = create()
        migrate.upgrade(url_of(original))
        school = seeding(url_of(original))  # disposes its connections
        return school, url_of(create(original)), url_of(create(original))

    try:
        yield make
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKET_")}
    return {**env, "ROCKET_DATABASE_URL": url, "ROCKET_BATCH_SIZE": "1"}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "rocket_entrypoints.cli", "--json", *args]


def run(url: str, *args: str) -> list[dict[str, Any]]:
    """Run the command to the end; its JSON lines."""
    done = subprocess.run(
        command(*args), env=environment(url), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def kill_after_the_first_batch(url: str, *args: str) -> dict[str, Any]:
    """Start the command, SIGKILL it as soon as it reports a committed batch; that line."""
    process = subprocess.Popen(
        command(*args),
        env=environment(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        while True:
            line = process.stdout.readline()
            assert line, "the command ended without reporting a batch"
            event = json.loads(line)
            if event["event"] == "batch":
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.wait(timeout=60)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    return event


def digest(url: str) -> dict[str, list[str]]:
    """Every row of TABLES, as the owner sees it (no row-level security), without the
    clocked columns; fresh ids replaced by what identifies the row across runs."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = {
                table: [
                    dict(row)
                    for row in connection.execute(sa.text(f"SELECT * FROM {table}")).mappings()
                ]
                for table in TABLES
            }
    finally:
        engine.dispose()
    stand_ins = {str(r["id"]): f"invoice {r['invoice_number']}" for r in rows["invoices"]}
    stand_ins |= {str(r["id"]): f"notification {r['dedupe_key']}" for r in rows["notifications"]}
    found: dict[str, list[str]] = {}
    for table, records in rows.items():
        lines = []
        for record in records:
            kept = {
                column: value
                for column, value in record.items()
                if column not in CLOCKED and not (column == "id" and table in FRESH_IDS)
            }
            text = json.dumps(kept, sort_keys=True, default=str)
            for fresh, stand_in in stand_ins.items():
                text = text.replace(fresh, stand_in)
            lines.append(text)
        found[table] = sorted(lines)
    return found


def count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_the_nightly_job_killed_after_its_first_batch_then_run_again_equals_one_run(
    copies: Callable[..., tuple[School, str, str]],
) -> None:
    school, killed, whole = copies(lambda url: seed(url, cohorts=50))
    nightly = ("jobs", "nightly", "--date", str(DAY))
    first = kill_after_the_first_batch(killed, *nightly)
    assert first["organisation_id"] == str(school.id)
    # One cohort a batch, by id: the first may be one that starts or the one that ends.
    begun = count(
        killed,
        f"SELECT count(*) FROM cohorts WHERE status = 'in_progress' AND id <> '{school.ended.id}'",
    )
    ended = count(
        killed,
        f"SELECT count(*) FROM cohorts WHERE status = 'completed' AND id = '{school.ended.id}'",
    )
    assert 1 <= begun + ended < len(school.cohorts), "the kill should land part way"
    halfway = digest(killed)

    events = run(killed, *nightly)
    (resumed,) = [e for e in events if e["event"] == "organisation"]
    assert resumed["cohorts_begun"] == len(school.starting) - begun
    (once,) = [e for e in run(whole, *nightly) if e["event"] == "organisation"]
    assert once["cohorts_begun"] == len(school.starting)
    assert once["batches"] == len(school.cohorts)
    found = digest(whole)
    assert len(found["audit_log"]) == once["changes"]  # one entry a change, all compared
    assert halfway != found  # the comparison sees a job half done
    assert digest(killed) == found


def test_term_invoicing_killed_after_its_first_batch_then_run_again_equals_one_run(
    copies: Callable[..., tuple[School, str, str]],
) -> None:
    school, killed, whole = copies(lambda url: seed(url, cohorts=30))
    term = (
        "billing",
        "run-term",
        "--first-day",
        str(FIRST),
        "--last-day",
        str(LAST),
        "--today",
        str(TODAY),
    )
    kill_after_the_first_batch(killed, *term)
    issued = count(killed, "SELECT count(*) FROM invoices")
    expected = 2 * len(school.starting)
    assert 1 <= issued < expected, "the kill should land part way"
    halfway = digest(killed)

    (resumed,) = [e for e in run(killed, *term) if e["event"] == "organisation"]
    assert resumed["invoices_issued"] == expected - issued
    assert resumed["already_invoiced"] == issued
    (once,) = [e for e in run(whole, *term) if e["event"] == "organisation"]
    assert once["invoices_issued"] == expected
    found = digest(whole)
    assert (len(found["invoices"]), len(found["notifications"])) == (expected, expected)
    assert halfway != found
    assert digest(killed) == found
    assert count(killed, "SELECT count(DISTINCT enrolment_id) FROM invoices") == expected
