"""Imperative mapping of rocket_core's own classes onto the tables (no ORM base classes).

``start_mappers()`` maps every entity once; calling it again does nothing. Column names are the
field names, except SkillNode.order (``order_num`` in the data model's SQL). SkillProgress
carries its history as a relationship to ``skill_progress_changes``.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from rocket_adapters.sql import tables as t
from rocket_core import model as m

mapper_registry = orm.registry(metadata=t.metadata)

#: Each entity class and its table.
TABLE_OF: dict[type[m.Entity], sa.Table] = {
    m.Organisation: t.organisations,
    m.Campus: t.campuses,
    m.Staff: t.staff,
    m.CampusStaff: t.campus_staff,
    m.Program: t.programs,
    m.Cohort: t.cohorts,
    m.CohortStaff: t.cohort_staff,
    m.Session: t.sessions,
    m.SessionStaff: t.session_staff,
    m.Family: t.families,
    m.Student: t.students,
    m.Enrolment: t.enrolments,
    m.MakeupToken: t.makeup_tokens,
    m.Attendance: t.attendances,
    m.SkillTree: t.skill_trees,
    m.SkillNode: t.skill_nodes,
    m.SkillProgressChange: t.skill_progress_changes,
    m.SkillProgress: t.skill_progress,
    m.ProjectSubmission: t.project_submissions,
    m.Invoice: t.invoices,
    m.Payment: t.payments,
    m.PaymentAllocation: t.payment_allocations,
    m.Refund: t.refunds,
    m.CreditNote: t.credit_notes,
    m.WebhookEvent: t.webhook_events,
    m.Message: t.messages,
    m.Notification: t.notifications,
    m.AuditEntry: t.audit_log,
    m.StaffSession: t.staff_sessions,
}

_lock = threading.Lock()


def _properties(cls: type[m.Entity]) -> dict[str, Any]:
    if cls is m.SkillNode:
        return {"order": t.skill_nodes.c.order_num}
    if cls is m.SkillProgress:
        return {
            "history": orm.relationship(
                m.SkillProgressChange,
                order_by=(t.skill_progress_changes.c.changed_at, t.skill_progress_changes.c.id),
                cascade="all, delete-orphan",
                lazy="selectin",
            )
        }
    return {}


def start_mappers() -> None:
    """Map every entity class onto its table (idempotent, thread-safe)."""
    with _lock:
        if orm.base._is_mapped_class(m.Organisation):  # mapped already
            return
        for cls, table in TABLE_OF.items():
            options: dict[str, Any] = {"properties": _properties(cls)}
            if "version" in table.c:
                # The unit of work bumps ``version`` once per transaction (see unit_of_work);
                # SQLAlchemy adds ``WHERE version = <as loaded>`` to every UPDATE.
                options |= {"version_id_col": table.c.version, "version_id_generator": False}
            mapper_registry.map_imperatively(cls, table, **options)
            # SQLAlchemy sets ``_sa_instance_state`` on every object it loads; through the
            # attrs classes' own __setattr__ (their on_setattr validators) that costs a failed
            # hook lookup per object, a tenth of the CPU of reading a roll. Set it directly.
            orm.instrumentation.manager_of_class(cls)._state_setter = _set_state


def _set_state(instance: object, state: object) -> None:
    object.__setattr__(instance, "_sa_instance_state", state)


def is_versioned(entity: object) -> bool:
    """True for entities whose table has a version column."""
    return "version" in TABLE_OF[type(entity)].c  # type: ignore[index]
