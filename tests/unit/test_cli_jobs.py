"""`rocket jobs nightly` on SQLite through Typer's runner, and what every command shares: the
root options (--json, --debug, --version), one-line errors, the exit codes, --help with an
example, Ctrl-C and SIGTERM.

The schools here (``seed``) are written straight into a migrated SQLite file; the helpers are
shared by the other CLI test modules.
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.contracts import factories as f
from tests.contracts.repository_contract import save
from typer.testing import CliRunner, Result

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database, migrate
from rocket_adapters.sql.lifecycle import SqlLifecycleRepository
from rocket_core import model as m
from rocket_core.errors import Conflict
from rocket_core.services.lifecycle import LifecycleService
from rocket_entrypoints.cli import common
from rocket_entrypoints.cli.app import app
from rocket_entrypoints.container import Container
from rocket_entrypoints.settings import Settings

#: The first day of the term's classes: the starting cohorts begin on it.
DAY = date(2026, 2, 2)
#: Term invoicing: the term, and the day the invoices are issued.
FIRST, LAST, TODAY = date(2026, 1, 5), date(2026, 3, 31), date(2026, 1, 19)
PRICE = Decimal("320.00")


# -- shared by the CLI tests ------------------------------------------------------------------


def rocket(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``rocket ARGS`` in this process (Typer's runner)."""
    return CliRunner().invoke(app, list(args), env=env)


def one_line_error(result: Result, code: int, says: str) -> str:
    """Assert the run failed with ``code`` and exactly one ``rocket: ...`` line on stderr
    that contains ``says``, and no traceback; the line."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rocket: "), lines
    assert says in lines[0], lines[0]
    return lines[0]


def json_lines(result: Result) -> list[dict[str, Any]]:
    """Every line of stdout, each a JSON object."""
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file that ROCKET_DATABASE_URL names, and no other ROCKET_* setting
    that the commands read; its URL (each CLI test module's ``db_url`` fixture)."""
    url = f"sqlite:///{tmp_path / 'rocket.db'}"
    monkeypatch.setenv("ROCKET_DATABASE_URL", url)
    for variable in list(os.environ):
        if variable.startswith("ROCKET_") and variable != "ROCKET_DATABASE_URL":
            monkeypatch.delenv(variable)
    migrate.upgrade(url)
    return url


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return migrated(tmp_path, monkeypatch)


@attrs.define
class School:
    """One organisation: ``starting`` cohorts beginning on DAY with two enrolled children
    each (one family a child; invoiced by a term run), and one cohort that ``ended`` the day
    before DAY with an active child."""

    organisation: m.Organisation
    campus: m.Campus
    staff: m.Staff
    starting: list[m.Cohort]
    ended: m.Cohort
    families: list[m.Family]
    students: list[m.Student]
    enrolments: list[m.Enrolment]

    @property
    def id(self) -> UUID:
        return self.organisation.id

    @property
    def cohorts(self) -> list[m.Cohort]:
        return [*self.starting, self.ended]


def seed(url: str, *, cohorts: int = 3, timezone: str = "Australia/Melbourne") -> School:
    """A school (see ``School``) written into the database at ``url``."""
    database = Database(url)  # maps the entity classes before any entity is made
    organisation = f.organisation()
    campus = f.campus(organisation.id, timezone=timezone)
    admin = f.staff(organisation.id, role=m.StaffRole.SUPER_ADMIN)
    program = f.program(organisation.id)
    starting = [
        f.cohort(
            program,
            campus,
            start_date=DAY,
            end_date=DAY + timedelta(weeks=3),
            current_enrolments=2,
            tuition_price=PRICE,
        )
        for _ in range(cohorts)
    ]
    ended = f.cohort(
        program,
        campus,
        start_date=DAY - timedelta(weeks=4),
        end_date=DAY - timedelta(days=1),
        status=m.CohortStatus.IN_PROGRESS,
        current_enrolments=1,
    )
    families: list[m.Family] = []
    students: list[m.Student] = []
    enrolments: list[m.Enrolment] = []
    for cohort in starting:
        for _ in range(2):
            home = f.family(organisation.id, account_balance=Decimal("0.00"))
            child = f.student(home)
            families.append(home)
            students.append(child)
            enrolments.append(f.enrolment(child, cohort, status=m.EnrolmentStatus.ENROLLED))
    home = f.family(organisation.id, account_balance=Decimal("0.00"))
    child = f.student(home)
    families.append(home)
    students.append(child)
    enrolments.append(
        f.enrolment(child, ended, status=m.EnrolmentStatus.ACTIVE, start_date=ended.start_date)
    )
    try:
        save(
            database.unit_of_work,
            organisation,
            campus,
            admin,
            program,
            *starting,
            ended,
            *families,
            *students,
            *enrolments,
        )
    finally:
        database.dispose()
    return School(organisation, campus, admin, starting, ended, families, students, enrolments)


