"""Rocket's entities and value objects, one module per bounded context."""

from rocket_core.enrolment_machine import EnrolmentStatus, Trigger
from rocket_core.model.attendance import ATTENDED, Attendance, AttendanceStatus
from rocket_core.model.audit import AuditEntry
from rocket_core.model.base import Entity, new_id, utc_now
from rocket_core.model.billing import (
    Invoice,
    InvoiceStatus,
    LineItem,
    Payment,
    PaymentMethod,
    invoice_number,
)
from rocket_core.model.catalogue import (
    Cohort,
    CohortStaff,
    CohortStaffRole,
    CohortStatus,
    Program,
    Session,
    SessionStaff,
    SessionStatus,
    SkillLevel,
)
from rocket_core.model.enrolment import Enrolment, MakeupToken, MakeupTokenStatus
from rocket_core.model.families import Family, Gender, Student
from rocket_core.model.learning import (
    ProjectSubmission,
    SkillNode,
    SkillProgress,
    SkillProgressChange,
    SkillStatus,
    SkillTree,
)
from rocket_core.model.messaging import (
    Message,
    Notification,
    NotificationChannel,
    NotificationStatus,
    ParticipantType,
)
from rocket_core.model.organisation import (
    Campus,
    CampusStaff,
    ClosureDate,
    Organisation,
    OrganisationSettings,
    Qualification,
    Staff,
    StaffRole,
)

__all__ = [
    "ATTENDED",
    "Attendance",
    "AttendanceStatus",
    "AuditEntry",
    "Campus",
    "CampusStaff",
    "ClosureDate",
    "Cohort",
    "CohortStaff",
    "CohortStaffRole",
    "CohortStatus",
    "Enrolment",
    "EnrolmentStatus",
    "Entity",
    "Family",
    "Gender",
    "Invoice",
    "InvoiceStatus",
    "LineItem",
    "MakeupToken",
    "MakeupTokenStatus",
    "Message",
    "Notification",
    "NotificationChannel",
    "NotificationStatus",
    "Organisation",
    "OrganisationSettings",
    "ParticipantType",
    "Payment",
    "PaymentMethod",
    "Program",
    "ProjectSubmission",
    "Qualification",
    "Session",
    "SessionStaff",
    "SessionStatus",
    "SkillLevel",
    "SkillNode",
    "SkillProgress",
    "SkillProgressChange",
    "SkillStatus",
    "SkillTree",
    "Staff",
    "StaffRole",
    "Student",
    "Trigger",
    "invoice_number",
    "new_id",
    "utc_now",
]
