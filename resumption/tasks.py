"""Periodic work: write today's attendance from the published plans (idempotent)."""

from __future__ import annotations

from django.utils import timezone

from lib.periodic import periodic
from resumption.models import Assignment, AttendanceRecord
from resumption.services import attendance_materialise


@periodic("resumption.attendance")
def attendance_today() -> int:
    """Cheap when idle: two counts, and the rows are written only while some are missing
    (publishing a plan writes today's rows at once; this catches the new day)."""
    today = timezone.localdate()
    due = Assignment.objects.filter(
        plan__published_at__isnull=False, told_first_day__lte=today, told_site__isnull=False
    ).count()
    if not due or AttendanceRecord.objects.filter(day=today).count() >= due:
        return 0
    return attendance_materialise(day=today)