def statuses(url: str, school: School) -> dict[UUID, str]:
    """Every cohort's and enrolment's status, by id."""
    database = Database(url)
    try:
        with database.unit_of_work(school.id) as uow:
            found = {
                c.id: c.status.value for c in uow.cohorts.find_many([c.id for c in school.cohorts])
            }
            found |= {
                e.id: e.status.value
                for e in uow.enrolments.find_many([e.id for e in school.enrolments])
            }
            return found
    finally:
        database.dispose()


def after_the_night(school: School) -> dict[UUID, str]:
    """What ``statuses`` gives once the nightly job has run for DAY."""
    found = {cohort.id: "in_progress" for cohort in school.starting}
    found[school.ended.id] = "completed"
    for enrolment in school.enrolments:
        found[enrolment.id] = "completed" if enrolment.cohort_id == school.ended.id else "active"
    return found


def before_the_night(school: School) -> dict[UUID, str]:
    found = {cohort.id: cohort.status.value for cohort in school.cohorts}
    found |= {enrolment.id: enrolment.status.value for enrolment in school.enrolments}
    return found


# -- the root: help, version, exit codes, errors ----------------------------------------------

COMMANDS = [
    ["jobs", "nightly"],
    ["billing", "run-term"],
    ["notifications", "dispatch"],
    ["export", "family"],
    ["export", "report"],
    ["doctor"],
    ["db", "upgrade"],
    ["demo"],
    ["serve"],
    ["staff", "create-admin"],
]


def test_the_root_help_lists_the_commands_the_options_and_the_exit_codes(db_url: str) -> None:
    result = rocket("--help")
    assert result.exit_code == 0, result.output
    for word in ("jobs", "billing", "notifications", "export", "doctor", "--json", "--debug"):
        assert word in result.stdout
    text = " ".join(result.stdout.split())
    for code in ("0 done", "1 a check", "2 bad option", "3 a job failed", "70 unexpected", "130"):
        assert code in text, code


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself_with_an_example(db_url: str, command: list[str]) -> None:
    result = rocket(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example: rocket " in " ".join(result.stdout.split())


def test_the_version(db_url: str) -> None:
    result = rocket("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("rocket ")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["jobs", "nightly", "--date", "2026-02-30"], "--date"),
        (["jobs", "nightly", "--organisation-id", "nope"], "is not a UUID"),
        (["jobs", "nightly", "--batch-size", "0"], "--batch-size"),
        (["jobs", "nightly", "--nope"], "No such option"),
        (["jobs", "nightly", "--organisation-id", str(UUID(int=7))], "not found"),
        (["nope"], "No such command"),
    ],
)
def test_a_bad_option_is_one_line_on_stderr_and_exit_code_2(
    db_url: str, args: list[str], says: str
) -> None:
    one_line_error(rocket(*args), 2, says)


