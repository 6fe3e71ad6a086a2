"""Attendance context: a student's mark for one session."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now


class AttendanceStatus(StrEnum):
    """Attendance.status."""

    PRESENT = "present"
    ABSENT = "absent"
    LATE = "late"
    EXCUSED = "excused"
    MAKEUP = "makeup"


#: Marks that count as attending when attendance rates are computed.
ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.MAKEUP})


@attrs.define(slots=False, eq=False, kw_only=True)
class Attendance(Entity):
    """The mark of one student at one session (unique per session and student)."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    session_id: UUID = attrs.field(validator=c.of_type(UUID))
    student_id: UUID = attrs.field(validator=c.of_type(UUID))
    enrolment_id: UUID = attrs.field(validator=c.of_type(UUID))
    status: AttendanceStatus = attrs.field(validator=c.member_of(AttendanceStatus))
    check_in_time: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    check_out_time: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    notes: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    recorded_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    recorded_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        if self.check_in_time is not None and self.check_out_time is not None:
            c.require(
                self.check_out_time >= self.check_in_time,
                "Attendance.check_out_time",
                "must not be before check_in_time",
            )

    @property
    def attended(self) -> bool:
        """Present, late or makeup: counts towards the attendance rate."""
        return self.status in ATTENDED

    def mark(
        self, status: AttendanceStatus, *, by: UUID, at: datetime, notes: str | None = None
    ) -> None:
        """Change the mark, stamping who and when (the edit window is the service's rule)."""
        changes: dict[str, object] = {
            "status": status,
            "recorded_by_staff_id": by,
            "recorded_at": at,
        }
        if notes is not None:
            changes["notes"] = notes
        self.update(**changes)
