"""The permission matrix equals product-rules.md, and authorise applies its scopes."""

from __future__ import annotations

from uuid import uuid4

import pytest

from rocket_core.errors import Forbidden
from rocket_core.model import StaffRole
from rocket_core.permissions import MATRIX, Action, Actor, Scope, authorise

# product-rules.md "Staff permissions", copied cell by cell (SA | CM | LI | TA | FD); its
# last row "audit log, data export" is two actions here (SA yes; CM no / "export: campus").
TABLE = """
create / approve enrolment | yes | campus | no | no | campus
withdraw student | yes | campus | no | no | needs approval
transfer between cohorts | yes | campus | no | no | no
view invoices | all | campus | no | no | one family at a time
record payments | yes | campus | no | no | campus
refund | yes | up to $500 | no | no | needs approval
financial reports | all | campus | no | no | no
create cohorts, assign instructors | yes | campus | no | no | no
cancel sessions | yes | campus | own, emergency | no | no
view roster | yes | campus | own | own | campus
take attendance | yes | campus | own | own (approved by the lead) | no
excuse absences, issue makeup tokens | yes | campus | own | no | no
update skill progress, grade projects, learning notes | yes | campus | own | no | no
view skill progress | yes | campus | own | own | no
message parents | yes | campus | own cohorts | with approval | yes
bulk announcements | yes | campus | no | no | no
manage staff accounts | yes | no | no | no | no
settings | yes | campus settings | no | no | no
audit log | yes | no | no | no | no
data export | yes | export: campus | no | no | no
"""

CELL_SCOPE = {
    "yes": Scope.ALL,
    "all": Scope.ALL,
    "campus": Scope.CAMPUS,
    "up to $500": Scope.CAMPUS,
    "campus settings": Scope.CAMPUS,
    "export: campus": Scope.CAMPUS,
    "own": Scope.OWN,
    "own, emergency": Scope.OWN,
    "own cohorts": Scope.OWN,
    "own (approved by the lead)": Scope.OWN,
    "one family at a time": Scope.ONE_FAMILY,
    "needs approval": Scope.APPROVAL,
    "with approval": Scope.APPROVAL,
    "no": Scope.NONE,
}
ROLES = [
    StaffRole.SUPER_ADMIN,
    StaffRole.CAMPUS_MANAGER,
    StaffRole.LEAD_INSTRUCTOR,
    StaffRole.TEACHING_ASSISTANT,
    StaffRole.FRONT_DESK,
]
CONDITIONED = {"up to $500", "own, emergency", "own (approved by the lead)", "campus settings"}


def table_rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in TABLE.strip().splitlines():
        action, *cells = (cell.strip() for cell in line.split("|"))
        rows.append((action, cells))
    return rows


def test_the_matrix_has_exactly_the_rules_actions() -> None:
    assert {action for action, _ in table_rows()} == {a.value for a in Action}
    assert set(MATRIX) == set(Action)


@pytest.mark.parametrize(("action", "cells"), table_rows(), ids=[a for a, _ in table_rows()])
def test_each_cell_matches_the_rules(action: str, cells: list[str]) -> None:
    row = MATRIX[Action(action)]
    assert set(row) == set(StaffRole)
    for role, cell in zip(ROLES, cells, strict=True):
        grant = row[role]
        assert grant.scope is CELL_SCOPE[cell], (role, cell)
        assert (grant.condition is not None) == (cell in CONDITIONED), (role, cell)


def actor(role: StaffRole, **scopes: frozenset[object]) -> Actor:
    return Actor(staff_id=uuid4(), organisation_id=ORG, role=role, **scopes)  # type: ignore[arg-type]


ORG = uuid4()
CAMPUS, OTHER_CAMPUS, COHORT, OTHER_COHORT = uuid4(), uuid4(), uuid4(), uuid4()


