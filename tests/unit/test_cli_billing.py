"""`rocket billing run-term` on SQLite through Typer's runner: the term's invoices in every
organisation, nothing twice, batches as JSON lines or a progress bar, Ctrl-C and a re-run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from tests.unit.test_cli_jobs import (
    FIRST,
    LAST,
    PRICE,
    TODAY,
    School,
    json_lines,
    migrated,
    one_line_error,
    rocket,
    seed,
)

from rocket_adapters.sql import Database
from rocket_adapters.sql.term_invoicing import SqlTermInvoicingRepository
from rocket_core import model as m
from rocket_core.errors import Conflict
from rocket_core.services.term_invoicing import TermInvoicingService


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return migrated(tmp_path, monkeypatch)


TERM = ["billing", "run-term", "--first-day", str(FIRST), "--last-day", str(LAST)]


def invoices(url: str, school: School) -> dict[UUID, list[m.Invoice]]:
    """The invoices of each of the school's enrolments."""
    database = Database(url)
    try:
        with database.unit_of_work(school.id) as uow:
            return {e.id: uow.invoices.list_for_enrolment(e.id) for e in school.enrolments}
    finally:
        database.dispose()


def invoiced_once(url: str, school: School) -> bool:
    """Every enrolment of a starting cohort has one invoice; the ended one none."""
    found = invoices(url, school)
    starting = {cohort.id for cohort in school.starting}
    return all(len(found[e.id]) == (1 if e.cohort_id in starting else 0) for e in school.enrolments)


def test_run_term_invoices_every_organisation_once_and_a_second_run_issues_nothing(
    db_url: str,
) -> None:
    first, second = seed(db_url, cohorts=2), seed(db_url, cohorts=1)
    result = rocket(*TERM, "--today", str(TODAY))
    assert result.exit_code == 0, result.output
    assert invoiced_once(db_url, first)
    assert invoiced_once(db_url, second)
    issued = [i for found in invoices(db_url, first).values() for i in found]
    assert {i.total_amount for i in issued} == {PRICE}  # one child a family: no discount
    assert {i.issue_date for i in issued} == {TODAY}
    assert {i.status for i in issued} == {m.InvoiceStatus.SENT}
    assert "Term 2026-01-05 to 2026-03-31" in result.stdout
    assert "run-term: 2 organisation(s), 6 invoice(s) issued" in result.stdout

    again = rocket("--json", *TERM, "--today", str(TODAY))
    assert again.exit_code == 0, again.output
    assert json_lines(again)[-1] == {
        "event": "done",
        "job": "run-term",
        "organisations": 2,
        "failed": 0,
        "batches": 2,
        "invoices_issued": 0,
    }
    assert invoiced_once(db_url, first)


def test_each_family_is_told_through_the_outbox(db_url: str) -> None:
    school = seed(db_url, cohorts=1)
    assert rocket(*TERM, "--today", str(TODAY)).exit_code == 0
    database = Database(db_url)
    try:
        with database.unit_of_work(school.id) as uow:
            kinds = {
                n.template_name
                for family in school.families[:2]
                for n in uow.notifications.list_for_family(family.id)
            }
    finally:
        database.dispose()
    assert kinds == {"invoice_issued"}


def test_run_term_streams_a_json_line_per_committed_batch(db_url: str) -> None:
    school = seed(db_url, cohorts=3)  # six families to invoice, and one with nothing due
    result = rocket("--json", *TERM, "--today", str(TODAY), "--batch-size", "2")
    assert result.exit_code == 0, result.output
    events = json_lines(result)
    batches = [e for e in events if e["event"] == "batch"]
    assert [e["batches"] for e in batches] == [1, 2, 3, 4]
    # running totals, two families a batch (by id: the family with nothing due is one)
    issued = [e["invoices_issued"] for e in batches]
    assert issued[-1] == 6
    assert all(
        0 <= later - earlier <= 2 for earlier, later in zip([0, *issued[:-1]], issued, strict=True)
    )
    assert batches[-1]["amount_invoiced"] == str(PRICE * 6)
    (done,) = [e for e in events if e["event"] == "organisation"]
    assert done["organisation_id"] == str(school.id)
    assert done["invoices_issued"] == 6
    assert done["families_charged"] == 6
    assert result.stderr == ""


