"""`rocket export family` and `rocket export report` on SQLite through Typer's runner."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest
from tests.contracts import factories as f
from tests.contracts.repository_contract import save
from tests.unit.test_cli_jobs import json_lines, migrated, one_line_error, rocket, seed

from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.services.export import EXPORT_FORMAT, SECTIONS
from rocket_core.services.reports import ENROLMENT_COLUMNS


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return migrated(tmp_path, monkeypatch)


@pytest.fixture
def school(db_url: str) -> f.School:
    """The contract's school (a family with a record of every kind) in the database."""
    database = Database(db_url)
    try:
        made = f.school()
        save(database.unit_of_work, *made.entities())
    finally:
        database.dispose()
    return made


# -- rocket export family ---------------------------------------------------------------------


def test_the_family_export_is_json_of_every_record_and_is_audited(
    db_url: str, school: f.School
) -> None:
    seed(db_url)  # another organisation, looked through
    result = rocket("export", "family", str(school.family.id))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format"] == EXPORT_FORMAT
    assert document["organisation_id"] == str(school.organisation.id)
    assert document["family"]["primary_contact_email"] == school.family.primary_contact_email
    counts = {name: len(document[name]) for name in SECTIONS}
    assert counts == {
        "students": 2,
        "enrolments": 3,
        "attendance": 1,
        "skill_progress": 1,
        "projects": 1,
        "makeup_tokens": 2,
        "invoices": 1,
        "payments": 1,
        "payment_allocations": 1,
        "refunds": 1,
        "credit_notes": 1,
        "messages": 1,
        "notifications": 1,
    }
    assert document["invoices"][0]["total_amount"] == str(school.invoice.total_amount)
    database = Database(db_url)
    try:
        with database.unit_of_work(school.organisation.id) as uow:
            actions = [e.action for e in uow.audit.list_for_entity(school.family.id)]
    finally:
        database.dispose()
    assert actions == ["family.export"]


def test_the_family_export_into_a_file_only_its_owner_reads(
    db_url: str, school: f.School, tmp_path: Path
) -> None:
    target = tmp_path / "family.json"
    result = rocket(
        "export",
        "family",
        str(school.family.id),
        "--organisation-id",
        str(school.organisation.id),
        "-o",
        str(target),
    )
    assert result.exit_code == 0, result.output
    assert f"records written to {target}" in result.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["family_id"] == str(school.family.id)
    quiet = rocket("--json", "export", "family", str(school.family.id), "-o", str(target))
    assert json_lines(quiet) == [
        {"event": "done", "path": str(target), "family_id": str(school.family.id), "records": 17}
    ]


def test_an_unknown_family_or_a_wrong_organisation_is_one_line(
    db_url: str, school: f.School, tmp_path: Path
) -> None:
    one_line_error(rocket("export", "family", str(m.new_id())), 2, "not found")
    other = seed(db_url)
    one_line_error(
        rocket("export", "family", str(school.family.id), "--organisation-id", str(other.id)),
        2,
        f"Family {school.family.id} not found",
    )
    one_line_error(rocket("export", "family", "42"), 2, "is not a UUID")
    one_line_error(
        rocket("export", "family", str(school.family.id), "-o", str(tmp_path / "no" / "x.json")),
        2,
        "cannot write",
    )


# -- rocket export report ---------------------------------------------------------------------

PERIOD = ["--from", "2026-01-01", "--to", "2026-03-31"]


def test_the_enrolment_report_is_csv_with_a_header(db_url: str) -> None:
    school = seed(db_url)
    result = rocket("export", "report", "enrolments", "--by", school.staff.email, *PERIOD)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == ENROLMENT_COLUMNS
    found = {row[0]: row for row in rows[1:]}
    assert set(found) == {str(e.id) for e in school.enrolments}
    some = school.enrolments[0]
    assert found[str(some.id)][1] == "enrolled"
    assert found[str(some.id)][3] == "false"  # is_trial


def test_a_report_as_json(db_url: str) -> None:
    school = seed(db_url)
    by = ["--by", school.staff.email, *PERIOD]
    for result in (
        rocket("--json", "export", "report", "attendance", *by),
        rocket("export", "report", "attendance", "--format", "json", *by),
    ):
        assert result.exit_code == 0, result.output
        (document,) = json_lines(result)
        assert document["report"] == "attendance"
        assert (document["first_day"], document["last_day"]) == ("2026-01-01", "2026-03-31")
        assert document["columns"][0] == "session_date"
        assert document["rows"] == []


def test_reports_follow_the_permissions_of_the_staff_member_named(db_url: str) -> None:
    school = seed(db_url)
    teacher = f.staff(school.id)  # a lead instructor: no financial reports
    database = Database(db_url)
    try:
        save(database.unit_of_work, teacher)
    finally:
        database.dispose()
    one_line_error(rocket("export", "report", "revenue", "--by", teacher.email, *PERIOD), 2, "may")
    one_line_error(
        rocket("export", "report", "revenue", "--by", "nobody@nowhere.example"),
        2,
        "no staff member with the e-mail nobody@nowhere.example",
    )
    one_line_error(rocket("export", "report", "profits", "--by", school.staff.email), 2, "profits")
