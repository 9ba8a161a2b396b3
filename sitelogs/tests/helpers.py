"""Shared set-up of the site-log tests: a staff user, a schedule valid from some days ago."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from sitelogs.models import SiteSchedule
from sitelogs.services import schedule_set

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def staff_of(cast: Any) -> User:
    """A staff member of enterprise A1 (created once per test)."""
    user = User.objects.filter(mobile="13800000009").first()
    if user is None:
        user = User.objects.create_user("13800000009", "correct-horse", name="保洁主管")
        RoleGrant.objects.create(user=user, organization=cast.enterprise, role=Role.STAFF)
    return user


def schedule(
    cast: Any, *, kind: str = "disinfection", slots: list[str] | None = None, days_ago: int = 0
) -> SiteSchedule:
    made = schedule_set(
        actor=cast.enterprise_admin,
        site=cast.site,
        kind=kind,
        slots=slots or ["09:00", "15:00"],
        areas=["大堂", "电梯"],
        agent="含氯消毒剂 500 mg/L",
    )
    if days_ago:
        SiteSchedule.objects.filter(pk=made.pk).update(
            valid_from=timezone.localdate() - dt.timedelta(days=days_ago)
        )
        made.refresh_from_db()
    return made


def at(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time.fromisoformat(hhmm), tzinfo=timezone.get_current_timezone()
    )