def test_without_json_a_progress_bar_goes_to_stderr(db_url: str) -> None:
    seed(db_url, cohorts=1)
    result = rocket(*TERM, "--today", str(TODAY))
    assert result.exit_code == 0, result.output
    assert "invoices, 640.00" in result.stderr  # the bar's last status
    assert "invoices issued" in result.stdout


def test_run_term_for_one_organisation_leaves_the_others_alone(db_url: str) -> None:
    first, second = seed(db_url, cohorts=1), seed(db_url, cohorts=1)
    result = rocket(*TERM, "--today", str(TODAY), "--organisation-id", str(first.id))
    assert result.exit_code == 0, result.output
    assert invoiced_once(db_url, first)
    assert all(found == [] for found in invoices(db_url, second).values())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["billing", "run-term", "--last-day", str(LAST)], "--first-day"),
        ([*TERM[:3], "2026-01-05", "--last-day", "2026-01-04"], "is before --first-day"),
        ([*TERM, "--today", "19/01/2026"], "--today"),
        ([*TERM, "--batch-size", "-1"], "--batch-size"),
    ],
)
def test_bad_options_are_one_line_and_exit_code_2(db_url: str, args: list[str], says: str) -> None:
    seed(db_url, cohorts=1)
    one_line_error(rocket(*args), 2, says)


def test_run_term_interrupted_says_how_far_it_got_and_running_it_again_finishes(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    school = seed(db_url, cohorts=3)
    real = SqlTermInvoicingRepository.issue
    calls = []

    def issue_then_ctrl_c(self: SqlTermInvoicingRepository, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SqlTermInvoicingRepository, "issue", issue_then_ctrl_c)
    result = rocket("--json", *TERM, "--today", str(TODAY), "--batch-size", "2")
    one_line_error(result, 130, "interrupted after 1 batch: run the same command again to finish")
    (first,) = [e for e in json_lines(result) if e["event"] == "batch"]
    halfway = invoices(db_url, school)
    assert sum(len(found) for found in halfway.values()) == first["invoices_issued"] > 0

    monkeypatch.setattr(SqlTermInvoicingRepository, "issue", real)
    again = rocket("--json", *TERM, "--today", str(TODAY), "--batch-size", "2")
    assert again.exit_code == 0, again.output
    assert json_lines(again)[-1]["invoices_issued"] == 6 - first["invoices_issued"]
    assert invoiced_once(db_url, school)
    finished = invoices(db_url, school)
    for enrolment_id, found in halfway.items():  # the first batch's invoices are kept
        assert [i.id for i in found] == [i.id for i in finished[enrolment_id]][: len(found)]
    numbers = sorted(i.invoice_number for found in finished.values() for i in found)
    assert len(set(numbers)) == 6


def test_a_failure_in_one_organisation_is_named_and_exit_code_3(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing, fine = seed(db_url, cohorts=1), seed(db_url, cohorts=1)
    real = TermInvoicingService.run_term

    def refuse_one(self: TermInvoicingService, organisation_id: UUID, **kwargs: Any) -> Any:
        if organisation_id == failing.id:
            raise Conflict("another term run holds the lock")
        return real(self, organisation_id, **kwargs)

    monkeypatch.setattr(TermInvoicingService, "run_term", refuse_one)
    result = rocket(*TERM, "--today", str(TODAY))
    assert result.exit_code == 3, result.output
    assert f"rocket: organisation {failing.id}: another term run holds the lock" in result.stderr
    assert "term invoicing failed in 1 of 2 organisations" in result.stderr
    assert invoiced_once(db_url, fine)
    assert all(found == [] for found in invoices(db_url, failing).values())


def test_an_unpriced_enrolment_is_skipped_and_counted(db_url: str) -> None:
    school = seed(db_url, cohorts=1)
    database = Database(db_url)
    try:
        with database.unit_of_work(school.id) as uow:
            cohort = uow.cohorts.get(school.starting[0].id)
            cohort.update(tuition_price=None)
            program = uow.programs.get(cohort.program_id)
            program.update(default_price=None)
            uow.commit()
    finally:
        database.dispose()
    result = rocket("--json", *TERM, "--today", str(TODAY))
    assert result.exit_code == 0, result.output
    (done,) = [e for e in json_lines(result) if e["event"] == "organisation"]
    assert (done["invoices_issued"], done["unpriced"]) == (0, 2)
    assert done["amount_invoiced"] == str(Decimal("0.00"))