def test_all_scope_covers_anything() -> None:
    admin = actor(StaffRole.SUPER_ADMIN)
    assert authorise(admin, Action.MANAGE_STAFF).scope is Scope.ALL
    assert authorise(admin, Action.MANAGE_COHORTS, campus_id=OTHER_CAMPUS).scope is Scope.ALL


def test_campus_scope_covers_assigned_campuses_only() -> None:
    manager = actor(StaffRole.CAMPUS_MANAGER, campus_ids=frozenset({CAMPUS}))
    authorise(manager, Action.MANAGE_COHORTS, campus_id=CAMPUS)
    with pytest.raises(Forbidden, match="only at the campuses they are assigned to"):
        authorise(manager, Action.MANAGE_COHORTS, campus_id=OTHER_CAMPUS)
    with pytest.raises(Forbidden):
        authorise(manager, Action.MANAGE_COHORTS)  # no campus named: organisation-wide


def test_own_scope_covers_assigned_cohorts_and_sessions() -> None:
    session = uuid4()
    lead = actor(
        StaffRole.LEAD_INSTRUCTOR,
        cohort_ids=frozenset({COHORT}),
        session_ids=frozenset({session}),
    )
    authorise(lead, Action.TAKE_ATTENDANCE, cohort_id=COHORT)
    authorise(lead, Action.TAKE_ATTENDANCE, cohort_id=OTHER_COHORT, session_id=session)
    with pytest.raises(Forbidden, match="cohorts they teach"):
        authorise(lead, Action.TAKE_ATTENDANCE, cohort_id=OTHER_COHORT, campus_id=CAMPUS)


def test_none_scope_refuses_naming_role_and_action() -> None:
    assistant = actor(StaffRole.TEACHING_ASSISTANT, cohort_ids=frozenset({COHORT}))
    with pytest.raises(Forbidden, match="teaching_assistant may not manage staff accounts"):
        authorise(assistant, Action.MANAGE_STAFF)


def test_one_family_scope_needs_a_family() -> None:
    desk = actor(StaffRole.FRONT_DESK, campus_ids=frozenset({CAMPUS}))
    authorise(desk, Action.VIEW_INVOICES, family_id=uuid4())
    with pytest.raises(Forbidden, match="one family at a time"):
        authorise(desk, Action.VIEW_INVOICES, campus_id=CAMPUS)


def test_approval_needs_an_approver_who_holds_the_grant_for_the_target() -> None:
    desk = actor(StaffRole.FRONT_DESK, campus_ids=frozenset({CAMPUS}))
    manager = actor(StaffRole.CAMPUS_MANAGER, campus_ids=frozenset({CAMPUS}))
    far_manager = actor(StaffRole.CAMPUS_MANAGER, campus_ids=frozenset({OTHER_CAMPUS}))
    other_desk = actor(StaffRole.FRONT_DESK, campus_ids=frozenset({CAMPUS}))
    with pytest.raises(Forbidden, match="approval"):
        authorise(desk, Action.WITHDRAW_STUDENT, campus_id=CAMPUS)
    assert (
        authorise(desk, Action.WITHDRAW_STUDENT, campus_id=CAMPUS, approver=manager).scope
        is Scope.APPROVAL
    )
    with pytest.raises(Forbidden, match="campuses they are assigned to"):
        authorise(desk, Action.WITHDRAW_STUDENT, campus_id=CAMPUS, approver=far_manager)
    with pytest.raises(Forbidden, match="approver may not"):
        authorise(desk, Action.WITHDRAW_STUDENT, campus_id=CAMPUS, approver=other_desk)


def test_an_approver_from_another_organisation_does_not_count() -> None:
    desk = actor(StaffRole.FRONT_DESK, campus_ids=frozenset({CAMPUS}))
    stranger = Actor(staff_id=uuid4(), organisation_id=uuid4(), role=StaffRole.SUPER_ADMIN)
    with pytest.raises(Forbidden):
        authorise(desk, Action.WITHDRAW_STUDENT, campus_id=CAMPUS, approver=stranger)