def test_an_unexpected_error_is_one_line_and_exit_code_70_and_debug_shows_where(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the flux capacitor")

    monkeypatch.setattr(LifecycleService, "run_nightly", broken)
    line = one_line_error(rocket("jobs", "nightly", "--date", str(DAY)), 70, "RuntimeError")
    assert "the flux capacitor" in line
    debug = rocket("--debug", "jobs", "nightly", "--date", str(DAY))
    assert debug.exit_code == 70
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("rocket: unexpected error")


def test_a_domain_error_shows_its_traceback_with_debug_only(db_url: str) -> None:
    unknown = str(UUID(int=9))
    quiet = rocket("jobs", "nightly", "--organisation-id", unknown)
    one_line_error(quiet, 2, f"Organisation {unknown} not found")
    loud = rocket("--debug", "jobs", "nightly", "--organisation-id", unknown)
    assert loud.exit_code == 2
    assert "Traceback" in loud.stderr
    assert "NotFound" in loud.stderr


def test_sigterm_stops_a_job_as_ctrl_c_does_and_the_handler_is_put_back() -> None:
    before = signal.getsignal(signal.SIGTERM)

    def terminated() -> None:
        with common.stoppable():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts this at once
        pytest.fail("SIGTERM did not stop the block")

    with pytest.raises(KeyboardInterrupt):
        terminated()
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_default_day_is_the_earliest_local_date_among_the_campuses(tmp_path: Path) -> None:
    container = Container()
    container.settings.override(Settings(database_url="memory://"))
    # 01:30 on 2 February in Melbourne, 22:30 on 1 February in Perth
    container.clock.override(FixedClock(datetime(2026, 2, 1, 14, 30, tzinfo=UTC)))
    organisation = f.organisation()
    save(
        container.make_uow(),
        organisation,
        f.campus(organisation.id, timezone="Australia/Melbourne"),
    )
    assert common.local_day(container, organisation.id) == date(2026, 2, 2)
    save(container.make_uow(), f.campus(organisation.id, timezone="Australia/Perth"))
    assert common.local_day(container, organisation.id) == date(2026, 2, 1)
    bare = f.organisation()
    save(container.make_uow(), bare)
    assert common.local_day(container, bare.id) == date(2026, 2, 2)  # Melbourne


# -- rocket jobs nightly ----------------------------------------------------------------------


def test_nightly_runs_in_every_organisation_and_a_second_run_changes_nothing(
    db_url: str,
) -> None:
    first, second = seed(db_url), seed(db_url, cohorts=1)
    result = rocket("jobs", "nightly", "--date", str(DAY))
    assert result.exit_code == 0, result.output
    assert statuses(db_url, first) == after_the_night(first)
    assert statuses(db_url, second) == after_the_night(second)
    assert "Nightly job for 2026-02-02" in result.stdout
    assert "nightly: 2 organisation(s)" in result.stdout

    again = rocket("--json", "jobs", "nightly", "--date", str(DAY))
    assert again.exit_code == 0, again.output
    events = json_lines(again)
    assert events[-1] == {
        "event": "done",
        "job": "nightly",
        "organisations": 2,
        "failed": 0,
        "batches": 2,
        "changes": 0,
    }
    assert statuses(db_url, first) == after_the_night(first)


def test_nightly_json_streams_a_line_per_committed_batch(
    db_url: str,
) -> None:
    school = seed(db_url, cohorts=3)
    result = rocket("--json", "jobs", "nightly", "--date", str(DAY), "--batch-size", "1")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    batches = [e for e in events if e["event"] == "batch"]
    assert [e["batch"] for e in batches] == [1, 2, 3, 4]  # one cohort a batch
    assert {e["organisation_id"] for e in batches} == {str(school.id)}
    (done,) = [e for e in events if e["event"] == "organisation"]
    assert done["organisation_id"] == str(school.id)
    assert done["day"] == str(DAY)
    assert done["batches"] == 4
    assert done["cohorts_begun"] == 3
    assert done["enrolments_started"] == 6
    assert done["enrolments_completed"] == 1
    assert done["cohorts_completed"] == 1
    assert done["changes"] == 11
    assert events[-1]["event"] == "done"
    assert result.stderr == ""


def test_the_batch_size_also_comes_from_rocket_batch_size(db_url: str) -> None:
    seed(db_url, cohorts=2)
    result = rocket("--json", "jobs", "nightly", "--date", str(DAY), env={"ROCKET_BATCH_SIZE": "2"})
    assert result.exit_code == 0, result.output
    assert [e["batch"] for e in json_lines(result) if e["event"] == "batch"] == [1, 2]


def test_nightly_for_one_organisation_leaves_the_others_alone(db_url: str) -> None:
    first, second = seed(db_url), seed(db_url)
    result = rocket("jobs", "nightly", "--date", str(DAY), "--organisation-id", str(first.id))
    assert result.exit_code == 0, result.output
    assert statuses(db_url, first) == after_the_night(first)
    assert statuses(db_url, second) == before_the_night(second)


def test_nightly_interrupted_says_how_far_it_got_and_running_it_again_finishes(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    school = seed(db_url, cohorts=3)
    real = SqlLifecycleRepository.begin_cohorts
    calls = []

    def begin_then_ctrl_c(self: SqlLifecycleRepository, *args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SqlLifecycleRepository, "begin_cohorts", begin_then_ctrl_c)
    result = rocket("--json", "jobs", "nightly", "--date", str(DAY), "--batch-size", "1")
    one_line_error(result, 130, "interrupted after 2 batches: run the same command again to finish")
    assert [e["batch"] for e in json_lines(result) if e["event"] == "batch"] == [1, 2]
    halfway = statuses(db_url, school)
    assert halfway != after_the_night(school)
    assert halfway != before_the_night(school)

    monkeypatch.setattr(SqlLifecycleRepository, "begin_cohorts", real)
    again = rocket("jobs", "nightly", "--date", str(DAY), "--batch-size", "1")
    assert again.exit_code == 0, again.output
    assert statuses(db_url, school) == after_the_night(school)


def test_a_failure_in_one_organisation_is_named_and_the_others_still_run(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing, fine = seed(db_url), seed(db_url)
    real = LifecycleService.run_nightly

    def refuse_one(self: LifecycleService, organisation_id: UUID, *args: Any) -> Any:
        if organisation_id == failing.id:
            raise Conflict("the cohort was changed meanwhile")
        return real(self, organisation_id, *args)

    monkeypatch.setattr(LifecycleService, "run_nightly", refuse_one)
    result = rocket("jobs", "nightly", "--date", str(DAY))
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"rocket: organisation {failing.id}: the cohort was changed meanwhile",
        "rocket: the nightly job failed in 1 of 2 organisations: run it again",
    ]
    assert statuses(db_url, fine) == after_the_night(fine)
    assert statuses(db_url, failing) == before_the_night(failing)


def test_nightly_without_organisations_does_nothing(db_url: str) -> None:
    result = rocket("--json", "jobs", "nightly")
    assert result.exit_code == 0, result.output
    assert json_lines(result) == [
        {
            "event": "done",
            "job": "nightly",
            "organisations": 0,
            "failed": 0,
            "batches": 0,
            "changes": 0,
        }
    ]


def test_an_unmigrated_database_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    one_line_error(rocket("jobs", "nightly", env={"ROCKET_DATABASE_URL": url}), 2, "database")


def test_an_unknown_organisation_id_given_is_refused(db_url: str) -> None:
    seed(db_url)
    one_line_error(rocket("jobs", "nightly", "--organisation-id", str(uuid4())), 2, "not found")
